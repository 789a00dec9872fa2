"""`ilp gdpr export`: everything about one person of one tenant, as JSON.

Read as the application role in the tenant's session, so nothing of another tenant can appear. Covered:
the users row (password hash left out), every row of every table whose foreign key points at the person
(found in the catalog), quarantined events they sent, audit rows they caused or that are about them, and
their archived events and audit rows (Parquet, through the archive manifest). Written as a stream: rows
are fetched and written in batches, so memory stays flat for people with many events.
"""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, TextIO

from sqlalchemy import text
from sqlalchemy.orm import Session

from platform_core.audit import AuditAction, record_event
from platform_core.gdpr.discovery import user_references
from platform_core.ops.sqlsafe import ident
from platform_core.validation import InvalidInput

FORMAT = "ilp-gdpr-export/1"
BATCH = 1000
HIDDEN_COLUMNS = {"password_hash", "api_key_ciphertext", "search"}


def _rows(session: Session, sql: str, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
    result = session.execute(text(sql).execution_options(yield_per=BATCH), params)
    for row in result.mappings():
        yield {k: v for k, v in row.items() if k not in HIDDEN_COLUMNS}


def _sections(
    session: Session, user_id: uuid.UUID, archive_dir: str | None
) -> Iterator[tuple[str, Iterator[dict[str, Any]]]]:
    params = {"u": user_id}
    for ref in user_references(session):
        if ref.table == "analytics_events" or not ref.can_select:
            continue  # events come with the archived ones below (one place for hot + cold)
        match = " OR ".join(f"{ident(c)} = :u" for c in ref.columns)
        yield ref.table, _rows(session, f"SELECT * FROM {ident(ref.table)} WHERE {match}", params)  # noqa: S608 - identifiers
    yield (
        "event_quarantine",
        _rows(
            session, "SELECT * FROM event_quarantine WHERE payload ->> 'user_id' = CAST(:u AS text)", params
        ),
    )
    yield (
        "audit_logs",
        _rows(
            session,
            "SELECT * FROM audit_logs WHERE actor_id = :u "
            "OR (table_name = 'users' AND record_id = CAST(:u AS text)) ORDER BY occurred_at",
            params,
        ),
    )
    yield "analytics_events", _events(session, user_id, archive_dir)
    yield "archived_audit_logs", _archived_audit(session, user_id, archive_dir)


def _duck_rows(
    session: Session, table: str, user_id: uuid.UUID, archive_dir: str | None, hot: bool
) -> Iterator[dict[str, Any]]:
    """The person's rows of ``table`` through the hot+archived DuckDB relation, as JSON objects."""
    import duckdb

    from platform_core.db.session import TENANT_KEY
    from platform_core.ops import duck
    from platform_core.ops.archive_view import archived_relation

    col, person = duckdb.ColumnExpression, duckdb.ConstantExpression(str(user_id))
    con = duck.connect()
    try:
        relation = archived_relation(con, tenant_id=session.info[TENANT_KEY], table=table, include_hot=hot,
                                     archive_dir=archive_dir, alias="gdpr_pg")  # fmt: skip
        if table == "analytics_events":
            mine = col("user_id") == person
        else:
            about = (col("table_name") == duckdb.ConstantExpression("users")) & (col("record_id") == person)
            mine = (col("actor_id") == person) | about
        relation.filter(mine).create_view("gdpr_rows")
        cursor = con.execute("SELECT to_json(r) FROM gdpr_rows r ORDER BY r.occurred_at")
        while batch := cursor.fetchmany(BATCH):
            for (document,) in batch:
                row = json.loads(document)
                for key in ("data", "context", "old_data", "new_data"):
                    if isinstance(row.get(key), str):
                        row[key] = json.loads(row[key])
                yield row
    finally:
        con.close()


def _events(session: Session, user_id: uuid.UUID, archive_dir: str | None) -> Iterator[dict[str, Any]]:
    """The person's events, hot and archived (one DuckDB relation over both)."""
    return _duck_rows(session, "analytics_events", user_id, archive_dir, hot=True)


def _archived_audit(
    session: Session, user_id: uuid.UUID, archive_dir: str | None
) -> Iterator[dict[str, Any]]:
    return _duck_rows(session, "audit_logs", user_id, archive_dir, hot=False)


def write_export(
    session: Session, *, user_id: uuid.UUID | str, out: TextIO, archive_dir: str | None = None
) -> dict[str, int]:
    """Stream the person's data to ``out`` as one JSON document; returns rows written per section.
    The export itself is audited (GDPR_EXPORT)."""
    try:
        user_id = uuid.UUID(str(user_id))
    except ValueError:
        raise InvalidInput("user", f"not a UUID: {user_id!r}") from None
    user = session.execute(text("SELECT * FROM users WHERE id = :u"), {"u": user_id}).mappings().first()
    if user is None:
        raise InvalidInput("user", f"no user {user_id} in this tenant")
    counts: dict[str, int] = {}
    header = {
        "format": FORMAT,
        "exported_at": datetime.now(UTC).isoformat(),
        "tenant_id": str(user["tenant_id"]),
        "user": {k: v for k, v in user.items() if k not in HIDDEN_COLUMNS},
    }
    out.write(json.dumps(header, default=str, ensure_ascii=False)[:-1] + ', "tables": {')
    for index, (name, rows) in enumerate(_sections(session, user_id, archive_dir)):
        out.write(("," if index else "") + f"\n{json.dumps(name)}: [")
        n = 0
        for row in rows:
            out.write(("," if n else "") + "\n  " + json.dumps(row, default=str, ensure_ascii=False))
            n += 1
        out.write("]")
        counts[name] = n
    out.write("\n}}\n")
    record_event(
        session, AuditAction.GDPR_EXPORT, table_name="users", record_id=str(user_id), details={"rows": counts}
    )
    return counts


def export_person(
    session: Session, *, user_id: uuid.UUID | str, archive_dir: str | None = None
) -> dict[str, Any]:
    """The export as a dict (for tests and small exports; the CLI streams with :func:`write_export`)."""
    buffer = io.StringIO()
    write_export(session, user_id=user_id, out=buffer, archive_dir=archive_dir)
    return json.loads(buffer.getvalue())
