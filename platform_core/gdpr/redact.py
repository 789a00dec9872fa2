"""Redaction rules in Python, and their application to archived Parquet files.

The same rules as the SQL functions of migration 0040: in the person's own ``users`` audit rows the
personal keys are overwritten; their email addresses are replaced (case-insensitively) wherever they
appear in audit JSON; their events keep only the non-identifying context keys.

A file is rewritten by DuckDB (unaffected rows copied as they are, affected rows fixed in a temporary
table), checked (same row count), recorded (new checksum) and only then swapped in atomically.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from platform_core.models import ArchiveFile
from platform_core.ops import duck
from platform_core.ops.archive_sql import COLUMN_LIST
from platform_core.ops.archive_store import ArchiveStore
from platform_core.ops.sqlsafe import sql_literal

KEPT_CONTEXT_KEYS = ("experiment", "app_version")
NEVER = r"\x00\x00"  # JSON text never holds a raw NUL (and RE2 has no lookahead for "(?!)")


def _json_inner(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)[1:-1]


def email_pattern(emails: Iterable[str]) -> str | None:
    """A case-insensitive regular expression matching any of the emails as they appear in JSON text."""
    parts = sorted({re.escape(_json_inner(e)) for e in emails if e and len(e) >= 3}, key=len, reverse=True)
    return "|".join(parts) if parts else None


def replace_emails(document: str | None, emails: Iterable[str], replacement: str) -> str | None:
    pattern = email_pattern(e for e in emails if e != replacement)
    if document is None or pattern is None:
        return document
    return re.sub(pattern, lambda _m: _json_inner(replacement), document, flags=re.IGNORECASE)


def overwrite_keys(document: str | None, personal: dict[str, Any]) -> str | None:
    if document is None:
        return None
    data = json.loads(document)
    if not isinstance(data, dict):
        return document
    for key, value in personal.items():
        if key in data:
            data[key] = value
    return json.dumps(data, ensure_ascii=False)


def scrub_context(document: str | None) -> str | None:
    if document is None:
        return None
    data = json.loads(document)
    if not isinstance(data, dict):
        return None
    return json.dumps({k: v for k, v in data.items() if k in KEPT_CONTEXT_KEYS}, ensure_ascii=False)


def _fix_rows(con: Any, table: str, user: str, emails: list[str], personal: dict[str, Any]) -> int:
    """Apply the rules to the rows of the temporary table ``fixed``; returns how many rows changed."""
    pseudo = personal["email"]
    updates: list[tuple[Any, ...]] = []
    if table == "audit_logs":
        rows = con.execute(
            "SELECT id, table_name, record_id, old_data, new_data, context FROM fixed"
        ).fetchall()
        for row_id, table_name, record_id, old, new, context in rows:
            fixed = [old, new, context]
            if table_name == "users" and record_id == user:
                fixed[0], fixed[1] = overwrite_keys(old, personal), overwrite_keys(new, personal)
            fixed = [replace_emails(v, emails, pseudo) for v in fixed]
            if fixed != [old, new, context]:
                updates.append((*fixed, row_id))
        if updates:
            con.executemany("UPDATE fixed SET old_data = ?, new_data = ?, context = ? WHERE id = ?", updates)
    else:
        rows = con.execute("SELECT id, CAST(user_id AS VARCHAR), data, context FROM fixed").fetchall()
        for row_id, user_id, data, context in rows:
            fixed = [data, scrub_context(context) if user_id == user else context]
            fixed = [replace_emails(v, emails, pseudo) for v in fixed]
            if fixed != [data, context]:
                updates.append((*fixed, row_id))
        if updates:
            con.executemany("UPDATE fixed SET data = ?, context = ? WHERE id = ?", updates)
    return len(updates)


_AFFECTED = {
    "audit_logs": "(table_name = 'users' AND record_id = $user) OR regexp_matches("
    "coalesce(old_data, '') || coalesce(new_data, '') || coalesce(context, ''), $pattern, 'i')",
    "analytics_events": "(CAST(user_id AS VARCHAR) = $user AND context IS NOT NULL) OR regexp_matches("
    "coalesce(data, '') || coalesce(context, ''), $pattern, 'i')",
}


def _statements(table: str) -> dict[str, str]:
    affected = f"coalesce({_AFFECTED[table]}, false)"
    columns = COLUMN_LIST[table]
    return {
        "affected": f"SELECT count(*) FROM read_parquet($file) WHERE {affected}",  # noqa: S608 - constants
        "total": "SELECT count(*) FROM read_parquet($file)",
        "fixed": f"CREATE TEMP TABLE fixed AS SELECT * FROM read_parquet($file) WHERE {affected}",  # noqa: S608
        "redacted": (
            f"CREATE TEMP TABLE redacted AS SELECT {columns} FROM read_parquet($file) "  # noqa: S608 - constants
            f"WHERE NOT {affected} UNION ALL SELECT {columns} FROM fixed"
        ),
    }


_SQL = {table: _statements(table) for table in _AFFECTED}
PARQUET = "FORMAT parquet, COMPRESSION zstd"


def _rewrite(path: Path, table: str, user: str, emails: list[str], personal: dict[str, Any]) -> Path | None:
    """Write a redacted copy of ``path`` beside it; None when nothing in it concerns the person."""
    params = {"user": user, "pattern": email_pattern(emails) or NEVER, "file": str(path)}
    sql = _SQL[table]
    con = duck.connect()
    try:
        if not con.execute(sql["affected"], params).fetchone()[0]:  # type: ignore[index]
            return None
        total = con.execute(sql["total"], {"file": str(path)}).fetchone()[0]  # type: ignore[index]
        con.execute(sql["fixed"], params)
        if not _fix_rows(con, table, user, emails, personal):
            return None  # already redacted
        con.execute(sql["redacted"], params)
        written = con.execute("SELECT count(*) FROM redacted").fetchone()[0]  # type: ignore[index]
        if written != total:
            raise RuntimeError(f"redacting {path} would change its row count ({total} -> {written})")
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
        target = sql_literal(str(tmp))
        con.execute(f"COPY (SELECT * FROM redacted ORDER BY occurred_at) TO {target} ({PARQUET})")  # noqa: S608
        return tmp
    finally:
        con.close()


def redact_archived(
    *,
    engine: Engine,
    store: ArchiveStore,
    tenant_id: uuid.UUID,
    user_id: uuid.UUID,
    emails: list[str],
    personal: dict[str, Any],
) -> int:
    """Redact the person in every archived file of the tenant; returns the number of files rewritten.
    Idempotent: a file with nothing left to redact is not touched."""
    from platform_core.ops.archive import parquet_checksums

    with Session(engine, expire_on_commit=False) as s, s.begin():
        s.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(tenant_id)})
        entries = list(s.scalars(select(ArchiveFile).where(ArchiveFile.tenant_id == tenant_id)))
    rewritten = 0
    for entry in entries:
        replacements = {}
        for relative in entry.files:
            tmp = _rewrite(store.path(relative), entry.parent_table, str(user_id), emails, personal)
            if tmp is not None:
                replacements[relative] = tmp
        if not replacements:
            continue
        paths = [str(replacements.get(f) or store.path(f)) for f in entry.files]
        (found,) = parquet_checksums(entry.parent_table, paths).values()
        size = sum(Path(p).stat().st_size for p in paths)
        with Session(engine) as s, s.begin():  # record first: a crash before the swap redoes it next time
            s.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(tenant_id)})
            s.execute(
                text(
                    "UPDATE archive_files SET checksum = :c, bytes = :b "
                    "WHERE tenant_id = :t AND archive_id = :a"
                ),
                {"c": f"{found[0]}:{found[1]}", "b": size, "t": tenant_id, "a": entry.archive_id},
            )
        for relative, tmp in replacements.items():
            store.replace_file(tmp, relative)
            rewritten += 1
    return rewritten
