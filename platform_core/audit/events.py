"""Application-level audit events, written through the database function ``ilp_audit_event`` so that the
application role never gets INSERT on ``audit_logs`` itself (and so cannot forge data-change rows)."""

from __future__ import annotations

import enum
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session


class AuditAction(enum.StrEnum):
    LOGIN = "LOGIN"
    LOGIN_FAILED = "LOGIN_FAILED"
    LOGIN_LOCKED = "LOGIN_LOCKED"
    LOGOUT = "LOGOUT"
    ADMIN_ACTION = "ADMIN_ACTION"
    CONFIG_CHANGE = "CONFIG_CHANGE"
    REVIEW = "REVIEW"
    EXPORT = "EXPORT"
    GDPR_EXPORT = "GDPR_EXPORT"
    GDPR_ERASE = "GDPR_ERASE"


_RECORD = text("SELECT ilp_audit_event(:action, :table_name, :record_id, :details)").bindparams(
    bindparam("details", type_=JSONB)
)


def record_event(
    session: Session,
    action: AuditAction,
    *,
    table_name: str | None = None,
    record_id: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Add an audit row in the session's tenant, attributed to the session's acting user."""
    session.execute(
        _RECORD,
        {"action": action.value, "table_name": table_name, "record_id": record_id, "details": details or {}},
    )
