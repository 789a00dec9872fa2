"""Operations tables: monitoring snapshots, partition archives, alert rules and incidents.

Database-wide tables (no ``tenant_id``) are written by operator tasks as the owner and only read by the
application role. Per-tenant operations data (which archived files hold a tenant's rows, business metrics,
business alerts) lives in tenant tables under Row-Level Security, so a tenant's dashboard sees only its own.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    BigInteger,
    CheckConstraint,
    Double,
    ForeignKey,
    Index,
    String,
    Text,
    Uuid,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from platform_core.models.base import Base, HasId, TenantScoped, str_enum


class MonitoringSnapshot(HasId, Base):
    __tablename__ = "monitoring_snapshots"

    taken_at: Mapped[datetime] = mapped_column(server_default=func.now())
    kind: Mapped[str] = mapped_column(String(32))
    metrics: Mapped[dict[str, Any]]

    __table_args__ = (Index("ix_monitoring_snapshots_kind_time", "kind", "taken_at"),)


class ArchiveState(enum.StrEnum):
    """Steps of archiving one partition, in order; each is committed before the next starts."""

    DETACHING = "detaching"
    DETACHED = "detached"
    WRITTEN = "written"
    VERIFIED = "verified"
    DROPPED = "dropped"


class ArchiveTier(enum.StrEnum):
    WARM = "warm"
    COLD = "cold"


class ArchivedPartition(HasId, Base):
    """One monthly partition on its way from PostgreSQL to Parquet (the archive state machine).

    While in flight the detached table lives in the ``ilp_archive`` schema as ``working_table``; the
    Parquet files become visible to readers (``archive_files.published``) in the same transaction that
    drops it, so every row is readable exactly once at every moment.
    """

    __tablename__ = "archived_partitions"

    parent_table: Mapped[str] = mapped_column(String(63))
    partition_name: Mapped[str] = mapped_column(String(63))
    working_table: Mapped[str | None] = mapped_column(String(63))
    range_start: Mapped[datetime]
    range_end: Mapped[datetime]
    state: Mapped[ArchiveState] = mapped_column(
        str_enum(ArchiveState, "archive_state"), server_default=ArchiveState.DETACHING.value
    )
    row_count: Mapped[int | None] = mapped_column(BigInteger)
    checksum: Mapped[str | None] = mapped_column(Text)
    parquet_checksum: Mapped[str | None] = mapped_column(Text)
    bytes_written: Mapped[int | None] = mapped_column(BigInteger)
    directory: Mapped[str | None] = mapped_column(Text)
    #: tenants with rows in the partition (their ``archive_files`` rows are written under each tenant)
    tenant_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(Uuid), server_default=text("'{}'"))
    attempts: Mapped[int] = mapped_column(server_default=text("0"))
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())
    detached_at: Mapped[datetime | None]
    written_at: Mapped[datetime | None]
    verified_at: Mapped[datetime | None]
    dropped_at: Mapped[datetime | None]

    __table_args__ = (
        CheckConstraint("parent_table IN ('analytics_events', 'audit_logs')", name="parent_table_known"),
        CheckConstraint("range_end > range_start", name="range_order"),
        Index(
            "uq_archived_partitions_in_flight",
            "parent_table",
            "partition_name",
            unique=True,
            postgresql_where=text("state <> 'dropped'"),
        ),
        Index("ix_archived_partitions_parent_range", "parent_table", "range_start"),
    )


class ArchiveFile(TenantScoped, Base):
    """The Parquet file(s) holding one tenant's rows of one archived partition, and where they are now."""

    __tablename__ = "archive_files"

    archive_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("archived_partitions.id", ondelete="RESTRICT"), primary_key=True
    )
    parent_table: Mapped[str] = mapped_column(String(63))
    range_start: Mapped[datetime]
    range_end: Mapped[datetime]
    tier: Mapped[ArchiveTier] = mapped_column(
        str_enum(ArchiveTier, "archive_tier"), server_default=ArchiveTier.WARM.value
    )
    #: paths relative to the archive root, e.g. ``warm/analytics_events/2024-01/<archive>/tenant_id=<t>/...``
    files: Mapped[list[Any]] = mapped_column(server_default=text("'[]'::jsonb"))
    row_count: Mapped[int] = mapped_column(BigInteger)
    checksum: Mapped[str] = mapped_column(Text)
    bytes: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    published: Mapped[bool] = mapped_column(server_default=text("false"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    moved_at: Mapped[datetime | None]

    __table_args__ = (
        Index("ix_archive_files_tenant_table_range", "tenant_id", "parent_table", "range_start"),
        Index("ix_archive_files_archive", "archive_id"),
    )


class AlertSeverity(enum.StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


class AlertStatus(enum.StrEnum):
    FIRING = "firing"
    RESOLVED = "resolved"


class AlertRuleRecord(Base):
    """The declared alert rules as last synchronised by ``ilp ops alerts`` (for display and history)."""

    __tablename__ = "alert_rules"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    scope: Mapped[str] = mapped_column(String(16))
    severity: Mapped[AlertSeverity] = mapped_column(str_enum(AlertSeverity, "alert_rule_severity"))
    definition: Mapped[dict[str, Any]]
    enabled: Mapped[bool] = mapped_column(server_default=text("true"))
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())

    __table_args__ = (CheckConstraint("scope IN ('database', 'tenant')", name="scope_known"),)


class AlertIncidentColumns:
    """An alert from the moment it fires until it resolves; the firing/resolved state changes are the
    timestamps, and the notification columns make webhook delivery at-least-once across runs."""

    rule_key: Mapped[str] = mapped_column(String(64))
    severity: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), server_default=AlertStatus.FIRING.value)
    value: Mapped[float | None] = mapped_column(Double)
    threshold: Mapped[float | None] = mapped_column(Double)
    message: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(server_default=text("'{}'::jsonb"))
    fired_at: Mapped[datetime] = mapped_column(server_default=func.now())
    last_seen_at: Mapped[datetime] = mapped_column(server_default=func.now())
    resolved_at: Mapped[datetime | None]
    notified_firing_at: Mapped[datetime | None]
    notified_resolved_at: Mapped[datetime | None]
    delivery_attempts: Mapped[int] = mapped_column(server_default=text("0"))
    last_delivery_error: Mapped[str | None] = mapped_column(Text)


class AlertIncident(HasId, AlertIncidentColumns, Base):
    """Database-wide alerts (connections, latency, growth, replication)."""

    __tablename__ = "alert_incidents"

    __table_args__ = (
        CheckConstraint("status IN ('firing', 'resolved')", name="status_known"),
        Index(
            "uq_alert_incidents_open", "rule_key", unique=True, postgresql_where=text("resolved_at IS NULL")
        ),
        Index("ix_alert_incidents_fired", "fired_at"),
    )


class TenantAlertIncident(TenantScoped, HasId, AlertIncidentColumns, Base):
    """Business alerts of one tenant (engagement drop, AI generation failures, video processing errors)."""

    __tablename__ = "tenant_alert_incidents"

    __table_args__ = (
        CheckConstraint("status IN ('firing', 'resolved')", name="status_known"),
        Index(
            "uq_tenant_alert_incidents_open",
            "tenant_id",
            "rule_key",
            unique=True,
            postgresql_where=text("resolved_at IS NULL"),
        ),
        Index("ix_tenant_alert_incidents_fired", "tenant_id", "fired_at"),
    )


class TenantMetricSnapshot(TenantScoped, HasId, Base):
    """Business metrics of one tenant at one moment (engagement, completion, AI success, error rate)."""

    __tablename__ = "tenant_metrics"

    taken_at: Mapped[datetime] = mapped_column(server_default=func.now())
    metrics: Mapped[dict[str, Any]]

    __table_args__ = (Index("ix_tenant_metrics_tenant_time", "tenant_id", "taken_at"),)
