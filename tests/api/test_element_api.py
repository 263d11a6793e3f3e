"""Public element-set reads on SQLite and PostgreSQL: history newest first with provenance,
pagination, the set current at an instant as known then, and refusals (naive times, bad numbers).

The database holds the two real Tianhe sets embedded in ``record/data/element_sets.toml`` (epochs
2026-05-30 and 2026-09-06), exactly what the orbit endpoints choose from.
"""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient

from spacehome.api.app import API_PREFIX
from spacehome.api.element_routes import router
from spacehome.services.accounts import Passwords

from .conftest import PASSWORD, bearer, planner_and_partner_client

NOW = datetime(2026, 9, 7, 12, 0, tzinfo=UTC)
SEPTEMBER = "2026-09-06T06:15:46.429920Z"  # epoch of the newer embedded set (TLE 26249.26095405)
MAY = "2026-05-30T10:34:16.870656Z"  # epoch of the older one (TLE 26150.44047304)
MIRROR = "https://github.com/astrion-tech/celestrak-mirror/blob/"


#: SYNTHETIC: the September set moved to epoch 26252.00000000 (2026-09-09T00:00Z), checksum redone.
SYNTHETIC_TLE = (
    "CSS (TIANHE) SYNTHETIC\n"
    "1 48274U 21035A   26252.00000000  .00013514  00000+0  16863-3 0  9993\n"
    "2 48274  41.4675 189.8186 0002350 260.0025 100.0548 15.59622579305827\n"
)
#: The real September set (already stored) and a record cut short.
KNOWN_AND_BROKEN = (
    "CSS (TIANHE)\n"
    "1 48274U 21035A   26249.26095405  .00013514  00000+0  16863-3 0  9990\n"
    "2 48274  41.4675 189.8186 0002350 260.0025 100.0548 15.59622579305827\n"
    "BROKEN\n1 48274U 21035A   26250.0 bad\n2 48274 x\n"
)


def _client(database_url: str, password_hash: str, passwords: Passwords) -> TestClient:
    return planner_and_partner_client(router(database_url), password_hash, passwords, NOW)


def _token(client: TestClient, username: str) -> dict[str, str]:
    r = client.post(f"{API_PREFIX}/auth/token", data={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return bearer(r.json()["access_token"])


def test_element_sets_are_public_with_history_current_and_refusals(
    database_url: str, password_hash: str, passwords: Passwords
) -> None:
    client = _client(database_url, password_hash, passwords)
    r = client.get(f"{API_PREFIX}/element-sets")  # no login
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["catalog_number"], body["total"], body["limit"], body["offset"]) == (48274, 2, 50, 0)
    assert [s["epoch"] for s in body["items"]] == [SEPTEMBER, MAY]
    newest = body["items"][0]
    assert newest["name"] == "CSS (TIANHE)"
    assert newest["line1"] == "1 48274U 21035A   26249.26095405  .00013514  00000+0  16863-3 0  9990"
    assert newest["inclination_deg"] == 41.4675
    assert newest["source"].startswith(MIRROR)
    assert newest["obtained_at"] == "2026-09-06T06:15:46Z"
    assert len(newest["sha256"]) == 64

    page = client.get(f"{API_PREFIX}/element-sets", params={"norad": 48274, "limit": 1, "offset": 1}).json()
    assert [s["epoch"] for s in page["items"]] == [MAY]
    assert page["total"] == 2

    # Default instant: the app's clock (2026-09-07T12:00Z), so the September set, 1.24 days old.
    now = client.get(f"{API_PREFIX}/element-sets/current").json()
    assert now["at"] == "2026-09-07T12:00:00Z"
    assert now["known_by"] is None
    assert now["element_set"]["epoch"] == SEPTEMBER
    assert (now["age_days"], now["level"], now["warning"]) == (1.239, "fresh", None)

    august = client.get(f"{API_PREFIX}/element-sets/current", params={"at": "2026-08-01T08:00:00+08:00"}).json()
    assert august["at"] == "2026-08-01T00:00:00Z"
    assert august["element_set"]["epoch"] == MAY
    assert august["level"] == "very-stale"

    # As known on 2026-06-01 the September set did not exist yet: the May set was current.
    then = client.get(
        f"{API_PREFIX}/element-sets/current",
        params={"at": "2026-09-07T00:00:00Z", "known_by": "2026-06-01T00:00:00Z"},
    ).json()
    assert then["element_set"]["epoch"] == MAY
    assert then["known_by"] == "2026-06-01T00:00:00Z"

    # Refusals are problems: naive or unreadable times, numbers out of range, nothing known.
    naive = client.get(f"{API_PREFIX}/element-sets/current", params={"at": "2026-09-07T00:00:00"})
    assert naive.status_code == 422
    assert "has no time zone" in naive.json()["detail"]
    assert client.get(f"{API_PREFIX}/element-sets/current", params={"known_by": "yesterday"}).status_code == 422
    assert client.get(f"{API_PREFIX}/element-sets", params={"norad": 0}).status_code == 422
    assert client.get(f"{API_PREFIX}/element-sets", params={"limit": 501}).status_code == 422
    far = client.get(f"{API_PREFIX}/element-sets/current", params={"at": "0001-01-01T00:00:00+01:00"})
    assert far.status_code == 422
    unknown = client.get(f"{API_PREFIX}/element-sets", params={"norad": 25544}).json()
    assert (unknown["items"], unknown["total"]) == ([], 0)
    missing = client.get(f"{API_PREFIX}/element-sets/current", params={"norad": 25544})
    assert missing.status_code == 404
    assert "no element set is stored for catalog number 25544" in missing.json()["detail"]
    before = client.get(f"{API_PREFIX}/element-sets/current", params={"known_by": "2026-01-01T00:00:00Z"})
    assert before.status_code == 404
    assert "known by 2026-01-01T00:00:00Z" in before.json()["detail"]


def test_planners_import_element_sets_with_provenance(
    database_url: str, password_hash: str, passwords: Passwords
) -> None:
    client = _client(database_url, password_hash, passwords)
    url = f"{API_PREFIX}/element-sets"
    text = {"Content-Type": "text/plain"}
    params = {"source": "https://example.org/css.tle (synthetic)", "obtained_at": "2026-09-07T08:00:00Z"}
    assert client.post(url, params=params, content=SYNTHETIC_TLE, headers=text).status_code == 401
    partner = {**text, **_token(client, "alice")}
    assert client.post(url, params=params, content=SYNTHETIC_TLE, headers=partner).status_code == 403

    planner = {**text, **_token(client, "pat")}
    r = client.post(url, params=params, content=SYNTHETIC_TLE, headers=planner)
    assert r.status_code == 200, r.text
    assert r.json() == {
        "format": "tle", "source": "https://example.org/css.tle (synthetic)",
        "obtained_at": "2026-09-07T08:00:00Z", "read": 1, "added": 1, "already_known": 0,
        "problems_total": 0, "problems": [],
    }
    mixed = client.post(url, params={"source": "mixed.tle"}, content=KNOWN_AND_BROKEN, headers=planner).json()
    assert (mixed["read"], mixed["added"], mixed["already_known"], mixed["problems_total"]) == (1, 0, 1, 1)
    assert mixed["problems"][0].startswith("line 5, column 30: the line is 29 characters long")
    assert mixed["obtained_at"] == "2026-09-07T12:00:00Z"  # default: the app's clock

    newest = client.get(url).json()
    assert newest["total"] == 3
    assert newest["items"][0]["epoch"] == "2026-09-09T00:00:00Z"
    assert newest["items"][0]["source"] == "https://example.org/css.tle (synthetic)"
    # Known by 07:59 the synthetic set was not yet obtained; by 08:00 it was (and is nearest).
    before = client.get(f"{url}/current", params={"at": "2026-09-10T00:00:00Z", "known_by": "2026-09-07T07:59:00Z"})
    assert before.json()["element_set"]["epoch"] == SEPTEMBER
    after = client.get(f"{url}/current", params={"at": "2026-09-10T00:00:00Z", "known_by": "2026-09-07T08:00:00Z"})
    assert after.json()["element_set"]["epoch"] == "2026-09-09T00:00:00Z"

    future = client.post(url, params={"source": "x", "obtained_at": "2026-09-08T00:00:00Z"}, content=SYNTHETIC_TLE, headers=planner)
    assert future.status_code == 422
    assert "is in the future" in future.json()["detail"]
    assert client.post(url, params={"source": "x"}, content=b"\xff\xfe", headers=planner).status_code == 422
    assert client.post(url, params={"source": "x"}, content="garbage", headers=planner).status_code == 422
    assert client.post(url, params={"source": "a\x01"}, content=SYNTHETIC_TLE, headers=planner).status_code == 422
    assert client.get(url).json()["total"] == 3
