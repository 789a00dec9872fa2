"""Admin: what needs attention now: open database and business alerts, AI budget alerts, and the history."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import data
from dashboard.components.links import link_to
from dashboard.components.page import page
from dashboard.components.tables import table

user, scope = page(
    __file__, caption="Alerts fire when a rule's metric crosses its threshold and resolve on their own."
)
SEVERITY = {"critical": (st.error, ":material/error:"), "warning": (st.warning, ":material/warning:")}

found = data.alerts(scope)
budget = data.ai_budget(scope)
active, budget_alerts = found["active"], budget["alerts"]

k1, k2, k3 = st.columns(3)
k1.metric("Open alerts", len(active), border=True)
k2.metric("Critical", sum(1 for a in active if a["severity"] == "critical"), border=True)
k3.metric("AI budget alerts this month", len(budget_alerts), border=True)

st.subheader("Open now")
if not active and not budget_alerts:
    st.success("Nothing needs attention.", icon=":material/check_circle:")
for alert in active:
    show, icon = SEVERITY.get(alert["severity"], (st.info, ":material/info:"))
    value = (
        f" (value {alert['value']:g}, threshold {alert['threshold']:g})"
        if alert["value"] is not None and alert["threshold"] is not None
        else ""
    )
    show(
        f"**{alert['rule']}** · {alert['scope']} · since {alert['fired_at']:%Y-%m-%d %H:%M} UTC  \n"
        f"{alert['message']}{value}",
        icon=icon,
    )
for alert in budget_alerts:
    show = st.error if alert["level"] == "hard" else st.warning
    show(
        f"**AI budget ({alert['scope']})** · {alert['when']:%Y-%m-%d %H:%M} UTC  \n{alert['message']}",
        icon=":material/payments:",
    )
link_to("ai_usage.py", "AI usage and budgets", icon=":material/payments:")
link_to("db_health.py", "Database health", icon=":material/monitor_heart:")

history_tab, rules_tab = st.tabs(["History", "Rules"])
with history_tab:
    history = found["history"]
    if history.height:
        st.caption(
            f"{history.filter(pl.col('resolved_at').is_not_null()).height} resolved, "
            f"{history.filter(pl.col('resolved_at').is_null()).height} open"
        )
    table(
        history,
        name="alert history",
        column_config={
            "fired_at": st.column_config.DatetimeColumn("Fired", format="YYYY-MM-DD HH:mm"),
            "resolved_at": st.column_config.DatetimeColumn("Resolved", format="YYYY-MM-DD HH:mm"),
            "message": st.column_config.TextColumn(width="large"),
        },
    )
with rules_tab:
    table(found["rules"], name="alert rules")
