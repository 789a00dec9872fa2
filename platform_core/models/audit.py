"""The audit trail. Rows are written by database triggers (data changes) and by the application (logins,
administrative actions); the application role can read and add but never change or remove them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ARRAY, Index, PrimaryKeyConstraint, String, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column

from platform_core.models.base import Base, TenantScoped


class AuditLog(TenantScoped, Base):
    __tablename__ = "audit_logs"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, server_default=text("gen_random_uuid()"))
    occurred_at: Mapped[datetime] = mapped_column(primary_key=True, server_default=func.now())
    actor_id: Mapped[uuid.UUID | None]
    action: Mapped[str] = mapped_column(String(32))
    table_name: Mapped[str | None] = mapped_column(String(63))
    record_id: Mapped[str | None] = mapped_column(Text)
    old_data: Mapped[dict[str, Any] | None]
    new_data: Mapped[dict[str, Any] | None]
    changed_fields: Mapped[list[str] | None] = mapped_column(ARRAY(Text))
    context: Mapped[dict[str, Any]] = mapped_column(server_default=text("'{}'::jsonb"))

    __table_args__ = (
        PrimaryKeyConstraint("tenant_id", "occurred_at", "id"),
        Index("ix_audit_logs_table_record", "tenant_id", "table_name", "record_id"),
        Index("ix_audit_logs_actor", "tenant_id", "actor_id", "occurred_at"),
        Index("ix_audit_logs_action", "tenant_id", "action", "occurred_at"),
        {"postgresql_partition_by": "RANGE (occurred_at)"},
    )
