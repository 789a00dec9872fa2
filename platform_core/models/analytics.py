"""Analytics roll-ups: daily activity summaries maintained incrementally from the raw events.

Dashboards read these (with progress and grades) instead of ``analytics_events``, so their latency does
not grow with the event volume. ``platform_core.analytics.rollups.refresh_rollups`` maintains them: it
recomputes only the (user, day) keys touched by events or attempts received since its watermark.
Days are UTC calendar days of the event's ``occurred_at``.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import BigInteger, Double, Index, String, func, text
from sqlalchemy.orm import Mapped, mapped_column

from platform_core.models.activity import AnalyticsEvent
from platform_core.models.base import Base, TenantScoped, tenant_fk
from platform_core.models.grading import QuestionAttempt


class DailyVideoActivity(TenantScoped, Base):
    """One user's activity on one video during one UTC day."""

    __tablename__ = "analytics_daily_video_activity"

    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    video_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    events: Mapped[int] = mapped_column(server_default=text("0"))
    #: wall-clock seconds of playback: gaps after play/progress/seek events, each capped at 60 s
    watch_seconds: Mapped[float] = mapped_column(Double, server_default=text("0"))
    plays: Mapped[int] = mapped_column(server_default=text("0"))
    pauses: Mapped[int] = mapped_column(server_default=text("0"))
    seeks: Mapped[int] = mapped_column(server_default=text("0"))
    completes: Mapped[int] = mapped_column(server_default=text("0"))
    milestones_reached: Mapped[int] = mapped_column(server_default=text("0"))
    attempts: Mapped[int] = mapped_column(server_default=text("0"))
    correct_attempts: Mapped[int] = mapped_column(server_default=text("0"))
    first_activity_at: Mapped[datetime | None]
    last_activity_at: Mapped[datetime | None]
    refreshed_at: Mapped[datetime] = mapped_column(server_default=func.now())

    __table_args__ = (
        tenant_fk(["user_id"], "users"),
        tenant_fk(["video_id"], "videos"),
        Index("ix_analytics_daily_video_activity_video_day", "tenant_id", "video_id", "day"),
    )


class DailyUserActivity(TenantScoped, Base):
    """One user's activity of any kind (video, questions, navigation, logins) during one UTC day."""

    __tablename__ = "analytics_daily_user_activity"

    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    events: Mapped[int] = mapped_column(server_default=text("0"))
    video_events: Mapped[int] = mapped_column(server_default=text("0"))
    watch_seconds: Mapped[float] = mapped_column(Double, server_default=text("0"))
    attempts: Mapped[int] = mapped_column(server_default=text("0"))
    correct_attempts: Mapped[int] = mapped_column(server_default=text("0"))
    first_activity_at: Mapped[datetime | None]
    last_activity_at: Mapped[datetime | None]
    refreshed_at: Mapped[datetime] = mapped_column(server_default=func.now())

    __table_args__ = (
        tenant_fk(["user_id"], "users"),
        Index("ix_analytics_daily_user_activity_day", "tenant_id", "day"),
    )


class RollupState(TenantScoped, Base):
    """Where a roll-up's incremental refresh stands for a tenant (its watermark on ``received_at``)."""

    __tablename__ = "analytics_rollup_state"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: arrival time and id of the last event (attempt) folded in: the keyset position to resume after
    watermark: Mapped[datetime | None]
    watermark_id: Mapped[uuid.UUID | None]
    attempts_watermark: Mapped[datetime | None]
    attempts_watermark_id: Mapped[uuid.UUID | None]
    refreshed_at: Mapped[datetime | None]
    events_processed: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    keys_recomputed: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))


# The incremental refresh pages through new rows by (arrival time, id); these indexes keep that lookup
# independent of the table sizes. They belong to the roll-ups, so they are declared (and migrated) here.
Index(
    "ix_analytics_events_tenant_received",
    AnalyticsEvent.__table__.c.tenant_id,
    AnalyticsEvent.__table__.c.received_at,
    AnalyticsEvent.__table__.c.id,
)
Index(
    "ix_question_attempts_tenant_submitted",
    QuestionAttempt.__table__.c.tenant_id,
    QuestionAttempt.__table__.c.submitted_at,
    QuestionAttempt.__table__.c.id,
)
