"""Orbit engine: element sets, SGP4 propagation, frames, and event searches (eclipses, passes).

May use numpy, scipy, sgp4 and skyfield; never a database, the web, the CLI or a solver.
"""
