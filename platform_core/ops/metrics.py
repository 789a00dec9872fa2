"""`ilp ops metrics`: one monitoring snapshot, stored for growth charts and alerts.

A snapshot is one ``monitoring_snapshots`` row (kind ``database``: sizes, index usage, cache hit ratio,
connections and pools, slow queries, replication, partitions, archive) plus one ``tenant_metrics`` row
per active tenant (business figures, under RLS). Figures per interval (growth, connection failures,
query latency) compare with the previous snapshot, so the same command on a schedule builds the history.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, select, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from platform_core.db.engine import app_engine, owner_engine
from platform_core.db.replica import read_engine, replica_configured, replica_owner_url
from platform_core.models import MonitoringSnapshot, Tenant, TenantMetricSnapshot
from platform_core.ops import metrics_db
from platform_core.ops.metrics_business import tenant_business_metrics

KIND = "database"
TenantProgress = Callable[[int, int], None]


@dataclass
class SnapshotResult:
    id: uuid.UUID
    taken_at: datetime
    metrics: dict[str, Any]
    tenants: int


def latest_metrics(conn: Connection, kind: str = KIND) -> tuple[datetime, dict[str, Any]] | None:
    row = conn.execute(
        select(MonitoringSnapshot.taken_at, MonitoringSnapshot.metrics)
        .where(MonitoringSnapshot.kind == kind)
        .order_by(MonitoringSnapshot.taken_at.desc())
        .limit(1)
    ).first()
    return (row.taken_at, row.metrics) if row else None


def check_connection(url: Any, *, timeout: int = 5) -> dict[str, Any]:
    """Open a fresh connection (no pool) and run one query; ``ok``, ``ms`` and the error if any."""
    engine = create_engine(url, poolclass=NullPool, connect_args={"connect_timeout": timeout})
    started = time.perf_counter()
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1")).scalar()
        return {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 3), "error": None}
    except Exception as exc:  # any failure to connect is the finding itself
        return {"ok": False, "ms": None, "error": str(getattr(exc, "orig", exc)).strip()[:500]}
    finally:
        engine.dispose()


def replication(conn: Connection) -> dict[str, Any]:
    standbys = conn.execute(
        text(
            "SELECT application_name, state, extract(epoch FROM replay_lag)::float8 AS replay_lag_seconds "
            "FROM pg_stat_replication"
        )
    ).mappings()
    found: dict[str, Any] = {"configured": replica_configured(), "standbys": [dict(r) for r in standbys]}
    url = replica_owner_url()
    if url is None:
        return found
    engine = create_engine(url, poolclass=NullPool, connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as replica:
            row = replica.execute(
                text(
                    """
                    SELECT pg_is_in_recovery() AS in_recovery,
                           CASE WHEN NOT pg_is_in_recovery() THEN 0
                                WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
                                ELSE coalesce(extract(epoch FROM now() - pg_last_xact_replay_timestamp()), 0)
                           END::float8 AS lag_seconds
                    """
                )
            ).one()
        found.update(reachable=True, in_recovery=row.in_recovery, lag_seconds=row.lag_seconds, error=None)
        if not row.in_recovery:
            found["note"] = "the replica is not in recovery (not a physical standby): lag reported as 0"
    except Exception as exc:  # an unreachable replica is a finding
        found.update(reachable=False, lag_seconds=None, error=str(getattr(exc, "orig", exc)).strip()[:500])
    finally:
        engine.dispose()
    return found


def _interval(current: dict[str, Any], previous: dict[str, Any] | None, seconds: float | None) -> None:
    """Figures per interval since the previous snapshot (None when there is none, or stats were reset)."""
    db, conns, latency = current["database"], current["connections"], current["latency"]
    prev_db = (previous or {}).get("database", {})
    db["growth_bytes"] = db["size_bytes"] - prev_db["size_bytes"] if "size_bytes" in prev_db else None
    db["growth_bytes_per_day"] = (
        round(db["growth_bytes"] * 86400 / seconds, 3) if db["growth_bytes"] is not None and seconds else None
    )
    failed_before = prev_db.get("sessions_failed")
    delta = db["sessions_failed"] - failed_before if failed_before is not None else None
    conns["failures_delta"] = delta if delta is None or delta >= 0 else None
    prev_tables = (previous or {}).get("tables", {})
    for name, table in current["tables"].items():
        before = prev_tables.get(name, {}).get("total_bytes")
        table["growth_bytes"] = table["total_bytes"] - before if before is not None else None
    stmts, prev_stmts = current["statements"], (previous or {}).get("statements", {})
    prev_latency = (previous or {}).get("latency", {})
    latency.update(interval_calls=None, interval_mean_ms=None, increase_ratio=None)
    if stmts.get("available") and prev_stmts.get("available"):
        calls = stmts["calls"] - prev_stmts["calls"]
        if calls > 0:
            mean = (stmts["total_ms"] - prev_stmts["total_ms"]) / calls
            latency.update(interval_calls=calls, interval_mean_ms=round(mean, 4))
            before = prev_latency.get("interval_mean_ms")
            if before:
                latency["increase_ratio"] = round(mean / before, 4)


def collect_database_metrics(
    conn: Connection, previous: tuple[datetime, dict[str, Any]] | None, now: datetime
) -> dict[str, Any]:
    srv = metrics_db.server(conn)
    found_indexes = metrics_db.indexes(conn)
    metrics: dict[str, Any] = {
        "server": srv,
        "database": metrics_db.database(conn),
        "connections": metrics_db.connections(conn, srv["max_connections"]),
        "pools": metrics_db.pools({"owner": owner_engine(), "app": app_engine(), "read": read_engine()}),
        "tables": metrics_db.tables(conn),
        "indexes": found_indexes,
        "unused_indexes": metrics_db.unused_indexes(found_indexes),
        "statements": metrics_db.statements(conn),
        "long_running": metrics_db.long_running(conn),
        "latency": {"probe_ms": metrics_db.probe_latency(conn)},
        "replication": replication(conn),
        "partitions": metrics_db.partitions(conn),
        "archive": metrics_db.archive(conn),
    }
    disk = metrics_db.disk(conn)
    if disk is not None:
        metrics["disk"] = disk
    metrics["latency"]["source"] = "pg_stat_statements" if metrics["statements"]["available"] else "probe"
    seconds = (now - previous[0]).total_seconds() if previous else None
    _interval(metrics, previous[1] if previous else None, seconds)
    return metrics


def take_snapshot(
    *, engine: Engine | None = None, now: datetime | None = None, on_tenant: TenantProgress | None = None
) -> SnapshotResult:
    """Collect and store one snapshot (database-wide and per tenant); returns what was stored."""
    engine = engine or owner_engine()
    now = now or datetime.now(UTC)
    with engine.connect() as conn:
        previous = latest_metrics(conn)
        metrics = collect_database_metrics(conn, previous, now)
        conn.rollback()
    with Session(engine) as s:
        tenants = [t.id for t in s.scalars(select(Tenant).where(Tenant.is_active).order_by(Tenant.slug))]
    per_tenant: dict[uuid.UUID, dict[str, Any]] = {}
    with engine.begin() as conn:
        for done, tenant_id in enumerate(tenants, start=1):
            per_tenant[tenant_id] = tenant_business_metrics(conn, tenant_id, now)
            if on_tenant is not None:
                on_tenant(done, len(tenants))
    metrics["business"] = _totals(per_tenant)
    snapshot_id = uuid.uuid4()
    with Session(engine) as s, s.begin():
        s.add(MonitoringSnapshot(id=snapshot_id, taken_at=now, kind=KIND, metrics=metrics))
        for tenant_id, figures in per_tenant.items():
            s.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(tenant_id)})
            s.add(TenantMetricSnapshot(tenant_id=tenant_id, taken_at=now, metrics=figures))
            s.flush()
    return SnapshotResult(snapshot_id, now, metrics, len(tenants))


def _totals(per_tenant: dict[uuid.UUID, dict[str, Any]]) -> dict[str, Any]:
    """Platform-wide business figures (sums of counts; ratios recomputed from the sums)."""
    keys = [k for k, v in next(iter(per_tenant.values()), {}).items() if isinstance(v, int)]
    total = {k: sum(m[k] for m in per_tenant.values()) for k in keys}

    def ratio(a: str, b: str) -> float | None:
        return round(total[a] / total[b], 6) if total.get(b) else None

    total.update(
        tenants=len(per_tenant),
        engagement_rate_7d=ratio("active_students_7d", "students"),
        error_rate_24h=ratio("error_events_24h", "events_24h"),
        video_completion_rate=ratio("videos_completed", "video_progress"),
        ai_success_rate_7d=ratio("ai_jobs_succeeded_7d", "ai_jobs_7d"),
    )
    return total
