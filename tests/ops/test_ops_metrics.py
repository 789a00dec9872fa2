"""Monitoring snapshots: database figures, figures per interval, business metrics per tenant (under RLS)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from platform_core.cli.main import app
from platform_core.db.session import tenant_session
from platform_core.models import (
    AIGenerationJob,
    JobStatus,
    MonitoringSnapshot,
    ProcessingStatus,
    TenantMetricSnapshot,
    Video,
)
from platform_core.ops.metrics import take_snapshot
from platform_core.tenancy.users import create_user
from tests.ops.conftest import Learner, make_learner


def business_tenant(now: datetime) -> Learner:
    """Two students (one active this week, one only last week), events with errors, AI jobs, a broken
    video."""
    learner = make_learner("biz")
    tid = learner.tenant_id
    with tenant_session(tid) as s:
        other = create_user(s, email=f"other@{learner.tenant.slug}.test", display_name="O", role="student")
        ok = Video(id=uuid.uuid4(), tenant_id=tid, title="ok", duration_seconds=60)
        broken = Video(id=uuid.uuid4(), tenant_id=tid, title="broken", duration_seconds=60,
                       processing_status=ProcessingStatus.FAILED, processing_error="codec")  # fmt: skip
        s.add_all([ok, broken])
        s.flush()
        statuses = [JobStatus.SUCCEEDED] * 3 + [JobStatus.FAILED]
        s.add_all([AIGenerationJob(tenant_id=tid, video_id=ok.id, status=st) for st in statuses])
        s.execute(text("SELECT ilp_ensure_month_partitions('analytics_events', :a, :b)"),
                  {"a": now - timedelta(days=20), "b": now})  # fmt: skip
        events = [
            (learner.student_id, now - timedelta(hours=2), "video_start"),
            (learner.student_id, now - timedelta(hours=3), "error_occurred"),
            (learner.student_id, now - timedelta(days=2), "video_play"),
            (other.id, now - timedelta(days=10), "video_play"),
        ]
        for user_id, moment, kind in events:
            s.execute(
                text("INSERT INTO analytics_events (tenant_id, id, occurred_at, user_id, type) "
                     "VALUES (:t, gen_random_uuid(), :at, :u, :k)"),
                {"t": tid, "at": moment, "u": user_id, "k": kind},
            )  # fmt: skip
    return learner


def test_snapshot_stores_database_and_business_metrics(database) -> None:
    now = datetime.now(UTC)
    learner = business_tenant(now)
    first = take_snapshot(now=now)
    m = first.metrics
    assert m["database"]["size_bytes"] > 0 and 0 <= m["database"]["cache_hit_ratio"] <= 1
    assert m["connections"]["max"] > 0 and m["connections"]["total"] >= 1
    assert m["tables"]["analytics_events"]["partitions"] >= 2
    assert m["tables"]["users"]["total_bytes"] > 0
    assert "ix_analytics_events_user_time" in m["indexes"]
    assert isinstance(m["unused_indexes"], list)
    assert m["latency"]["probe_ms"] > 0
    assert m["replication"]["configured"] is False
    assert m["partitions"]["analytics_events"]["months_ahead"] >= 1
    statements = m["statements"]
    if not statements["available"]:  # neither test server preloads pg_stat_statements
        assert "pg_stat_statements" in statements["reason"]
        assert m["latency"]["source"] == "probe"

    with tenant_session(learner.tenant_id) as s:  # business figures under RLS: only this tenant's
        rows = s.scalars(select(TenantMetricSnapshot).where(TenantMetricSnapshot.taken_at == now)).all()
    (biz,) = rows
    figures = biz.metrics
    assert figures["students"] == 2
    assert figures["active_students_7d"] == 1 and figures["active_students_prev_7d"] == 1
    assert figures["engagement_rate_7d"] == 0.5 and figures["engagement_change_7d"] == 1.0
    assert (
        figures["events_24h"] == 2 and figures["error_events_24h"] == 1 and figures["error_rate_24h"] == 0.5
    )
    assert figures["ai_jobs_7d"] == 4 and figures["ai_success_rate_7d"] == 0.75
    assert figures["videos_failed"] == 1 and figures["videos"] == 2

    second = take_snapshot(now=now + timedelta(hours=1))
    assert second.metrics["database"]["growth_bytes"] is not None
    assert second.metrics["connections"]["failures_delta"] is not None
    assert second.metrics["tables"]["users"]["growth_bytes"] is not None
    with Session(database.owner()) as s:
        stored = s.scalar(
            select(func.count()).select_from(MonitoringSnapshot).where(MonitoringSnapshot.kind == "database")
        )
    assert stored >= 2


def test_cli_prints_json(database) -> None:
    result = CliRunner().invoke(app, ["ops", "metrics", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["tenants"] >= 1 and "business" in report["metrics"]
