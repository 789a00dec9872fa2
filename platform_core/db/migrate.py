"""Alembic, driven from code: upgrade, downgrade, current revision and drift detection."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

from platform_core.db.engine import owner_engine

PROJECT_ROOT = Path(__file__).resolve().parents[2]
MIGRATIONS_DIR = PROJECT_ROOT / "migrations"


def include_object_for(connection: Connection) -> Callable[..., bool]:
    """An Alembic ``include_object`` hook that ignores partitions (they are made by
    ``ensure_month_partitions()``, not by the models) and their indexes."""
    partitions = {
        name
        for (name,) in connection.execute(
            text(
                "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE c.relispartition AND n.nspname = current_schema()"
            )
        )
    }

    def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        if type_ == "table" and reflected and name in partitions:
            return False
        table = getattr(obj, "table", None)
        return not (type_ == "index" and reflected and table is not None and table.name in partitions)

    return include_object


def alembic_config(connection: Connection | None = None) -> Config:
    cfg = Config(str(PROJECT_ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def upgrade(revision: str = "heads", *, engine: Engine | None = None) -> None:
    with (engine or owner_engine()).connect() as conn:
        command.upgrade(alembic_config(conn), revision)
        conn.commit()


def downgrade(revision: str, *, engine: Engine | None = None) -> None:
    with (engine or owner_engine()).connect() as conn:
        command.downgrade(alembic_config(conn), revision)
        conn.commit()


def head_revision() -> str | None:
    """The head revision(s) of the scripts, comma-separated when branches have not been merged yet."""
    heads = sorted(ScriptDirectory.from_config(alembic_config()).get_heads())
    return ",".join(heads) or None


def current_revision(*, engine: Engine | None = None) -> str | None:
    """The database's revision(s), in the same form as :func:`head_revision`."""
    with (engine or owner_engine()).connect() as conn:
        heads = sorted(MigrationContext.configure(conn).get_current_heads())
    return ",".join(heads) or None


def schema_drift(*, engine: Engine | None = None) -> list[Any]:
    """Differences between the models and the database, as Alembic's autogenerate sees them."""
    from platform_core.models import metadata

    with (engine or owner_engine()).connect() as conn:
        ctx = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_object": include_object_for(conn)}
        )
        return list(compare_metadata(ctx, metadata))
