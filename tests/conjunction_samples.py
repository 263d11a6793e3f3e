"""A small conjunction scenario shared by the event tests, the authorisation matrix and the
dashboard tests: a catalog file and a CDM about one of its approaches.

The station and one object in a 45° plane through the same node, both at the node at the epoch
(2026-09-07T05:30Z; the crosser 0.01° of mean anomaly ahead), so the two meet there at every
node passage: 650 m apart at the epoch, a few km further each passage as J2 turns the planes.
The CDM is written from the two objects' own SGP4 states at the TCA (TEME values labelled
EME2000: only the consistency of the two objects' frames matters to the Pc) with chosen RTN
sigmas. Synthetic: no real event.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sgp4.exporter import export_tle

from spacehome.domain.elements import ElementSet
from spacehome.orbit.avoidance import sgp4_state
from spacehome.orbit.cdm import CdmObject, Conjunction
from spacehome.orbit.elements import satrec
from spacehome.orbit.formats import read_elements

PLAN_EPOCH = datetime(2026, 9, 7, tzinfo=UTC)  # the tiny plan's epoch (24 h horizon)
START = PLAN_EPOCH + timedelta(hours=4)
EPOCH = PLAN_EPOCH + timedelta(hours=5, minutes=30)
STATION, CROSSER = 48274, 90001
SIGMA_RTN_M = (200.0, 400.0, 200.0)


def elements(number: int, inc: float, m: float = 0.0) -> ElementSet:
    return ElementSet(
        catalog_number=number, name=None, international_designator=None, epoch=EPOCH,
        mean_motion_rev_per_day=15.6, eccentricity=0.0001, inclination_deg=inc, raan_deg=0.0,
        arg_perigee_deg=0.0, mean_anomaly_deg=m, bstar_per_earth_radius=0.0,
        mean_motion_dot_rev_per_day2=0.0, mean_motion_ddot_rev_per_day3=0.0,
    )


def write_catalog(path: Path) -> Path:
    lines = []
    for name, s in (("CSS (TIANHE)", elements(STATION, 41.5)), ("CROSSER", elements(CROSSER, 45.0, 0.01))):
        line1, line2 = export_tle(satrec(s))
        lines += [name, line1, line2]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def cdm_for(tca_text: str, miss_km: float, catalog: Path, message_id: str = "TEST-1") -> Conjunction:
    """A CDM about the approach at ``tca_text`` (ISO 8601 with Z) of the catalog's two objects."""
    sets = {s.catalog_number: s for s in read_elements(catalog).sets}
    tca = datetime.fromisoformat(tca_text.replace("Z", "+00:00"))
    cov = ((SIGMA_RTN_M[0] ** 2, 0.0, 0.0), (0.0, SIGMA_RTN_M[1] ** 2, 0.0), (0.0, 0.0, SIGMA_RTN_M[2] ** 2))

    def obj(number: int, name: str) -> CdmObject:
        r, v = sgp4_state(sets[number], tca)
        return CdmObject(
            designator=str(number), name=name, international_designator="UNKNOWN",
            object_type="PAYLOAD" if number == STATION else "DEBRIS", ref_frame="EME2000",
            position_km=(float(r[0]), float(r[1]), float(r[2])),
            velocity_km_s=(float(v[0]), float(v[1]), float(v[2])),
            position_covariance_rtn_m2=cov, area_pc_m2=None,
        )

    return Conjunction(
        message_id=message_id, creation_date=START, originator="SPACEHOME TEST", tca=tca,
        miss_distance_m=miss_km * 1000.0, object1=obj(STATION, "CSS (TIANHE)"),
        object2=obj(CROSSER, "CROSSER"),
    )
