"""The project database: where it is, how to connect, and bringing its schema up to date.

spacehome keeps its database in SQLite for one person on one machine and in PostgreSQL for a
shared installation; the same migrations run on both. Nothing happens at import: callers make an
engine from a URL (:func:`make_engine`) and migrate it (:func:`migrate`), or do both at once with
:func:`open_database`. The edges decide the URL; :func:`default_database_url` is their default.

Migrations are alembic revisions shipped inside this package (``migrations/``) and run in code,
with the alembic ``Config`` built here: no ``alembic.ini`` is needed at runtime.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from platformdirs import user_data_dir
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session

from spacehome.errors import ConflictError, SpacehomeError, ValidationError

#: The environment variable that names the database (a SQLAlchemy URL).
DATABASE_URL_ENV = "SPACEHOME_DATABASE_URL"

#: File name of the default SQLite database in the user's data directory.
DEFAULT_SQLITE_FILE = "spacehome.sqlite3"

#: How long a SQLite connection waits for another writer's lock before failing (30 s, in ms).
SQLITE_BUSY_TIMEOUT_MS = 30_000

#: Where the alembic environment and revisions live (a directory inside this package).
MIGRATIONS_DIR = Path(__file__).parent / "migrations"

# PostgreSQL advisory-lock key that serialises concurrent migrations of one database (two
# processes opening a fresh database at once). Any fixed signed 64-bit value will do.
_MIGRATION_LOCK_KEY = int.from_bytes(b"spacehom", "big")

# Execution option read by the SQLite "begin" hook: "DEFERRED" (default) or "IMMEDIATE".
_SQLITE_BEGIN_OPTION = "spacehome_sqlite_begin"

_HOW_URL = (
    "use sqlite:///path/to/spacehome.sqlite3 or postgresql://user@host:5432/database "
    f"(in {DATABASE_URL_ENV} or where the database URL is given)"
)


def default_database_url() -> str:
    """The database URL to use when none is given.

    ``SPACEHOME_DATABASE_URL`` when set and not empty; otherwise a SQLite file
    ``spacehome.sqlite3`` in the user's data directory (``platformdirs.user_data_dir``), which is
    created if missing.
    """
    configured = os.environ.get(DATABASE_URL_ENV, "").strip()
    if configured:
        return configured
    directory = Path(user_data_dir("spacehome"))
    directory.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{directory / DEFAULT_SQLITE_FILE}"


def make_engine(url: str) -> Engine:
    """An engine for a SQLite or PostgreSQL URL; nothing is connected yet.

    PostgreSQL is reached through psycopg 3: ``postgresql://`` (and the older ``postgres://``) are
    read as ``postgresql+psycopg://``. SQLite connections enforce foreign keys, wait up to
    :data:`SQLITE_BUSY_TIMEOUT_MS` for another writer, and run real transactions: SQLAlchemy emits
    ``BEGIN`` itself, so reads are repeatable and DDL is transactional (the sqlite3 module's legacy
    mode does neither).
    """
    parsed = _parse_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(parsed)
        event.listen(engine, "connect", _on_sqlite_connect)
        event.listen(engine, "begin", _on_sqlite_begin)
        return engine
    return create_engine(parsed, pool_pre_ping=True)


def migrate(engine: Engine) -> None:
    """Bring the database schema up to the newest revision this spacehome knows (idempotent).

    All pending revisions run in one transaction, serialised against other processes migrating the
    same database (an advisory lock on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite). A database
    already at a revision this spacehome does not know (written by a newer version) is refused
    with :class:`spacehome.errors.ConflictError` rather than touched.
    """
    with engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            connection.execution_options(**{_SQLITE_BEGIN_OPTION: "IMMEDIATE"})
        with connection.begin():
            if connection.dialect.name == "postgresql":
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY}
                )
            config = alembic_config(connection)
            _refuse_unknown_revisions(connection, config)
            try:
                command.upgrade(config, "head")
            except CommandError as exc:  # e.g. a revision table no release ever wrote
                shown = connection.engine.url.render_as_string(hide_password=True)
                message = " ".join(str(exc).split())
                raise ConflictError(
                    f"cannot bring the database {shown} to the newest schema ({message}): "
                    f"restore it from a backup, or point {DATABASE_URL_ENV} at another database"
                ) from None


def open_database(url: str | None = None) -> Engine:
    """The engine on ``url`` (default: :func:`default_database_url`) with its schema up to date.

    One engine per database and process: the first call for a URL makes the engine and migrates
    the database; later calls return that engine, so every part of one process (the API's
    routers, a command's services) shares one connection pool instead of opening one each.
    :func:`close_databases` disposes them all.

    A database that cannot be reached or opened is reported as a
    :class:`spacehome.errors.SpacehomeError` with one line that says which and what to check.
    """
    key = url if url is not None else default_database_url()
    with _OPEN_LOCK:
        engine = _OPEN.get(key)
        if engine is None:
            engine = _OPEN[key] = _open_and_migrate(key)
        return engine


def close_databases() -> None:
    """Dispose of every engine :func:`open_database` made (at shutdown, or between tests)."""
    with _OPEN_LOCK:
        engines = list(_OPEN.values())
        _OPEN.clear()
    for engine in engines:
        engine.dispose()


_OPEN: dict[str, Engine] = {}
_OPEN_LOCK = threading.Lock()


def _open_and_migrate(url: str) -> Engine:
    engine = make_engine(url)
    try:
        migrate(engine)
    except OperationalError as exc:
        engine.dispose()
        shown = engine.url.render_as_string(hide_password=True)
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else str(exc)
        raise SpacehomeError(
            f"cannot open the database {shown}: {reason}; check that it exists and is reachable, "
            f"or {_HOW_URL}"
        ) from exc
    except BaseException:
        engine.dispose()
        raise
    return engine


def alembic_config(connection: Connection) -> Config:
    """The alembic configuration for this package's migrations, bound to ``connection``.

    Built in code (no ``alembic.ini``); ``migrations/env.py`` takes the connection from
    ``config.attributes``. Also the way to write a new revision during development, e.g.
    ``alembic.command.revision(alembic_config(conn), message=..., autogenerate=True)``.
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    config.attributes["connection"] = connection
    return config


def _parse_url(url: str) -> URL:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ValidationError(f"database URL {url!r} is not a URL: {_HOW_URL}") from None
    # Read the name ourselves: asking the URL for its driver loads the dialect, and there is no
    # dialect called "postgres".
    backend, _, driver = parsed.drivername.partition("+")
    if backend in ("postgresql", "postgres"):
        if driver and driver != "psycopg":
            raise ValidationError(
                f"database URL uses the driver {driver!r}: spacehome reaches PostgreSQL through "
                "psycopg 3, write postgresql:// or postgresql+psycopg://"
            )
        return parsed.set(drivername="postgresql+psycopg")
    if backend == "sqlite":
        if driver and driver != "pysqlite":
            raise ValidationError(
                f"database URL uses the driver {driver!r}: spacehome reaches SQLite through "
                "Python's sqlite3 module, write sqlite:///path/to/file"
            )
        return parsed
    raise ValidationError(
        f"database URL uses {backend!r}: spacehome keeps its data in SQLite or PostgreSQL; "
        f"{_HOW_URL}"
    )


def _on_sqlite_connect(dbapi_connection: Any, connection_record: Any) -> None:
    # Take BEGIN away from the sqlite3 module (its legacy mode skips it before SELECT and DDL);
    # _on_sqlite_begin emits it instead. PRAGMAs run outside any transaction, as they must.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS:d}")
    finally:
        cursor.close()


@contextmanager
def write_session(engine: Engine) -> Iterator[Session]:
    """A session in one write transaction: committed at the end, rolled back on any error.

    On SQLite the transaction begins ``IMMEDIATE``, so two writers queue on the busy timeout
    instead of failing when the second tries to upgrade its read lock.
    """
    with engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            connection.execution_options(**{_SQLITE_BEGIN_OPTION: "IMMEDIATE"})
        with Session(bind=connection, expire_on_commit=False) as session, session.begin():
            yield session


def single_statement_engine(engine: Engine) -> Engine:
    """The engine for reads that are **one statement** each (a page and its total together).

    On PostgreSQL these run in autocommit: a single statement sees one snapshot by itself, and
    the BEGIN and ROLLBACK round trips a transaction would add are saved (on a public list they
    were more than a third of the database time; ``docs/benchmarks.md`` §5). On SQLite, where a
    transaction costs no round trip, it is the engine itself. Anything that reads with two
    statements that must agree belongs in a transaction instead.
    """
    if engine.dialect.name == "postgresql":
        return engine.execution_options(isolation_level="AUTOCOMMIT")
    return engine


def _on_sqlite_begin(connection: Connection) -> None:
    mode = connection.get_execution_options().get(_SQLITE_BEGIN_OPTION, "DEFERRED")
    connection.exec_driver_sql("BEGIN IMMEDIATE" if mode == "IMMEDIATE" else "BEGIN")


def _refuse_unknown_revisions(connection: Connection, config: Config) -> None:
    known = {script.revision for script in ScriptDirectory.from_config(config).walk_revisions()}
    current = MigrationContext.configure(connection).get_current_heads()
    unknown = sorted(revision for revision in current if revision not in known)
    if unknown:
        shown = connection.engine.url.render_as_string(hide_password=True)
        raise ConflictError(
            f"the database {shown} is at schema revision {', '.join(unknown)}, which this "
            "spacehome does not know (a newer version wrote it): upgrade spacehome, or point "
            f"{DATABASE_URL_ENV} at another database"
        )
