"""Read API of the admin health page: snapshots, growth series, partitions and alerts.

Every function takes a session of the application role (``tenant_session`` or ``read_session`` for the
signed-in admin's tenant). Database-wide figures come from the shared operations tables; business
figures and business alerts come from tenant tables under Row-Level Security, so an admin only ever sees
their own tenant's. Tables come back as Polars DataFrames, single records as pydantic models.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Literal

import polars as pl
from pydantic import BaseModel
from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session
from sqlalchemy.types import Text

from platform_core.ops.metrics import KIND
from platform_core.ops.partitions import list_partitions
from platform_core.validation import InvalidInput

METRIC_PATH = re.compile(r"^[a-z_][a-z0-9_]*(\.[a-z0-9_]+)*$")
UTC_DATETIME = pl.Datetime("us", "UTC")


class DatabaseSnapshot(BaseModel):
    """The latest database-wide snapshot, with the figures the page shows first."""

    taken_at: datetime
    size_bytes: int | None
    growth_bytes_per_day: float | None
    cache_hit_ratio: float | None
    connections: int | None
    max_connections: int | None
    connection_usage_ratio: float | None
    latency_probe_ms: float | None
    slow_queries_available: bool
    slow_queries_note: str | None
    unused_indexes: list[str]
    replication_configured: bool
    replication_lag_seconds: float | None
    metrics: dict[str, Any]


class TenantBusinessMetrics(BaseModel):
    taken_at: datetime
    metrics: dict[str, Any]


class AlertView(BaseModel):
    rule: str
    scope: Literal["database", "tenant"]
    severity: str
    status: str
    value: float | None
    threshold: float | None
    message: str
    fired_at: datetime
    resolved_at: datetime | None


class HealthOverview(BaseModel):
    status: Literal["ok", "warning", "critical", "unknown"]
    snapshot: DatabaseSnapshot | None
    business: TenantBusinessMetrics | None
    alerts: list[AlertView]
    partitions: int
    archived_partitions: int


def _path(metric: str) -> list[str]:
    if not METRIC_PATH.match(metric):
        raise InvalidInput("metric", f"not a dotted metric path: {metric!r}")
    return metric.split(".")


def _get(document: dict[str, Any], *path: str) -> Any:
    for part in path:
        if not isinstance(document, dict):
            return None
        document = document.get(part)  # type: ignore[assignment]
    return document


def latest_snapshot(session: Session) -> DatabaseSnapshot | None:
    row = session.execute(
        text(
            "SELECT taken_at, metrics FROM monitoring_snapshots WHERE kind = :k "
            "ORDER BY taken_at DESC LIMIT 1"
        ),
        {"k": KIND},
    ).first()
    if row is None:
        return None
    m = row.metrics
    statements = m.get("statements", {})
    return DatabaseSnapshot(
        taken_at=row.taken_at,
        size_bytes=_get(m, "database", "size_bytes"),
        growth_bytes_per_day=_get(m, "database", "growth_bytes_per_day"),
        cache_hit_ratio=_get(m, "database", "cache_hit_ratio"),
        connections=_get(m, "connections", "total"),
        max_connections=_get(m, "connections", "max"),
        connection_usage_ratio=_get(m, "connections", "usage_ratio"),
        latency_probe_ms=_get(m, "latency", "probe_ms"),
        slow_queries_available=bool(statements.get("available")),
        slow_queries_note=statements.get("reason"),
        unused_indexes=m.get("unused_indexes", []),
        replication_configured=bool(_get(m, "replication", "configured")),
        replication_lag_seconds=_get(m, "replication", "lag_seconds"),
        metrics=m,
    )


_SERIES = text(
    """
    SELECT taken_at, (metrics #>> :path)::float8 AS value FROM monitoring_snapshots
    WHERE kind = :kind AND jsonb_typeof(metrics #> :path) = 'number'
      AND (CAST(:since AS timestamptz) IS NULL OR taken_at >= :since)
    ORDER BY taken_at
    """
).bindparams(bindparam("path", type_=ARRAY(Text)))


def growth_series(
    session: Session, metric: str = "database.size_bytes", *, since: datetime | None = None
) -> pl.DataFrame:
    """``(taken_at, value)`` of one database-wide metric over time, e.g. ``database.size_bytes``,
    ``tables.analytics_events.total_bytes``, ``connections.total``, ``latency.probe_ms``."""
    rows = session.execute(_SERIES, {"path": _path(metric), "kind": KIND, "since": since}).all()
    return pl.DataFrame(
        [(r.taken_at, r.value) for r in rows],
        schema={"taken_at": UTC_DATETIME, "value": pl.Float64},
        orient="row",
    )


def table_growth(session: Session, *, since: datetime | None = None) -> pl.DataFrame:
    """``(taken_at, table, total_bytes, rows_estimate)`` for every table in every snapshot."""
    rows = session.execute(
        text(
            """
            SELECT s.taken_at, t.key AS table_name, (t.value ->> 'total_bytes')::bigint AS total_bytes,
                   (t.value ->> 'rows_estimate')::bigint AS rows_estimate
            FROM monitoring_snapshots s CROSS JOIN LATERAL jsonb_each(s.metrics -> 'tables') AS t
            WHERE s.kind = :kind AND (CAST(:since AS timestamptz) IS NULL OR s.taken_at >= :since)
            ORDER BY s.taken_at, t.key
            """
        ),
        {"kind": KIND, "since": since},
    ).all()
    schema = {
        "taken_at": UTC_DATETIME,
        "table": pl.String,
        "total_bytes": pl.Int64,
        "rows_estimate": pl.Int64,
    }
    return pl.DataFrame([tuple(r) for r in rows], schema=schema, orient="row")


def slow_queries(session: Session) -> pl.DataFrame:
    """The slowest statements of the latest snapshot (empty when pg_stat_statements is unavailable; the
    reason is :attr:`DatabaseSnapshot.slow_queries_note`)."""
    snapshot = latest_snapshot(session)
    top = (snapshot.metrics.get("statements", {}).get("top") or []) if snapshot else []
    schema = {
        "query": pl.String,
        "calls": pl.Int64,
        "mean_ms": pl.Float64,
        "total_ms": pl.Float64,
        "rows": pl.Int64,
    }
    return pl.DataFrame([{k: q.get(k) for k in schema} for q in top], schema=schema)


def index_usage(session: Session) -> pl.DataFrame:
    """Scans and size per index in the latest snapshot, with ``unused`` marking never-scanned ones."""
    snapshot = latest_snapshot(session)
    found = snapshot.metrics.get("indexes", {}) if snapshot else {}
    unused = set(snapshot.unused_indexes) if snapshot else set()
    schema = {
        "index": pl.String,
        "table": pl.String,
        "scans": pl.Int64,
        "size_bytes": pl.Int64,
        "unused": pl.Boolean,
    }
    rows = [
        (n, i.get("table_name"), i.get("scans"), i.get("size_bytes"), n in unused) for n, i in found.items()
    ]
    return pl.DataFrame(rows, schema=schema, orient="row")


def partition_list(session: Session) -> pl.DataFrame:
    """Monthly partitions: attached ones (``hot``), and archived ones with their archive state."""
    schema = {
        "table": pl.String, "partition": pl.String, "range_start": UTC_DATETIME, "range_end": UTC_DATETIME,
        "status": pl.String, "rows": pl.Int64, "bytes": pl.Int64,
    }  # fmt: skip
    rows: list[tuple[Any, ...]] = [
        (p.parent, p.name, p.range_start, p.range_end, "detaching" if p.detach_pending else "hot",
         p.rows_estimate, p.total_bytes)
        for p in list_partitions(session.connection())
    ]  # fmt: skip
    archived = session.execute(
        text(
            "SELECT parent_table, partition_name, range_start, range_end, state, row_count, bytes_written "
            "FROM archived_partitions ORDER BY parent_table, range_start"
        )
    ).all()
    rows += [(r[0], r[1], r[2], r[3], "archived" if r[4] == "dropped" else f"archiving ({r[4]})", r[5], r[6])
             for r in archived]  # fmt: skip
    frame = pl.DataFrame(rows, schema=schema, orient="row")
    return frame.sort(["table", "range_start", "status"])


def latest_business_metrics(session: Session) -> TenantBusinessMetrics | None:
    row = session.execute(
        text("SELECT taken_at, metrics FROM tenant_metrics ORDER BY taken_at DESC LIMIT 1")
    ).first()
    return TenantBusinessMetrics(taken_at=row.taken_at, metrics=row.metrics) if row else None


_TENANT_SERIES = text(
    """
    SELECT taken_at, (metrics #>> :path)::float8 AS value FROM tenant_metrics
    WHERE jsonb_typeof(metrics #> :path) = 'number'
      AND (CAST(:since AS timestamptz) IS NULL OR taken_at >= :since)
    ORDER BY taken_at
    """
).bindparams(bindparam("path", type_=ARRAY(Text)))


def business_series(
    session: Session, metric: str = "engagement_rate_7d", *, since: datetime | None = None
) -> pl.DataFrame:
    """``(taken_at, value)`` of one of the tenant's business metrics over time."""
    rows = session.execute(_TENANT_SERIES, {"path": _path(metric), "since": since}).all()
    return pl.DataFrame(
        [(r.taken_at, r.value) for r in rows],
        schema={"taken_at": UTC_DATETIME, "value": pl.Float64},
        orient="row",
    )


_ALERTS = """
    SELECT 'database' AS scope, rule_key, severity, status, value, threshold, message, fired_at, resolved_at
    FROM alert_incidents {where}
    UNION ALL
    SELECT 'tenant', rule_key, severity, status, value, threshold, message, fired_at, resolved_at
    FROM tenant_alert_incidents {where}
    ORDER BY fired_at DESC LIMIT :limit
"""
_OPEN_ALERTS = text(_ALERTS.format(where="WHERE resolved_at IS NULL"))
_ALL_ALERTS = text(_ALERTS.format(where=""))


def _alert(row: Any) -> AlertView:
    return AlertView(rule=row.rule_key, scope=row.scope, severity=row.severity, status=row.status,
                     value=row.value, threshold=row.threshold, message=row.message,
                     fired_at=row.fired_at, resolved_at=row.resolved_at)  # fmt: skip


def active_alerts(session: Session, *, limit: int = 200) -> list[AlertView]:
    """Open incidents: database-wide ones and the session tenant's business ones, newest first."""
    return [_alert(r) for r in session.execute(_OPEN_ALERTS, {"limit": limit})]


def alert_history(session: Session, *, limit: int = 200) -> pl.DataFrame:
    """Incidents (open and resolved) as a table, newest first: the state changes are fired/resolved."""
    schema = {
        "scope": pl.String, "rule": pl.String, "severity": pl.String, "status": pl.String,
        "value": pl.Float64, "threshold": pl.Float64, "message": pl.String, "fired_at": UTC_DATETIME,
        "resolved_at": UTC_DATETIME,
    }  # fmt: skip
    rows = [tuple(r) for r in session.execute(_ALL_ALERTS, {"limit": limit})]
    return pl.DataFrame(rows, schema=schema, orient="row")


def alert_rules(session: Session) -> pl.DataFrame:
    rows = session.execute(
        text("SELECT key, title, scope, severity, enabled, definition FROM alert_rules ORDER BY key")
    )
    schema = {
        "key": pl.String, "title": pl.String, "scope": pl.String, "severity": pl.String,
        "enabled": pl.Boolean, "metric": pl.String, "op": pl.String, "threshold": pl.Float64,
    }  # fmt: skip
    data = [
        (r.key, r.title, r.scope, r.severity, r.enabled, r.definition.get("metric"),
         r.definition.get("op"), r.definition.get("threshold"))
        for r in rows
    ]  # fmt: skip
    return pl.DataFrame(data, schema=schema, orient="row")


def health_overview(session: Session) -> HealthOverview:
    """Everything the health page shows first, with an overall status from the open alerts."""
    snapshot = latest_snapshot(session)
    alerts = active_alerts(session)
    severities = {a.severity for a in alerts}
    status: Literal["ok", "warning", "critical", "unknown"] = (
        "critical" if "critical" in severities else "warning" if "warning" in severities
        else "unknown" if snapshot is None else "ok"
    )  # fmt: skip
    partitions = partition_list(session)
    return HealthOverview(
        status=status,
        snapshot=snapshot,
        business=latest_business_metrics(session),
        alerts=alerts,
        partitions=partitions.filter(pl.col("status") == "hot").height,
        archived_partitions=partitions.filter(pl.col("status") == "archived").height,
    )
