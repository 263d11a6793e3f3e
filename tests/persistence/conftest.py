"""Fixtures for the persistence tests: every database test runs on SQLite and on PostgreSQL.

SQLite is a file under ``tmp_path``. PostgreSQL is the server at 127.0.0.1:5432, database
``test``, user ``postgres`` or the current user with trust authentication (or the URL in
``SPACEHOME_TEST_POSTGRESQL_URL``). Each test gets a schema of its own, ``eh_<run>_<n>``, reached
through ``search_path`` and dropped afterwards, so no other data in that database is touched. The
session's time zone is set to Asia/Shanghai on purpose: times must still come back in UTC.

When PostgreSQL is unreachable its tests are skipped with the reason, except under ``CI``, where
they fail: CI must run both backends.
"""

from __future__ import annotations

import getpass
import itertools
import os
import secrets
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from spacehome.domain.elements import ElementSet, Provenance
from spacehome.persistence.element_history import ElementHistory
from spacehome.persistence.engine import open_database

POSTGRESQL_URL_ENV = "SPACEHOME_TEST_POSTGRESQL_URL"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "postgresql: runs against the PostgreSQL server at 127.0.0.1:5432"
    )


def _postgresql_candidates() -> list[str]:
    configured = os.environ.get(POSTGRESQL_URL_ENV, "").strip()
    if configured:
        return [configured]
    users = dict.fromkeys(["postgres", getpass.getuser()])
    return [f"postgresql+psycopg://{user}@127.0.0.1:5432/test" for user in users]


@pytest.fixture(scope="session")
def postgresql_admin() -> Iterator[tuple[Engine, str]]:
    """An engine on the test database and this run's schema prefix; leftovers dropped at the end."""
    reasons = []
    for candidate in _postgresql_candidates():
        admin = create_engine(candidate, poolclass=NullPool, connect_args={"connect_timeout": 3})
        try:
            with admin.connect() as connection:
                connection.execute(text("SELECT 1"))
            break
        except OperationalError as exc:
            reasons.append(f"{candidate}: {str(exc.orig).strip().splitlines()[0]}")
            admin.dispose()
    else:
        message = (
            f"PostgreSQL for the tests is unreachable ({'; '.join(reasons)}): "
            f"start it, or set {POSTGRESQL_URL_ENV}"
        )
        if os.environ.get("CI"):
            pytest.fail(f"{message} (CI is set, so PostgreSQL tests must run)")
        pytest.skip(message)
    prefix = f"eh_{secrets.token_hex(4)}"
    yield admin, prefix
    with admin.begin() as connection:
        leftovers = connection.scalars(
            text("SELECT nspname FROM pg_namespace WHERE nspname LIKE :pattern"),
            {"pattern": f"{prefix}\\_%"},
        ).all()
        for schema in leftovers:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


_schema_numbers = itertools.count(1)


@pytest.fixture
def postgresql_url(postgresql_admin: tuple[Engine, str]) -> Iterator[str]:
    """URL of a fresh, empty schema of its own in the test database (dropped after the test)."""
    admin, prefix = postgresql_admin
    schema = f"{prefix}_{next(_schema_numbers)}"
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url: URL = make_url(admin.url.render_as_string(hide_password=False)).update_query_dict(
        {"options": f"-csearch_path={schema} -ctimezone=Asia/Shanghai"}
    )
    # Plain postgresql:// on purpose: make_engine must map it to psycopg.
    yield url.set(drivername="postgresql").render_as_string(hide_password=False)
    with admin.begin() as connection:
        connection.execute(text("SET lock_timeout = '10s'"))
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Marked here rather than with pytest.param(marks=...): this conftest's markers are only
    # registered once pytest_configure has run, after the module is imported.
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("database_url") == "postgresql":
            item.add_marker("postgresql")


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """URL of an empty database, once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'spacehome.sqlite3'}"
    url: str = request.getfixturevalue("postgresql_url")
    return url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """A migrated engine on the empty database, disposed after the test."""
    migrated = open_database(database_url)
    yield migrated
    migrated.dispose()


@pytest.fixture
def history(engine: Engine) -> ElementHistory:
    return ElementHistory(engine)


#: CSS (Tianhe), the real element set from CelesTrak's GP data (TLE lines below).
CSS_LINE1 = "1 48274U 21035A   26249.26095405  .00013514  00000+0  16863-3 0  9990"
CSS_LINE2 = "2 48274  41.4675 189.8186 0002350 260.0025 100.0548 15.59622579305827"
CSS_EPOCH = datetime(2026, 9, 6, 6, 15, 46, 429920, tzinfo=UTC)


def _css_set(**changes: object) -> ElementSet:
    values: dict[str, object] = {
        "catalog_number": 48274,
        "name": "CSS (TIANHE)",
        "international_designator": "2021-035A",
        "epoch": CSS_EPOCH,
        "mean_motion_rev_per_day": 15.59622579,
        "eccentricity": 0.000235,
        "inclination_deg": 41.4675,
        "raan_deg": 189.8186,
        "arg_perigee_deg": 260.0025,
        "mean_anomaly_deg": 100.0548,
        "bstar_per_earth_radius": 0.00016863,
        "mean_motion_dot_rev_per_day2": 0.00013514,
        "mean_motion_ddot_rev_per_day3": 0.0,
        "element_set_number": 999,
        "rev_at_epoch": 30582,
        "classification": "U",
        "line1": CSS_LINE1,
        "line2": CSS_LINE2,
    }
    values.update(changes)
    return ElementSet(**values)  # type: ignore[arg-type]


@pytest.fixture
def css() -> Callable[..., ElementSet]:
    """Factory of the CSS (Tianhe) element set of 2026-09-06T06:15:46.429920Z.

    Keyword arguments replace fields: ``css(epoch=..., mean_anomaly_deg=...)``.
    """
    return _css_set


@pytest.fixture
def celestrak() -> Callable[[datetime], Provenance]:
    """Factory of a CelesTrak provenance obtained at the given instant."""

    def _provenance(obtained_at: datetime) -> Provenance:
        return Provenance(
            source="https://celestrak.org/NORAD/elements/gp.php?CATNR=48274&FORMAT=TLE",
            obtained_at=obtained_at,
        )

    return _provenance
