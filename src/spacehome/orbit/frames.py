"""Reference frames and the WGS84 ellipsoid, on plain numpy arrays (km, km/s, radians).

- TEME → ITRS: SGP4's True Equator Mean Equinox frame turns into the Earth-fixed frame by one
  rotation about z through Greenwich mean sidereal time (IAU 1982, on UT1), AIAA 2006-6753
  Appendix C. Skyfield's own chain (TEME → GCRS → ITRS) composes to the same rotation when no
  polar-motion table is loaded, which is Skyfield's default; the tests check the agreement.
- ITRS → geodetic: Bowring's (1976) method on WGS84 with two steps, well under a millimetre
  from the ground to geostationary altitude (checked against Skyfield's iterative ``wgs84``).
- Observers: geodetic → ITRS and the local east/north/up basis; topocentric azimuth/elevation
  exactly as Skyfield's ``(sat - topos).at(t).altaz()`` computes them (no refraction).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from skyfield.sgp4lib import theta_GMST1982

FloatArray = NDArray[np.float64]

#: WGS84 equatorial radius (km) and flattening (NIMA TR8350.2).
WGS84_A_KM = 6378.137
WGS84_F = 1.0 / 298.257223563
_E2 = WGS84_F * (2.0 - WGS84_F)
_B_KM = WGS84_A_KM * (1.0 - WGS84_F)
_EP2 = _E2 / (1.0 - _E2)
DAY_S = 86400.0


def gmst82(jd_ut1: FloatArray, fr_ut1: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Greenwich mean sidereal angle (rad) and its rate (rad/s), IAU 1982 (Skyfield's function)."""
    theta, theta_dot_per_day = theta_GMST1982(jd_ut1, fr_ut1)
    return np.asarray(theta, dtype=np.float64), np.asarray(theta_dot_per_day) / DAY_S


def teme_to_itrs(
    r_km: FloatArray, theta: FloatArray, v_km_s: FloatArray | None = None,
    theta_dot: FloatArray | None = None,
) -> tuple[FloatArray, FloatArray | None]:
    """Rotate TEME vectors (``(..., N, 3)`` with ``theta`` of shape ``(N,)``) into ITRS.

    Velocities become Earth-fixed (the ``-ω × r`` term is applied) when given.
    """
    c = np.cos(theta)
    s = np.sin(theta)
    x = r_km[..., 0]
    y = r_km[..., 1]
    r = np.empty_like(r_km)
    r[..., 0] = c * x + s * y
    r[..., 1] = c * y - s * x
    r[..., 2] = r_km[..., 2]
    if v_km_s is None:
        return r, None
    if theta_dot is None:
        raise ValueError("theta_dot is needed to rotate velocities")
    vx = v_km_s[..., 0]
    vy = v_km_s[..., 1]
    v = np.empty_like(v_km_s)
    v[..., 0] = c * vx + s * vy + theta_dot * r[..., 1]
    v[..., 1] = c * vy - s * vx - theta_dot * r[..., 0]
    v[..., 2] = v_km_s[..., 2]
    return r, v


def geodetic(
    x_km: FloatArray, y_km: FloatArray, z_km: FloatArray,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """ITRS → WGS84 geodetic latitude (deg), longitude (deg, -180..180) and height (km).

    Bowring's method (two steps from the parametric latitude), with trigonometric functions
    replaced by algebra where possible: this runs on whole catalogs.
    """
    p = np.hypot(x_km, y_km)
    # Parametric latitude β from tan β = (a z) / (b p), written without dividing by p so the
    # poles (p = 0) come out exactly.
    bp = p * _B_KM
    az = z_km * WGS84_A_KM
    inv_q = 1.0 / np.hypot(bp, az)
    cos_beta = bp * inv_q
    sin_beta = az * inv_q
    num = z_km + _EP2 * _B_KM * sin_beta * sin_beta * sin_beta
    den = p - _E2 * WGS84_A_KM * cos_beta * cos_beta * cos_beta
    # One Bowring step is good to a millimetre in low orbit but not at GEO (decimetres); a
    # second step from tan β = (1 - f) tan φ brings every altitude below a micrometre.
    sb = (1.0 - WGS84_F) * num
    inv_q = 1.0 / np.hypot(den, sb)
    cos_beta = den * inv_q
    sin_beta = sb * inv_q
    num = z_km + _EP2 * _B_KM * sin_beta * sin_beta * sin_beta
    den = p - _E2 * WGS84_A_KM * cos_beta * cos_beta * cos_beta
    inv = 1.0 / np.hypot(num, den)
    sin_phi = num * inv
    cos_phi = den * inv
    latitude_deg = np.degrees(np.arctan2(num, den))
    longitude_deg = np.degrees(np.arctan2(y_km, x_km))
    height_km = p * cos_phi + z_km * sin_phi - WGS84_A_KM * np.sqrt(1.0 - _E2 * sin_phi * sin_phi)
    return latitude_deg, longitude_deg, height_km


def observer_itrs(
    latitude_deg: FloatArray, longitude_deg: FloatArray, altitude_km: FloatArray,
) -> FloatArray:
    """Geodetic (WGS84) → ITRS position in km, shape ``(K, 3)``."""
    lat = np.radians(latitude_deg)
    lon = np.radians(longitude_deg)
    sin_lat = np.sin(lat)
    n = WGS84_A_KM / np.sqrt(1.0 - _E2 * sin_lat * sin_lat)
    xy = (n + altitude_km) * np.cos(lat)
    return np.stack(
        [xy * np.cos(lon), xy * np.sin(lon), (n * (1.0 - _E2) + altitude_km) * sin_lat], axis=-1
    )


def enu_basis(latitude_deg: FloatArray, longitude_deg: FloatArray) -> FloatArray:
    """Unit east, north, up vectors in ITRS, shape ``(K, 3, 3)`` (rows: east, north, up)."""
    lat = np.radians(latitude_deg)
    lon = np.radians(longitude_deg)
    sl, cl = np.sin(lat), np.cos(lat)
    so, co = np.sin(lon), np.cos(lon)
    zero = np.zeros_like(lat)
    east = np.stack([-so, co, zero], axis=-1)
    north = np.stack([-sl * co, -sl * so, cl], axis=-1)
    up = np.stack([cl * co, cl * so, sl], axis=-1)
    return np.stack([east, north, up], axis=-2)


def azimuth_elevation(
    rho_km: FloatArray, basis: FloatArray,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Topocentric azimuth (deg, from north through east), elevation (deg) and range (km).

    ``rho_km`` is the satellite minus the observer in ITRS (``(..., 3)``) and ``basis`` the
    observer's east/north/up rows broadcastable to ``(..., 3, 3)``.
    """
    e = np.einsum("...j,...j->...", rho_km, basis[..., 0, :])
    n = np.einsum("...j,...j->...", rho_km, basis[..., 1, :])
    u = np.einsum("...j,...j->...", rho_km, basis[..., 2, :])
    horizontal = np.hypot(e, n)
    elevation_deg = np.degrees(np.arctan2(u, horizontal))
    azimuth_deg = np.degrees(np.arctan2(e, n)) % 360.0
    range_km = np.sqrt(horizontal * horizontal + u * u)
    return azimuth_deg, elevation_deg, range_km
