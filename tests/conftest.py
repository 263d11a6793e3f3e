"""Shared fixtures: the station record, copies of its data, and the two databases.

``database_url`` runs a test on SQLite and on PostgreSQL. SQLite is a file under ``tmp_path``.
PostgreSQL is the server at 127.0.0.1:5432, database ``test``, user ``postgres`` or the current
user with trust authentication (or the URL in ``SPACEHOME_TEST_POSTGRESQL_URL``). Each test gets a
schema of its own, ``eh_<run>_<n>``, reached through ``search_path`` and dropped afterwards, so no
other data in that database is touched. The session's time zone is set to Asia/Shanghai on
purpose: times must still come back in UTC.

When PostgreSQL is unreachable its tests are skipped with the reason, except under ``CI``, where
they fail: CI must run both backends.
"""

from __future__ import annotations

import getpass
import itertools
import os
import secrets
import shutil
from collections.abc import Callable, Iterator
from importlib import resources
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from spacehome.domain.record import StationRecord
from spacehome.persistence.engine import close_databases
from spacehome.services.station import default_record

DATA = Path(str(resources.files("spacehome.record") / "data"))


@pytest.fixture(scope="session")
def record() -> StationRecord:
    return default_record()


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A private copy of the record's data files, for tests that break them."""
    target = tmp_path / "data"
    shutil.copytree(DATA, target)
    return target


@pytest.fixture
def edit(data_copy: Path) -> Callable[[str, str, str], None]:
    """Replace one exact piece of text in a data file (it must occur exactly once)."""

    def _edit(file: str, old: str, new: str) -> None:
        path = data_copy / file
        text = path.read_text(encoding="utf-8")
        assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {file}"
        path.write_text(text.replace(old, new), encoding="utf-8")

    return _edit


@pytest.fixture(autouse=True)
def _close_databases() -> Iterator[None]:
    """Engines are shared per URL within a process: close them after every test."""
    yield
    close_databases()


@pytest.fixture(scope="session", autouse=True)
def _no_user_data(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Before any fixture of any scope: the database and data directory are the session's own,
    so module-scoped fixtures (which run outside the per-test ``private_database``) never touch
    the user's data directory either."""
    patch = pytest.MonkeyPatch()
    root = tmp_path_factory.mktemp("session-data")
    patch.setenv("SPACEHOME_DATABASE_URL", f"sqlite:///{root / 'spacehome.sqlite3'}")
    patch.setenv("SPACEHOME_DATA_DIR", str(root / "data"))
    yield
    patch.undo()


@pytest.fixture(autouse=True)
def private_database(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own SQLite database: no test reads or writes the user's data dir."""
    path = tmp_path_factory.mktemp("db") / "spacehome.sqlite3"
    monkeypatch.setenv("SPACEHOME_DATABASE_URL", f"sqlite:///{path}")
    return path


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
