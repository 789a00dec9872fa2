"""analytics roll-ups: daily activity summaries, their refresh state, arrival-time indexes

Revision ID: 0050
Revises: 0002
Create Date: 2026-11-25 16:56:54.162127

The roll-ups are derived data (rebuilt from events and attempts), so they are not row-audited.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from platform_core.db.ddl import tenant_table_ddl

revision: str = "0050"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("analytics_rollup_state", "analytics_daily_user_activity", "analytics_daily_video_activity")


def _counter(name: str) -> sa.Column:
    return sa.Column(name, sa.Integer(), server_default=sa.text("0"), nullable=False)


def _activity_times() -> list[sa.Column]:
    return [
        sa.Column("first_activity_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_activity_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "refreshed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
    ]


def upgrade() -> None:
    op.create_table(
        "analytics_rollup_state",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("watermark", sa.DateTime(timezone=True), nullable=True),
        sa.Column("watermark_id", sa.Uuid(), nullable=True),
        sa.Column("attempts_watermark", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts_watermark_id", sa.Uuid(), nullable=True),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("events_processed", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("keys_recomputed", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_analytics_rollup_state_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "name", name=op.f("pk_analytics_rollup_state")),
    )
    op.create_table(
        "analytics_daily_user_activity",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        _counter("events"),
        _counter("video_events"),
        sa.Column("watch_seconds", sa.Double(), server_default=sa.text("0"), nullable=False),
        _counter("attempts"),
        _counter("correct_attempts"),
        *_activity_times(),
        sa.ForeignKeyConstraint(
            ["tenant_id", "user_id"],
            ["users.tenant_id", "users.id"],
            name=op.f("fk_analytics_daily_user_activity_tenant_id_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_analytics_daily_user_activity_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "user_id", "day", name=op.f("pk_analytics_daily_user_activity")),
    )
    op.create_index(
        "ix_analytics_daily_user_activity_day", "analytics_daily_user_activity", ["tenant_id", "day"]
    )
    op.create_table(
        "analytics_daily_video_activity",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("video_id", sa.Uuid(), nullable=False),
        _counter("events"),
        sa.Column("watch_seconds", sa.Double(), server_default=sa.text("0"), nullable=False),
        _counter("plays"),
        _counter("pauses"),
        _counter("seeks"),
        _counter("completes"),
        _counter("milestones_reached"),
        _counter("attempts"),
        _counter("correct_attempts"),
        *_activity_times(),
        sa.ForeignKeyConstraint(
            ["tenant_id", "user_id"],
            ["users.tenant_id", "users.id"],
            name=op.f("fk_analytics_daily_video_activity_tenant_id_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "video_id"],
            ["videos.tenant_id", "videos.id"],
            name=op.f("fk_analytics_daily_video_activity_tenant_id_video_id_videos"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_analytics_daily_video_activity_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "tenant_id", "user_id", "day", "video_id", name=op.f("pk_analytics_daily_video_activity")
        ),
    )
    op.create_index(
        "ix_analytics_daily_video_activity_video_day",
        "analytics_daily_video_activity",
        ["tenant_id", "video_id", "day"],
    )
    # Arrival-time lookups of the incremental refresh (the events index spreads to every partition).
    op.create_index(
        "ix_analytics_events_tenant_received", "analytics_events", ["tenant_id", "received_at", "id"]
    )
    op.create_index(
        "ix_question_attempts_tenant_submitted", "question_attempts", ["tenant_id", "submitted_at", "id"]
    )
    for table in TABLES:
        for statement in tenant_table_ddl(table):
            op.execute(statement)


def downgrade() -> None:
    op.drop_index("ix_question_attempts_tenant_submitted", table_name="question_attempts")
    op.drop_index("ix_analytics_events_tenant_received", table_name="analytics_events")
    for table in reversed(TABLES):
        op.drop_table(table)
