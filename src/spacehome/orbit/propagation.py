"""Vectorised SGP4 propagation over objects x times (placeholder: being written)."""
