"""Fixtures of the operations tests: tenants with events in months of their own, an archive folder."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from platform_core.db.engine import owner_engine
from platform_core.db.session import tenant_session
from platform_core.tenancy.users import create_user
from tests.factories import TenantData, new_tenant

_EVENTS = text(
    """
    INSERT INTO analytics_events (tenant_id, id, occurred_at, user_id, type, data, context)
    SELECT CAST(:tenant AS uuid), gen_random_uuid(),
           CAST(:start AS timestamptz) + g * interval '37 seconds', CAST(:user AS uuid),
           (ARRAY['video_start', 'video_play', 'page_view', 'error_occurred'])[1 + g % 4],
           jsonb_build_object('video_id', CAST(:video AS text), 'position', (g % 120) + 0.25,
                              'note', 'quote '' "dq" \\ é ' || g),
           CASE WHEN g % 5 = 0 THEN NULL ELSE jsonb_build_object('user_agent', 'UA/' || g, 'device', 'phone',
                'experiment', jsonb_build_object('key', 'k', 'variant', 'a')) END
    FROM generate_series(0, :n - 1) AS g
    """
)
_AUDIT = text(
    """
    INSERT INTO audit_logs (tenant_id, occurred_at, actor_id, action, table_name, record_id,
                            old_data, new_data, changed_fields, context)
    SELECT CAST(:tenant AS uuid), CAST(:start AS timestamptz) + g * interval '1 hour', CAST(:user AS uuid),
           'UPDATE', 'lessons', 'r' || g, jsonb_build_object('title', 'old ' || g),
           jsonb_build_object('title', 'new ' || g),
           CASE WHEN g % 3 = 0 THEN NULL ELSE ARRAY['title', 'x,y'] END,
           '{}'::jsonb
    FROM generate_series(0, :n - 1) AS g
    """
)


@dataclass
class Learner:
    tenant: TenantData
    student_id: uuid.UUID

    @property
    def tenant_id(self) -> uuid.UUID:
        return self.tenant.tenant_id


def partition_name(parent: str, month: datetime) -> str:
    return f"{parent}_p{month:%Y_%m}"


def make_learner(prefix: str = "ops") -> Learner:
    tenant = new_tenant(prefix)
    with tenant_session(tenant.tenant_id) as s:
        student = create_user(
            s, email=f"learner@{tenant.slug}.test", display_name="Lea Learner", role="student"
        )
    return Learner(tenant, student.id)


def insert_events(learner: Learner, month: datetime, n: int, *, video_id: uuid.UUID | None = None) -> None:
    """``n`` events of the learner in ``month``, written as the application writes them."""
    with tenant_session(learner.tenant_id) as s:
        s.execute(text("SELECT ilp_ensure_month_partitions('analytics_events', :m, :m)"), {"m": month})
    with tenant_session(learner.tenant_id) as s:
        s.execute(
            _EVENTS,
            {
                "tenant": str(learner.tenant_id),
                "start": month,
                "user": str(learner.student_id),
                "video": str(video_id or uuid.uuid4()),
                "n": n,
            },
        )


def insert_old_audit(learner: Learner, month: datetime, n: int) -> None:
    """Audit rows dated in ``month`` (written by the owner: triggers only ever write ``now()``)."""
    with Session(owner_engine()) as s, s.begin():
        s.execute(text("SELECT ilp_ensure_month_partitions('audit_logs', :m, :m)"), {"m": month})
        s.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(learner.tenant_id)})
        s.execute(
            _AUDIT,
            {"tenant": str(learner.tenant_id), "start": month, "user": str(learner.student_id), "n": n},
        )


def month(year: int, month_: int) -> datetime:
    return datetime(year, month_, 1, tzinfo=UTC)


@pytest.fixture
def archive_dir(tmp_path: Path) -> Path:
    return tmp_path / "archive"
