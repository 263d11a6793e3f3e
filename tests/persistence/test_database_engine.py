"""The database URL, the engine factory and the migrations, on SQLite and PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from spacehome.errors import ConflictError, SpacehomeError, ValidationError
from spacehome.persistence import engine as engine_module
from spacehome.persistence.engine import (
    DATABASE_URL_ENV,
    SQLITE_BUSY_TIMEOUT_MS,
    default_database_url,
    make_engine,
    migrate,
    open_database,
)
from spacehome.persistence.tables import Base

HEAD = "0007"


def _revision(engine: Engine) -> tuple[str, ...]:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_heads()


# --- where the database is ------------------------------------------------------------------


def test_default_url_is_the_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DATABASE_URL_ENV, "postgresql://ops@db.example:5432/spacehome")
    assert default_database_url() == "postgresql://ops@db.example:5432/spacehome"


def test_default_url_is_a_sqlite_file_in_the_user_data_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    data_dir = tmp_path / "data" / "spacehome"
    monkeypatch.setattr(engine_module, "user_data_dir", lambda app: str(tmp_path / "data" / app))
    assert not data_dir.exists()
    assert default_database_url() == f"sqlite:///{data_dir / 'spacehome.sqlite3'}"
    assert data_dir.is_dir()


def test_importing_persistence_connects_to_nothing(tmp_path: Path) -> None:
    database = tmp_path / "never.sqlite3"
    code = (
        "import spacehome.persistence, spacehome.persistence.engine, "
        "spacehome.persistence.tables, spacehome.persistence.element_history; print('ok')"
    )
    env = {
        DATABASE_URL_ENV: f"sqlite:///{database}",
        "HOME": str(tmp_path / "home"),
        "XDG_DATA_HOME": str(tmp_path / "xdg"),
    }
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False
    )
    assert result.stdout.strip() == "ok", result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == []


# --- the engine -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://ops@db.example:5432/spacehome",
        "postgres://ops@db.example:5432/spacehome",
        "postgresql+psycopg://ops@db.example:5432/spacehome",
    ],
)
def test_postgresql_urls_use_psycopg(url: str) -> None:
    engine = make_engine(url)
    assert engine.url.drivername == "postgresql+psycopg"
    assert engine.dialect.driver == "psycopg"
    assert (engine.url.host, engine.url.database) == ("db.example", "spacehome")


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("mysql://ops@db.example/spacehome", "uses 'mysql'"),
        ("postgresql+psycopg2://ops@db.example/spacehome", "driver 'psycopg2'"),
        ("sqlite+aiosqlite:///x.sqlite3", "driver 'aiosqlite'"),
        ("not a url", "is not a URL"),
    ],
)
def test_unsupported_urls_are_refused_with_a_way_out(url: str, problem: str) -> None:
    with pytest.raises(ValidationError, match=problem) as caught:
        make_engine(url)
    assert "\n" not in caught.value.message
    assert "sqlite:///" in caught.value.message or "postgresql" in caught.value.message


def test_sqlite_connections_enforce_foreign_keys_and_wait_for_locks(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.sqlite3'}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == SQLITE_BUSY_TIMEOUT_MS
    engine.dispose()


def test_sqlite_reads_run_inside_a_real_transaction(tmp_path: Path) -> None:
    # sqlite3's legacy mode would not BEGIN before a SELECT; ours does.
    engine = make_engine(f"sqlite:///{tmp_path / 'x.sqlite3'}")
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
        dbapi_connection = connection.connection.dbapi_connection
        assert dbapi_connection is not None
        assert dbapi_connection.in_transaction is True
        connection.rollback()
        assert dbapi_connection.in_transaction is False
    engine.dispose()


# --- migrations -----------------------------------------------------------------------------


def test_migrate_creates_the_table_and_is_idempotent(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        assert inspect(engine).get_table_names() == []
        migrate(engine)
        assert {"alembic_version", "element_sets", "proposals"} <= set(
            inspect(engine).get_table_names()
        )
        assert _revision(engine) == (HEAD,)
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO element_sets (catalog_number, epoch, mean_motion_rev_per_day, "
                    "eccentricity, inclination_deg, raan_deg, arg_perigee_deg, mean_anomaly_deg, "
                    "bstar_per_earth_radius, mean_motion_dot_rev_per_day2, "
                    "mean_motion_ddot_rev_per_day3, classification, source, obtained_at, "
                    "content_sha256) VALUES (48274, '2026-09-06 06:15:46', 15.5, 0.0002, 41.4, "
                    "189.8, 260.0, 100.0, 0.0001, 0.0001, 0.0, 'U', 'test', "
                    "'2026-09-06 12:00:00', 'x')"
                )
            )
        migrate(engine)
        migrate(engine)
        assert _revision(engine) == (HEAD,)
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM element_sets")).scalar() == 1
    finally:
        engine.dispose()


def test_the_migrated_schema_matches_the_tables(engine: Engine) -> None:
    with engine.connect() as connection:
        differences = compare_metadata(
            MigrationContext.configure(connection, opts={"compare_type": True}), Base.metadata
        )
    assert differences == []


def test_the_unique_constraint_and_index_exist(engine: Engine) -> None:
    inspector = inspect(engine)
    uniques = inspector.get_unique_constraints("element_sets")
    assert [(u["name"], u["column_names"]) for u in uniques] == [
        ("uq_element_sets_catalog_number_content_sha256", ["catalog_number", "content_sha256"])
    ]
    indexes = [(i["name"], i["column_names"]) for i in inspector.get_indexes("element_sets")]
    assert ("ix_element_sets_catalog_number_epoch", ["catalog_number", "epoch"]) in indexes


def test_a_database_from_a_newer_spacehome_is_refused(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(ConflictError, match="revision 9999, which this spacehome does not know"):
        migrate(engine)
    assert _revision(engine) == ("9999",)


def test_a_revision_table_no_release_wrote_is_one_line_not_a_traceback(engine: Engine) -> None:
    # Two "heads" where the revisions form one chain (an unreleased branch left behind).
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0004'"))
        connection.execute(text("INSERT INTO alembic_version (version_num) VALUES ('0005')"))
    with pytest.raises(ConflictError, match=r"^cannot bring the database .* to the newest schema") as caught:
        migrate(engine)
    assert "\n" not in caught.value.message
    assert "SPACEHOME_DATABASE_URL" in caught.value.message


def test_open_database_migrates_the_default_database(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    database = tmp_path / "default.sqlite3"
    monkeypatch.setenv(DATABASE_URL_ENV, f"sqlite:///{database}")
    engine = open_database()
    try:
        assert database.is_file()
        assert _revision(engine) == (HEAD,)
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://nobody:secret@127.0.0.1:1/none?connect_timeout=3",
        "sqlite:////nonexistent-directory/for/spacehome.sqlite3",
    ],
    ids=["postgresql-refused", "sqlite-no-directory"],
)
def test_an_unreachable_database_is_one_line_that_says_what_to_check(url: str) -> None:
    with pytest.raises(SpacehomeError, match=r"^cannot open the database ") as caught:
        open_database(url)
    message = caught.value.message
    assert "\n" not in message
    assert "secret" not in message
    assert "check that it exists and is reachable" in message
