"""Reading the audit log: filtered, newest first, as a Polars DataFrame for tables and downloads."""

from __future__ import annotations

import json
import uuid
from datetime import datetime

import polars as pl
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from platform_core.models import AuditLog, User

AUDIT_COLUMNS = {
    "occurred_at": pl.Datetime(time_zone="UTC"),
    "action": pl.String,
    "table_name": pl.String,
    "record_id": pl.String,
    "actor_id": pl.String,
    "actor": pl.String,
    "changed_fields": pl.List(pl.String),
    "old_data": pl.String,
    "new_data": pl.String,
}


def audit_entries(
    session: Session,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    actions: list[str] | None = None,
    tables: list[str] | None = None,
    actor_id: uuid.UUID | None = None,
    record_id: str | None = None,
    limit: int = 500,
) -> pl.DataFrame:
    """Audit rows of the session's tenant matching every given filter, newest first.

    Columns: occurred_at, action, table_name, record_id, actor_id, actor (display name or blank for the
    system), changed_fields, old_data and new_data (JSON text).
    """
    if not 1 <= limit <= 10_000:
        raise ValueError("limit: must be between 1 and 10000")
    query = (
        select(
            AuditLog.occurred_at,
            AuditLog.action,
            AuditLog.table_name,
            AuditLog.record_id,
            AuditLog.actor_id,
            User.display_name,
            AuditLog.changed_fields,
            AuditLog.old_data,
            AuditLog.new_data,
        )
        .outerjoin(User, (User.tenant_id == AuditLog.tenant_id) & (User.id == AuditLog.actor_id))
        .order_by(AuditLog.occurred_at.desc())
        .limit(limit)
    )
    if since is not None:
        query = query.where(AuditLog.occurred_at >= since)
    if until is not None:
        query = query.where(AuditLog.occurred_at < until)
    if actions:
        query = query.where(AuditLog.action.in_(actions))
    if tables:
        query = query.where(AuditLog.table_name.in_(tables))
    if actor_id is not None:
        query = query.where(AuditLog.actor_id == actor_id)
    if record_id:
        query = query.where(AuditLog.record_id == record_id)
    rows = [
        (at, action, table, record, str(actor) if actor else None, name or "", fields, _json(old), _json(new))
        for at, action, table, record, actor, name, fields, old, new in session.execute(query)
    ]
    return pl.DataFrame(rows, schema=AUDIT_COLUMNS, orient="row")


def audit_facets(session: Session) -> dict[str, list[str]]:
    """The actions and tables present in the log, for filter widgets."""
    actions = session.scalars(select(AuditLog.action).distinct().order_by(AuditLog.action)).all()
    tables = session.scalars(
        select(AuditLog.table_name)
        .where(AuditLog.table_name.is_not(None))
        .distinct()
        .order_by(AuditLog.table_name)
    ).all()
    return {"actions": list(actions), "tables": [t for t in tables if t]}


def audit_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(AuditLog)) or 0


def _json(value: object) -> str | None:
    return None if value is None else json.dumps(value, sort_keys=True, default=str)
