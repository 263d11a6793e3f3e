"""Persistence: the project database (SQLite or PostgreSQL), its tables and its migrations.

May use sqlalchemy and alembic, and may hold ``spacehome.domain`` values; never imports the orbit
engine, the planner, services or the edges. Nothing happens at import: engines come from
:func:`spacehome.persistence.engine.make_engine` / :func:`~spacehome.persistence.engine.open_database`,
and the schema is brought up to date by :func:`~spacehome.persistence.engine.migrate`.

Modules:

- ``engine``: database URL, engine factory, migrations run in code.
- ``tables``: the ORM rows (SQLAlchemy 2 typed declarative) and the aware-UTC column type.
- ``element_history``: the append-only history of element sets per object.
- ``program_tables``, ``program_store``: the cooperation program's accounts, calls, proposals
  (optimistic versions; state change and audit entry in one transaction) and audit log; the
  reviewer, review and attachment tables are declared, their store methods are to come.
- ``migrations``: alembic environment and revisions, shipped inside the package.
"""
