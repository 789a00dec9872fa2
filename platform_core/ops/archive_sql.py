"""Archived tables' columns and the order-independent checksum, computed the same way in PostgreSQL and
in DuckDB (over the Parquet files).

A row's canonical text joins its fields with ``|``; each field is ``<byte length>:<text>`` or ``~`` for NULL
(so no separator inside a value can make two rows look alike). Text renderings are chosen to agree across
the two engines: UUIDs in lowercase hex, timestamps as microseconds since the epoch, JSON as PostgreSQL's
``jsonb`` text (which the Parquet stores verbatim), text arrays element by element. A row hashes to the
first 60 bits of the MD5 of its canonical text; the checksum of a set of rows is ``<count>:<sum of
hashes>``, which does not depend on row order and changes if a row is lost, altered or duplicated.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["uuid", "timestamp", "text", "json", "text_array"]

#: Schema where detached partitions wait until their Parquet copy is verified (created by migration 0040).
ARCHIVE_SCHEMA = "ilp_archive"


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    duck_type: str


ARCHIVED_COLUMNS: dict[str, tuple[Column, ...]] = {
    "analytics_events": (
        Column("tenant_id", "uuid", "UUID"),
        Column("id", "uuid", "UUID"),
        Column("occurred_at", "timestamp", "TIMESTAMPTZ"),
        Column("received_at", "timestamp", "TIMESTAMPTZ"),
        Column("user_id", "uuid", "UUID"),
        Column("session_id", "uuid", "UUID"),
        Column("type", "text", "VARCHAR"),
        Column("data", "json", "VARCHAR"),
        Column("context", "json", "VARCHAR"),
    ),
    "audit_logs": (
        Column("tenant_id", "uuid", "UUID"),
        Column("id", "uuid", "UUID"),
        Column("occurred_at", "timestamp", "TIMESTAMPTZ"),
        Column("actor_id", "uuid", "UUID"),
        Column("action", "text", "VARCHAR"),
        Column("table_name", "text", "VARCHAR"),
        Column("record_id", "text", "VARCHAR"),
        Column("old_data", "json", "VARCHAR"),
        Column("new_data", "json", "VARCHAR"),
        Column("changed_fields", "text_array", "VARCHAR[]"),
        Column("context", "json", "VARCHAR"),
    ),
}


def _pg_text(column: Column) -> str:
    c = column.name
    if column.kind == "timestamp":
        return f"((extract(epoch FROM {c}) * 1000000)::bigint)::text"
    if column.kind == "text_array":
        elements = "SELECT string_agg(coalesce(octet_length(e)::text || ':' || e, '~'), ',' ORDER BY o)"
        unnest = f"unnest({c}) WITH ORDINALITY AS u(e, o)"
        listed = f"coalesce(({elements} FROM {unnest}), '')"
        return f"CASE WHEN {c} IS NULL THEN NULL ELSE cardinality({c})::text || '[' || {listed} END"
    return f"{c}::text"


def _duck_text(column: Column) -> str:
    c = column.name
    if column.kind == "timestamp":
        return f"epoch_us({c})::VARCHAR"
    if column.kind == "text_array":
        return (
            f"CASE WHEN {c} IS NULL THEN NULL ELSE len({c})::VARCHAR || '[' || array_to_string("
            f"list_transform({c}, e -> coalesce(strlen(e)::VARCHAR || ':' || e, '~')), ',') END"
        )
    return f"{c}::VARCHAR"


def _pg_hash(table: str) -> str:
    fields = " || '|' || ".join(
        f"coalesce(octet_length({_pg_text(c)})::text || ':' || {_pg_text(c)}, '~')"
        for c in ARCHIVED_COLUMNS[table]
    )
    return f"('x' || substr(md5({fields}), 1, 15))::bit(60)::bigint"


def _duck_hash(table: str) -> str:
    fields = " || '|' || ".join(
        f"coalesce(strlen({_duck_text(c)})::VARCHAR || ':' || {_duck_text(c)}, '~')"
        for c in ARCHIVED_COLUMNS[table]
    )
    return f"('0x' || substr(md5({fields}), 1, 15))::BIGINT"


#: ``SELECT`` list (per tenant: tenant_id, rows, hash sum) for each table, in each engine.
PG_TENANT_CHECKSUMS = {
    table: f"tenant_id, count(*) AS n, coalesce(sum({_pg_hash(table)}), 0)::text AS s"
    for table in ARCHIVED_COLUMNS
}
DUCK_TENANT_CHECKSUMS = {
    table: "tenant_id::VARCHAR AS tenant_id, count(*) AS n, "
    f"coalesce(sum({_duck_hash(table)}), 0)::VARCHAR AS s"
    for table in ARCHIVED_COLUMNS
}
#: Column lists: as stored in Parquet (read from PostgreSQL), and cast for the hot+cold union.
COLUMN_LIST = {table: ", ".join(c.name for c in cols) for table, cols in ARCHIVED_COLUMNS.items()}
DUCK_CAST_LIST = {
    table: ", ".join(f"CAST({c.name} AS {c.duck_type}) AS {c.name}" for c in cols)
    for table, cols in ARCHIVED_COLUMNS.items()
}


def checksum(rows: int, hash_sum: int) -> str:
    return f"{rows}:{hash_sum}"


def combine(parts: dict[str, tuple[int, int]]) -> tuple[int, str]:
    """Total rows and checksum of several per-tenant ``(rows, hash_sum)`` parts."""
    rows = sum(n for n, _ in parts.values())
    return rows, checksum(rows, sum(s for _, s in parts.values()))
