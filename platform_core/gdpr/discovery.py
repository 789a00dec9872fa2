"""Where a person's data is: tables whose foreign keys point at ``users``, found in the catalog, so tables
added later are covered without a list to maintain; and which text columns could hold their email."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

#: Fields that identify a person, per table, and what erasure puts there (SQL expressions; constants).
PERSONAL_FIELDS: dict[str, dict[str, str]] = {
    "users": {
        "email": "'erased+' || id::text || '@erased.invalid'",
        "display_name": "'Erased user'",
        "password_hash": "NULL",
        "preferences": "'{}'::jsonb",
        "is_active": "false",
        "failed_logins": "0",
        "locked_until": "NULL",
        "last_login_at": "NULL",
    },
    "student_sessions": {"device_fingerprint": "NULL", "device_info": "'{}'::jsonb"},
}
PSEUDONYM_NAME = "Erased user"


def pseudonym_email(user_id: object) -> str:
    return f"erased+{user_id}@erased.invalid"


@dataclass(frozen=True)
class Reference:
    table: str
    columns: tuple[str, ...]  # columns holding the user's id (besides tenant_id)
    can_select: bool
    can_update: bool


def user_references(session: Session) -> list[Reference]:
    """Tables (not partitions) with a foreign key to ``users``, and the referencing columns."""
    rows = session.execute(
        text(
            """
            SELECT c.conrelid::regclass::text AS table_name,
                   array_agg(DISTINCT a.attname::text ORDER BY a.attname::text) AS columns,
                   has_table_privilege(c.conrelid, 'SELECT') AS can_select,
                   has_table_privilege(c.conrelid, 'UPDATE') AS can_update
            FROM pg_constraint c
            JOIN pg_class t ON t.oid = c.conrelid AND NOT t.relispartition
            CROSS JOIN LATERAL unnest(c.conkey) AS k(attnum)
            JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum
            WHERE c.contype = 'f' AND c.confrelid = 'users'::regclass AND a.attname <> 'tenant_id'
              AND t.relnamespace = current_schema()::regnamespace
            GROUP BY c.conrelid
            ORDER BY 1
            """
        )
    ).all()
    return [Reference(r.table_name, tuple(r.columns), r.can_select, r.can_update) for r in rows]


def text_columns(session: Session) -> dict[str, list[tuple[str, str, bool]]]:
    """``{table: [(column, type, updatable)]}`` of text and JSON columns of tenant tables."""
    rows = session.execute(
        text(
            """
            SELECT c.relname AS table_name, a.attname AS column_name, format_type(a.atttypid, NULL) AS type,
                   has_column_privilege(c.oid, a.attnum, 'UPDATE') AS can_update
            FROM pg_class c
            JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
            WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p')
              AND NOT c.relispartition AND a.attgenerated = ''
              AND a.atttypid IN ('text'::regtype, 'varchar'::regtype, 'jsonb'::regtype, 'json'::regtype)
              AND EXISTS (SELECT FROM pg_attribute t WHERE t.attrelid = c.oid AND t.attname = 'tenant_id')
              AND has_table_privilege(c.oid, 'SELECT')
            ORDER BY 1, 2
            """
        )
    ).all()
    found: dict[str, list[tuple[str, str, bool]]] = {}
    for r in rows:
        found.setdefault(r.table_name, []).append((r.column_name, r.type, r.can_update))
    return found
