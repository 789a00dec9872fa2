"""Monitoring snapshots (database-wide, not tenant-scoped): the history behind growth charts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, String, func
from sqlalchemy.orm import Mapped, mapped_column

from platform_core.models.base import Base, HasId


class MonitoringSnapshot(HasId, Base):
    __tablename__ = "monitoring_snapshots"

    taken_at: Mapped[datetime] = mapped_column(server_default=func.now())
    kind: Mapped[str] = mapped_column(String(32))
    metrics: Mapped[dict[str, Any]]

    __table_args__ = (Index("ix_monitoring_snapshots_kind_time", "kind", "taken_at"),)
