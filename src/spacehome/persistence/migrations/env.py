"""Alembic environment for the spacehome database.

Run only through :func:`spacehome.persistence.engine.migrate`, which builds the alembic ``Config``
in code and passes an open connection in ``config.attributes["connection"]``; the migrations then
run inside that connection's transaction. There is no ``alembic.ini`` and no offline (SQL script)
mode.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from spacehome.persistence.tables import Base

connection = context.config.attributes.get("connection")
if not isinstance(connection, Connection):
    raise RuntimeError(
        "spacehome migrations need an open connection: run them with "
        "spacehome.persistence.engine.migrate(engine), not the alembic command line"
    )

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    # SQLite alters tables by copying them; batch mode does that for later revisions.
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
