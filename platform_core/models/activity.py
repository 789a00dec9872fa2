"""Learner activity: cross-device sessions, progress, raw events and their quarantine, A/B experiments."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Double,
    Index,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from platform_core.models.base import Base, HasId, TenantScoped, Timestamps, str_enum, tenant_fk


class StudentSession(TenantScoped, HasId, Timestamps, Base):
    """One row per (student, video): where playback stands, on which device, and when it was last seen."""

    __tablename__ = "student_sessions"

    student_id: Mapped[uuid.UUID]
    video_id: Mapped[uuid.UUID]
    device_fingerprint: Mapped[str | None] = mapped_column(String(128))
    device_info: Mapped[dict[str, Any]] = mapped_column(server_default=text("'{}'::jsonb"))
    position_seconds: Mapped[float] = mapped_column(Double, server_default=text("0"))
    furthest_position_seconds: Mapped[float] = mapped_column(Double, server_default=text("0"))
    #: Client clock of the newest update applied; older or equal updates are stale and never move state back.
    last_client_at: Mapped[datetime | None]
    last_seen_at: Mapped[datetime] = mapped_column(server_default=func.now())
    is_active: Mapped[bool] = mapped_column(server_default=text("true"))
    state: Mapped[dict[str, Any]] = mapped_column(server_default=text("'{}'::jsonb"))
    started_at: Mapped[datetime] = mapped_column(server_default=func.now())

    __table_args__ = (
        tenant_fk(["student_id"], "users"),
        tenant_fk(["video_id"], "videos"),
        UniqueConstraint("tenant_id", "student_id", "video_id"),
        CheckConstraint(
            "position_seconds >= 0 AND furthest_position_seconds >= 0", name="positions_non_negative"
        ),
        Index(
            "idx_student_sessions_student_active",
            "tenant_id",
            "student_id",
            text("last_seen_at DESC"),
            postgresql_where=text("is_active"),
        ),
        Index(
            "ix_student_sessions_active_last_seen",
            "tenant_id",
            "last_seen_at",
            postgresql_where=text("is_active"),
        ),
    )


class StudentProgress(TenantScoped, HasId, Timestamps, Base):
    """Watched segments (a union of intervals) of one video by one student, and what follows from them."""

    __tablename__ = "student_progress"

    student_id: Mapped[uuid.UUID]
    video_id: Mapped[uuid.UUID]
    watched_segments: Mapped[list[Any]] = mapped_column(server_default=text("'[]'::jsonb"))
    watched_seconds: Mapped[float] = mapped_column(Double, server_default=text("0"))
    total_watch_seconds: Mapped[float] = mapped_column(Double, server_default=text("0"))
    coverage: Mapped[float] = mapped_column(Double, server_default=text("0"))
    completion_threshold: Mapped[float] = mapped_column(Double, server_default=text("0.95"))
    is_completed: Mapped[bool] = mapped_column(server_default=text("false"))
    completed_at: Mapped[datetime | None]
    last_position_seconds: Mapped[float] = mapped_column(Double, server_default=text("0"))
    milestone_details: Mapped[dict[str, Any]] = mapped_column(server_default=text("'{}'::jsonb"))
    remedial_detours: Mapped[int] = mapped_column(server_default=text("0"))
    last_event_at: Mapped[datetime | None]
    #: Playback fold state (tracker and milestones reached) so ingest folds only newly stored events.
    tracker_state: Mapped[dict[str, Any]] = mapped_column(server_default=text("'{}'::jsonb"))

    __table_args__ = (
        tenant_fk(["student_id"], "users"),
        tenant_fk(["video_id"], "videos"),
        UniqueConstraint("tenant_id", "student_id", "video_id"),
        CheckConstraint("coverage >= 0 AND coverage <= 1", name="coverage_range"),
        Index("idx_student_progress_student_completion", "tenant_id", "student_id", "is_completed"),
        Index("ix_student_progress_tenant_video", "tenant_id", "video_id"),
    )


class LessonProgress(TenantScoped, Base):
    __tablename__ = "lesson_progress"

    student_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    lesson_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    videos_completed: Mapped[int] = mapped_column(server_default=text("0"))
    videos_total: Mapped[int] = mapped_column(server_default=text("0"))
    is_completed: Mapped[bool] = mapped_column(server_default=text("false"))
    completed_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())

    __table_args__ = (
        tenant_fk(["student_id"], "users"),
        tenant_fk(["lesson_id"], "lessons"),
        Index("ix_lesson_progress_tenant_lesson", "tenant_id", "lesson_id", "is_completed"),
    )


class AnalyticsEvent(TenantScoped, Base):
    """Append-only raw events, range-partitioned by month of ``occurred_at`` (partitions: migrations/ops)."""

    __tablename__ = "analytics_events"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(primary_key=True)
    received_at: Mapped[datetime] = mapped_column(server_default=func.now())
    user_id: Mapped[uuid.UUID]
    session_id: Mapped[uuid.UUID | None]
    type: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(server_default=text("'{}'::jsonb"))
    context: Mapped[dict[str, Any] | None]

    __table_args__ = (
        PrimaryKeyConstraint("tenant_id", "occurred_at", "id"),
        tenant_fk(["user_id"], "users"),
        Index("ix_analytics_events_user_time", "tenant_id", "user_id", "occurred_at"),
        Index("ix_analytics_events_type_time", "tenant_id", "type", "occurred_at"),
        #: ``id`` is the idempotency key within a tenant, but the primary key also holds ``occurred_at``.
        Index("ix_analytics_events_tenant_id_id", "tenant_id", "id"),
        Index(
            "ix_analytics_events_video",
            "tenant_id",
            text("(data ->> 'video_id')"),
            "occurred_at",
            postgresql_where=text("data ? 'video_id'"),
        ),
        {"postgresql_partition_by": "RANGE (occurred_at)"},
    )


class EventQuarantine(TenantScoped, HasId, Base):
    """Events that failed validation, kept verbatim with the reason (never dropped silently)."""

    __tablename__ = "event_quarantine"

    received_at: Mapped[datetime] = mapped_column(server_default=func.now())
    batch_id: Mapped[uuid.UUID | None]
    event_id: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[dict[str, Any]]
    field: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_event_quarantine_tenant_received", "tenant_id", "received_at"),)


class ExperimentStatus(enum.StrEnum):
    DRAFT = "draft"
    RUNNING = "running"
    STOPPED = "stopped"


class Experiment(TenantScoped, HasId, Timestamps, Base):
    __tablename__ = "experiments"

    key: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    variants: Mapped[list[Any]] = mapped_column(server_default=text("'[]'::jsonb"))
    status: Mapped[ExperimentStatus] = mapped_column(
        str_enum(ExperimentStatus, "experiment_status"), server_default=ExperimentStatus.DRAFT.value
    )
    started_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]

    __table_args__ = (UniqueConstraint("tenant_id", "key"),)


class ExperimentAssignment(TenantScoped, Base):
    __tablename__ = "experiment_assignments"

    experiment_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    variant: Mapped[str] = mapped_column(String(64))
    assigned_at: Mapped[datetime] = mapped_column(server_default=func.now())

    __table_args__ = (
        tenant_fk(["experiment_id"], "experiments"),
        tenant_fk(["user_id"], "users"),
        Index("ix_experiment_assignments_variant", "tenant_id", "experiment_id", "variant"),
    )
