"""`ilp gdpr erase`: pseudonymise one person everywhere, keep every row so aggregates stay valid.

Runs as the application role in the tenant's session (Row-Level Security holds throughout, the acting
admin is recorded as the actor), in one transaction:

1. the users row gets a pseudonymous email and name; password, preferences and login state go; the
   person's sessions lose their device details; other personal fields of :data:`PERSONAL_FIELDS` too;
2. the person's email addresses are replaced in every updatable text/JSON column of the tenant's tables;
3. the erasure is audited (GDPR_ERASE, ids and counts only);
4. ``ilp_gdpr_redact_activity`` and ``ilp_gdpr_redact_audit`` (SECURITY DEFINER, migration 0040) redact
   raw events, quarantined payloads and the audit trail, which the application role may not update.
   They act only on one user of the current tenant, and only once that user is pseudonymised. This keeps
   the application role without UPDATE on audit_logs (history stays append-only for it) while letting a
   tenant admin carry out an erasure request without owner credentials; the alternative, running the
   erasure as the owner, would put the whole operation outside Row-Level Security.

Archived Parquet files are redacted first (while the database still knows the email addresses): a crash
between the two steps leaves redacted files and an intact database, and a re-run finishes the job.
Archives must not be in flight (their detached tables are outside the functions' reach).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from platform_core.audit import AuditAction, record_event
from platform_core.db.engine import owner_engine
from platform_core.db.session import tenant_session
from platform_core.gdpr.discovery import PERSONAL_FIELDS, PSEUDONYM_NAME, pseudonym_email, text_columns
from platform_core.gdpr.redact import redact_archived
from platform_core.ops.archive_store import ArchiveStore
from platform_core.ops.sqlsafe import ident
from platform_core.validation import InvalidInput

HANDLED_ELSEWHERE = {"users", "audit_logs", "analytics_events", "event_quarantine"}
ARCHIVE_LOCK = "ilp_archive"


class GdprError(RuntimeError):
    """The erasure cannot run now (e.g. an archive is in flight); nothing was changed."""


@dataclass
class ErasureReport:
    user_id: uuid.UUID
    rows_updated: dict[str, int] = field(default_factory=dict)
    activity_rows_redacted: int = 0
    audit_rows_redacted: int = 0
    archived_files_rewritten: int = 0
    remaining: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {**self.__dict__, "user_id": str(self.user_id)}


def _as_uuid(value: uuid.UUID | str, name: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise InvalidInput(name, f"not a UUID: {value!r}") from None


def personal_values(session: Session, user_id: uuid.UUID) -> tuple[list[str], list[str]]:
    """Every email and display name the person's users row has had (current row and audit history)."""
    rows = session.execute(
        text(
            """
            SELECT email AS e, display_name AS n FROM users WHERE id = :u
            UNION SELECT d ->> 'email', d ->> 'display_name' FROM audit_logs
              CROSS JOIN LATERAL (VALUES (old_data), (new_data)) AS v(d)
             WHERE table_name = 'users' AND record_id = CAST(:u AS text) AND d IS NOT NULL
            """
        ),
        {"u": user_id},
    ).all()
    emails = sorted({r.e for r in rows if r.e and not r.e.endswith("@erased.invalid")})
    names = sorted({r.n for r in rows if r.n and r.n != PSEUDONYM_NAME})
    return emails, names


def erase_person(
    *,
    tenant_id: uuid.UUID | str,
    user_id: uuid.UUID | str,
    acting_user_id: uuid.UUID | str | None = None,
    archive_dir: str | None = None,
    engine: Engine | None = None,
    owner: Engine | None = None,
) -> ErasureReport:
    """Pseudonymise the person (see the module docstring). Idempotent: erasing again changes nothing."""
    tenant_id, user_id = _as_uuid(tenant_id, "tenant"), _as_uuid(user_id, "user")
    owner = owner or owner_engine()
    report = ErasureReport(user_id)
    with owner.connect() as lock:
        lock.execute(text("SELECT pg_advisory_lock(hashtext(:k))"), {"k": ARCHIVE_LOCK})
        lock.commit()
        try:
            in_flight = lock.execute(
                text("SELECT count(*) FROM archived_partitions WHERE state <> 'dropped'")
            ).scalar()
            lock.commit()
            if in_flight:
                raise GdprError(
                    f"{in_flight} partition(s) are being archived: run `ilp ops archive` to finish first"
                )
            with tenant_session(tenant_id, user_id=acting_user_id, engine=engine) as s:
                if s.execute(text("SELECT 1 FROM users WHERE id = :u"), {"u": user_id}).first() is None:
                    raise InvalidInput("user", f"no user {user_id} in this tenant")
                emails, names = personal_values(s, user_id)
            personal = {"email": pseudonym_email(user_id), "display_name": PSEUDONYM_NAME, "preferences": {}}
            report.archived_files_rewritten = redact_archived(
                engine=owner, store=ArchiveStore(archive_dir), tenant_id=tenant_id, user_id=user_id,
                emails=emails, personal=personal,
            )  # fmt: skip
            with tenant_session(tenant_id, user_id=acting_user_id, engine=engine) as s:
                _erase_rows(s, user_id, emails, report)
                record_event(s, AuditAction.GDPR_ERASE, table_name="users", record_id=str(user_id),
                             details={"rows": report.rows_updated})  # fmt: skip
                report.activity_rows_redacted = s.execute(
                    text("SELECT ilp_gdpr_redact_activity(:u)"), {"u": user_id}
                ).scalar_one()
                report.audit_rows_redacted = s.execute(
                    text("SELECT ilp_gdpr_redact_audit(:u)"), {"u": user_id}
                ).scalar_one()
                report.remaining = find_personal_data(s, emails, names)
        finally:
            lock.execute(text("SELECT pg_advisory_unlock(hashtext(:k))"), {"k": ARCHIVE_LOCK})
            lock.commit()
    from platform_core.ops.cache import invalidate_user

    invalidate_user(tenant_id, user_id)
    return report


def _erase_rows(s: Session, user_id: uuid.UUID, emails: list[str], report: ErasureReport) -> None:
    owner_column = {"users": "id", "student_sessions": "student_id"}
    for table, fields in PERSONAL_FIELDS.items():
        assignments = ", ".join(f"{ident(column)} = {expression}" for column, expression in fields.items())
        changed = " OR ".join(f"{ident(c)} IS DISTINCT FROM {e}" for c, e in fields.items())
        key = ident(owner_column.get(table, "user_id"))
        result = s.execute(
            text(f"UPDATE {ident(table)} SET {assignments} WHERE {key} = :u AND ({changed})"),  # noqa: S608 - constants
            {"u": user_id},
        )
        report.rows_updated[table] = result.rowcount  # type: ignore[attr-defined]
    replacement = pseudonym_email(user_id)
    for table, columns in text_columns(s).items():
        if table in HANDLED_ELSEWHERE:
            continue
        for column, type_, can_update in columns:
            if not can_update:
                continue
            for email in emails:
                result = s.execute(_replace_sql(table, column, type_), {"e": email, "r": replacement})
                if result.rowcount:  # type: ignore[attr-defined]
                    label = f"{table}.{column}"
                    report.rows_updated[label] = report.rows_updated.get(label, 0) + result.rowcount  # type: ignore[attr-defined]


_REPLACE = {
    "jsonb": "UPDATE {t} SET {c} = replace({c}::text, :e, :r)::jsonb WHERE strpos({c}::text, :e) > 0",
    "json": "UPDATE {t} SET {c} = replace({c}::text, :e, :r)::json WHERE strpos({c}::text, :e) > 0",
    "text": "UPDATE {t} SET {c} = replace({c}, :e, :r) WHERE strpos({c}, :e) > 0",
}
_FIND = {
    "jsonb": "SELECT count(*) FROM {t} WHERE strpos(lower({c}::text), lower(:e)) > 0",
    "json": "SELECT count(*) FROM {t} WHERE strpos(lower({c}::text), lower(:e)) > 0",
    "text": "SELECT count(*) FROM {t} WHERE strpos(lower({c}), lower(:e)) > 0",
}
_NAMED = "SELECT count(*) FROM {t} WHERE {c} = :n"


def _kind(type_: str) -> str:
    return type_ if type_ in ("jsonb", "json") else "text"


def _replace_sql(table: str, column: str, type_: str) -> Any:
    return text(_REPLACE[_kind(type_)].format(t=ident(table), c=ident(column)))


def find_personal_data(s: Session, emails: list[str], names: list[str]) -> list[str]:
    """Where any of the person's emails (anywhere) or names (in personal fields) can still be read."""
    found = []
    for table, columns in text_columns(s).items():
        for column, type_, _ in columns:
            query = text(_FIND[_kind(type_)].format(t=ident(table), c=ident(column)))
            if any(s.execute(query, {"e": email}).scalar() for email in emails):
                found.append(f"{table}.{column}: email")
    for table, fields in PERSONAL_FIELDS.items():
        for column in (c for c in fields if c in ("email", "display_name")):
            query = text(_NAMED.format(t=ident(table), c=ident(column)))
            if any(s.execute(query, {"n": name}).scalar() for name in names):
                found.append(f"{table}.{column}: name (another user may share it)")
    return found
