"""Admin: is the database healthy: size and growth, cache hit ratio, connections and pools, indexes, slow
queries (when pg_stat_statements is available) and the monthly partitions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import streamlit as st

from dashboard import charts, data
from dashboard.components.page import page
from dashboard.components.tables import table
from platform_core.ops.metrics import take_snapshot

user, scope = page(
    __file__, caption="From the monitoring snapshots, taken on a schedule or with the button below."
)
STATUS = {
    "ok": (":green[:material/check_circle:]", "Healthy"),
    "warning": (":orange[:material/warning:]", "Warnings"),
    "critical": (":red[:material/error:]", "Critical"),
    "unknown": (":gray[:material/help:]", "No snapshot yet"),
}


def mb(value: float | None) -> str:
    return "–" if value is None else f"{value / 1e6:,.1f} MB"


health = data.health(scope)
overview, snap = health["overview"], health["overview"]["snapshot"]
icon, label = STATUS[overview["status"]]
head, action = st.columns([4, 1], vertical_alignment="center")
head.markdown(
    f"### {icon} {label}" + (f" · snapshot of {snap['taken_at']:%Y-%m-%d %H:%M} UTC" if snap else "")
)
fresh = snap is not None and datetime.now(UTC) - snap["taken_at"] < timedelta(minutes=1)
if action.button("Take a snapshot now", icon=":material/photo_camera:", disabled=fresh, width="stretch"):
    with st.spinner("Collecting database and tenant figures…"):
        take_snapshot()
    data.invalidate()
    st.rerun()
if snap is None:
    st.info("No monitoring snapshot has been taken yet.")
    st.stop()

m = snap["metrics"]
k1, k2, k3, k4, k5 = st.columns(5)
k1.metric(
    "Database size",
    mb(snap["size_bytes"]),
    border=True,
    delta=f"{mb(snap['growth_bytes_per_day'])}/day" if snap["growth_bytes_per_day"] else None,
    delta_color="off",
    delta_arrow="off",
)
k2.metric("Connections", f"{snap['connections']} / {snap['max_connections']}", border=True)
k3.metric(
    "Probe latency", f"{snap['latency_probe_ms']:.1f} ms" if snap["latency_probe_ms"] else "–", border=True
)
k4.metric(
    "Partitions",
    f"{overview['partitions']} hot",
    border=True,
    delta=f"{overview['archived_partitions']} archived",
    delta_color="off",
    delta_arrow="off",
)
k5.metric(
    "Replica lag",
    f"{snap['replication_lag_seconds']:.1f} s"
    if snap["replication_lag_seconds"] is not None
    else ("–" if snap["replication_configured"] else "no replica"),
    border=True,
)

g1, g2, g3 = st.columns(3)
g1.plotly_chart(charts.gauge(snap["cache_hit_ratio"] or 0, title="Cache hit ratio"), width="stretch")
g2.plotly_chart(
    charts.gauge(
        snap["connection_usage_ratio"] or 0,
        title="Connections used",
        good=0.6,
        warn=0.8,
        higher_is_better=False,
    ),
    width="stretch",
)
pools = m.get("pools", {})
busiest = max((p.get("usage_ratio") or 0 for p in pools.values()), default=0)
g3.plotly_chart(
    charts.gauge(busiest, title="App connection pool (busiest)", good=0.6, warn=0.8, higher_is_better=False),
    width="stretch",
)

tables_now = health["tables"]
latest = (
    tables_now.filter(pl.col("taken_at") == tables_now["taken_at"].max()) if tables_now.height else tables_now
)
biggest = latest.sort("total_bytes", descending=True).head(12)
left, right = st.columns(2)
left.plotly_chart(
    charts.horizontal_bars(
        biggest["table"].to_list(),
        [b / 1e6 for b in biggest["total_bytes"].to_list()],
        title="Largest tables (MB)",
        fmt="%{x:,.2f} MB",
    ),
    width="stretch",
)
growth = tables_now.filter(pl.col("table").is_in(biggest.head(6)["table"].to_list()))
right.plotly_chart(
    charts.lines(
        growth.with_columns((pl.col("total_bytes") / 1e6).alias("MB")),
        x_col="taken_at",
        y_col="MB",
        group_col="table",
        title="Growth of the largest tables",
        y_title="MB",
    ),
    width="stretch",
)

tab_idx, tab_slow, tab_parts, tab_pools = st.tabs(
    ["Index usage", "Slow queries", "Partitions", "Connection pools"]
)
with tab_idx:
    unused = health["indexes"].filter(pl.col("unused")).height
    st.caption(f"{unused} index(es) never scanned since statistics were reset.")
    table(health["indexes"].sort("scans"), name="index usage")
with tab_slow:
    if not snap["slow_queries_available"]:
        why = snap["slow_queries_note"] or "pg_stat_statements is not loaded"
        st.info(f"Slow queries are not available: {why}.")
    else:
        table(
            health["slow"],
            name="slow queries",
            column_config={"query": st.column_config.TextColumn(width="large")},
        )
with tab_parts:
    table(health["partitions"], name="partitions")
with tab_pools:
    table(
        pl.DataFrame([{"pool": k, **v} for k, v in pools.items()]) if pools else pl.DataFrame({"pool": []}),
        name="connection pools",
    )
    st.caption("Pools of the process that took the snapshot; the server-side view is the Connections figure.")
