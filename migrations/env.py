"""Alembic environment: runs as the schema owner against DATABASE_URL (or the embedded server)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from platform_core.db.engine import owner_engine
from platform_core.db.migrate import include_object_for
from platform_core.models import metadata

config = context.config


def _run(connection: Connection) -> None:
    include_object = include_object_for(connection)
    connection.commit()  # the catalog query above must not hold the migration's transaction open
    context.configure(
        connection=connection,
        target_metadata=metadata,
        include_object=include_object,
        compare_type=True,
        transaction_per_migration=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("Offline (SQL script) migrations are not supported: run `ilp db migrate`.")

_connection: Connection | None = config.attributes.get("connection")
if _connection is None:
    with owner_engine().connect() as conn:
        _run(conn)
        conn.commit()
else:
    _run(_connection)
