"""Activity write path: playback tracker state per progress row, event lookup by id within a tenant.

Revision ID: 0010
Revises: 0002
Create Date: 2026-11-25

``student_progress.tracker_state`` keeps the played-segments fold (``PlaybackTracker.to_dict()`` plus the
milestones reached) so that ingest folds only newly stored events. ``ix_analytics_events_tenant_id_id``
serves the idempotency check of ingest: the primary key ``(tenant_id, occurred_at, id)`` holds the
partition key, so an ``id`` re-sent with another ``occurred_at`` is found by this index, not by the key.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # On the partitioned parent: PostgreSQL creates the index on every partition, present and future.
    op.create_index("ix_analytics_events_tenant_id_id", "analytics_events", ["tenant_id", "id"], unique=False)
    op.add_column(
        "student_progress",
        sa.Column(
            "tracker_state",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
    )


def downgrade() -> None:
    op.drop_column("student_progress", "tracker_state")
    op.drop_index("ix_analytics_events_tenant_id_id", table_name="analytics_events")
