"""Hot + in-flight + archived rows of one tenant as ONE DuckDB relation, so analytics does not care where
a row lives.

The relation unions, with identical column names and types:

- the attached partitions, read by DuckDB's PostgreSQL scanner as the application role (on the read
  replica when one is configured) with ``app.tenant_id`` set, so Row-Level Security limits it to the tenant;
- partitions in flight (detached, not yet dropped) in the ``ilp_archive`` schema, through the same RLS;
- the tenant's published Parquet files, as listed by ``archive_files`` (read under RLS, so a tenant only
  ever learns of its own files).

The file list and the in-flight tables are read in ONE statement (one snapshot), and the archiver
publishes files and drops a table in one transaction, so a row is never missing or counted twice. The
relation reflects the archive when it was built: build it per analysis, not once per process.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from typing import Any

import duckdb
from sqlalchemy import Engine, text
from sqlalchemy.engine import URL

from platform_core.db.replica import read_session, read_url
from platform_core.models import ArchiveTier
from platform_core.ops import duck
from platform_core.ops.archive_sql import ARCHIVE_SCHEMA, ARCHIVED_COLUMNS, DUCK_CAST_LIST
from platform_core.ops.archive_store import ArchiveStore
from platform_core.ops.sqlsafe import ident
from platform_core.validation import InvalidInput

_MANIFEST = text(
    """
    SELECT 'files' AS kind, f.files::text AS ref
      FROM archive_files f
     WHERE f.parent_table = :table AND f.published AND f.tier = ANY(:tiers)
    UNION ALL
    SELECT 'table', p.working_table
      FROM archived_partitions p
     WHERE p.parent_table = :table AND p.state IN ('detached', 'written', 'verified')
    """
)


def archive_manifest(
    tenant_id: uuid.UUID, table: str, tiers: Sequence[ArchiveTier], *, engine: Engine | None = None
) -> tuple[list[str], list[str]]:
    """``(relative Parquet paths, in-flight table names)`` visible to the tenant, from one snapshot."""
    files: list[str] = []
    tables: list[str] = []
    with read_session(tenant_id, engine=engine) as s:
        rows = s.execute(_MANIFEST, {"table": table, "tiers": [ArchiveTier(t).value for t in tiers]}).all()
    for kind, ref in rows:
        if kind == "files":
            files.extend(json.loads(ref))
        elif ref:
            tables.append(ref)
    return files, tables


def _empty(con: duckdb.DuckDBPyConnection, table: str) -> duckdb.DuckDBPyRelation:
    return con.sql(f"SELECT {DUCK_CAST_LIST[table]} FROM (SELECT {_NULLS[table]}) WHERE false")  # noqa: S608 - constants


_NULLS = {table: ", ".join(f"NULL AS {c.name}" for c in cols) for table, cols in ARCHIVED_COLUMNS.items()}


def archived_relation(
    con: duckdb.DuckDBPyConnection,
    *,
    tenant_id: uuid.UUID | str,
    table: str = "analytics_events",
    include_hot: bool = True,
    tiers: Sequence[ArchiveTier | str] = (ArchiveTier.WARM, ArchiveTier.COLD),
    view_name: str | None = None,
    alias: str = "pg_hot",
    archive_dir: str | None = None,
    url: URL | None = None,
    engine: Engine | None = None,
) -> duckdb.DuckDBPyRelation:
    """The tenant's rows of ``table`` (hot, in flight and archived) as a DuckDB relation on ``con``
    (a connection from :func:`platform_core.ops.duck.connect`). With ``view_name`` it is also registered
    as a temporary view, so SQL written for the live table runs unchanged over hot + archived data.

    ``url``/``engine`` override where the hot rows and the manifest are read (default: the replica's
    application URL when configured, else the primary's).
    """
    if table not in ARCHIVED_COLUMNS:
        raise InvalidInput("table", f"must be one of {', '.join(ARCHIVED_COLUMNS)}")
    try:
        tenant = uuid.UUID(str(tenant_id))
    except ValueError:
        raise InvalidInput("tenant_id", f"not a UUID: {tenant_id!r}") from None
    tier_values = [ArchiveTier(t) for t in tiers]
    store = ArchiveStore(archive_dir)
    files, in_flight = archive_manifest(tenant, table, tier_values, engine=engine)
    attached = {row[0] for row in con.execute("SELECT database_name FROM duckdb_databases()").fetchall()}
    if alias not in attached and (include_hot or in_flight):
        duck.attach_postgres(con, url or read_url(), alias=alias, tenant_id=tenant, read_only=True)

    parts: list[duckdb.DuckDBPyRelation] = []
    columns = DUCK_CAST_LIST[table]
    sources = [f"{ident(alias)}.public.{ident(table)}"] if include_hot else []
    sources += [f"{ident(alias)}.{ident(ARCHIVE_SCHEMA)}.{ident(working)}" for working in in_flight]
    for source in sources:
        parts.append(con.sql(f"SELECT {columns} FROM {source}"))  # noqa: S608 - identifiers only
    if files:
        paths = [str(store.path(f)) for f in files]
        parts.append(con.read_parquet(paths, hive_partitioning=False).project(DUCK_CAST_LIST[table]))
    relation = parts[0] if parts else _empty(con, table)
    for part in parts[1:]:
        relation = relation.union(part)
    # Defence in depth: RLS already limits the scanner to the tenant, and the files are the tenant's.
    relation = relation.filter(duckdb.ColumnExpression("tenant_id") == duckdb.ConstantExpression(str(tenant)))
    if view_name is not None:
        # A temporary view (catalog "temp", searched first): it also shadows the live table when the
        # attached PostgreSQL database is the connection's default (``USE pg``).
        con.register(ident(view_name).strip('"'), relation)
    return relation


def archived_events_relation(
    con: duckdb.DuckDBPyConnection, *, tenant_id: uuid.UUID | str, **options: Any
) -> duckdb.DuckDBPyRelation:
    """:func:`archived_relation` of ``analytics_events`` (``view_name`` defaults to ``analytics_events``)."""
    options.setdefault("view_name", "analytics_events")
    return archived_relation(con, tenant_id=tenant_id, table="analytics_events", **options)
