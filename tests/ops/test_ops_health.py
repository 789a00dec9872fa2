"""The health page's read API, called as the dashboard calls it: the application role, one tenant."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from platform_core.db.replica import read_session
from platform_core.db.session import tenant_session
from platform_core.models import ProcessingStatus, Video
from platform_core.ops import health
from platform_core.ops.alert_rules import DEFAULT_RULES
from platform_core.ops.alerts import evaluate_alerts
from platform_core.ops.archive import archive_partitions
from platform_core.ops.metrics import take_snapshot
from platform_core.validation import InvalidInput
from tests.ops.conftest import insert_events, make_learner, month, partition_name


@pytest.fixture(scope="module")
def scene(database, tmp_path_factory):
    """Two tenants, one with a broken video (a business alert); two snapshots; one archived month."""
    sick, healthy = make_learner("health-sick"), make_learner("health-ok")
    with tenant_session(sick.tenant_id) as s:
        s.add(Video(id=uuid.uuid4(), tenant_id=sick.tenant_id, title="v", duration_seconds=5,
                    processing_status=ProcessingStatus.FAILED))  # fmt: skip
    old = month(2007, 4)
    insert_events(healthy, old, 25)
    archive_dir = tmp_path_factory.mktemp("health-archive")
    archive_partitions(archive_dir=str(archive_dir), only={partition_name("analytics_events", old)},
                       move_tiers=False)  # fmt: skip
    now = datetime.now(UTC)
    take_snapshot(now=now - timedelta(hours=1))
    evaluate_alerts(rules=list(DEFAULT_RULES), now=now)
    return sick, healthy, old


def test_latest_snapshot_and_growth(scene) -> None:
    sick, _, _ = scene
    with tenant_session(sick.tenant_id) as s:
        snapshot = health.latest_snapshot(s)
        series = health.growth_series(s, "database.size_bytes")
        tables = health.table_growth(s)
        events_growth = health.growth_series(s, "tables.analytics_events.total_bytes")
    assert snapshot is not None and snapshot.size_bytes and snapshot.max_connections
    assert snapshot.slow_queries_available or "pg_stat_statements" in (snapshot.slow_queries_note or "")
    assert series.schema == pl.Schema({"taken_at": pl.Datetime("us", "UTC"), "value": pl.Float64})
    assert series.height >= 2 and series["taken_at"].is_sorted()
    assert events_growth.height >= 2
    assert {"analytics_events", "users"} <= set(tables["table"].to_list())


def test_indexes_and_slow_queries(scene) -> None:
    sick, _, _ = scene
    with tenant_session(sick.tenant_id) as s:
        indexes = health.index_usage(s)
        slow = health.slow_queries(s)
    assert "ix_analytics_events_user_time" in indexes["index"].to_list()
    assert indexes["unused"].dtype == pl.Boolean
    assert slow.columns == ["query", "calls", "mean_ms", "total_ms", "rows"]


def test_partition_list_shows_hot_and_archived(scene) -> None:
    sick, _, old = scene
    with read_session(sick.tenant_id) as s:  # also works read-only (the replica path)
        partitions = health.partition_list(s)
    now = datetime.now(UTC)
    rows = {(r["partition"], r["status"]) for r in partitions.iter_rows(named=True)}
    assert (f"analytics_events_p{now:%Y_%m}", "hot") in rows
    assert (partition_name("analytics_events", old), "archived") in rows


def test_alerts_are_the_tenants_own_plus_database_wide(scene) -> None:
    sick, healthy, _ = scene
    with tenant_session(sick.tenant_id) as s:
        sick_alerts = health.active_alerts(s)
        history = health.alert_history(s)
        rules = health.alert_rules(s)
        overview = health.health_overview(s)
        business = health.latest_business_metrics(s)
        videos_failed = health.business_series(s, "videos_failed")
    with tenant_session(healthy.tenant_id) as s:
        healthy_alerts = health.active_alerts(s)
    assert "video_processing_errors" in {a.rule for a in sick_alerts if a.scope == "tenant"}
    assert "video_processing_errors" not in {a.rule for a in healthy_alerts if a.scope == "tenant"}
    assert {a.rule for a in sick_alerts if a.scope == "database"} == {
        a.rule for a in healthy_alerts if a.scope == "database"
    }
    assert history.height >= 1 and "fired_at" in history.columns
    assert set(rules["key"].to_list()) >= {r.key for r in DEFAULT_RULES}
    assert overview.status in ("warning", "critical") and overview.snapshot is not None
    assert overview.partitions >= 1 and overview.archived_partitions >= 1
    assert business is not None and business.metrics["videos_failed"] == 1
    assert videos_failed["value"].to_list()[-1] == 1.0


def test_bad_metric_paths_are_refused(scene) -> None:
    sick, _, _ = scene
    with tenant_session(sick.tenant_id) as s, pytest.raises(InvalidInput, match="metric"):
        health.growth_series(s, "database'; DROP TABLE users; --")
