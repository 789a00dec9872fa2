"""Admin: what AI question generation costs: by day, provider, model and job, per approved question, and
this month's budget with its burn-down and forecast."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import charts, data
from dashboard.components.filters import date_range_param
from dashboard.components.page import page, writing
from dashboard.components.tables import table
from platform_core.ai import budgets

user, scope = page(
    __file__, caption="Costs come from the usage ledger: one row per provider call, priced at call time."
)

start, end = date_range_param("Period", days=30)
by_day = data.ai_spend(scope, ("day", "provider", "model"), start, end)
jobs = data.ai_jobs(scope, start, end)
per_question = data.ai_cost_per_question(scope, start, end)
budget = data.ai_budget(scope)

spent = float(by_day["cost_usd"].sum()) if by_day.height else 0.0
approved = int(jobs["approved"].sum()) if jobs.height else 0
forecast = budget["forecast"].row(0, named=True) if budget["forecast"].height else {}
k1, k2, k3, k4, k5 = st.columns(5)
k1.metric("Spent in period", f"${spent:,.4f}", border=True)
k2.metric(
    "Calls",
    f"{int(by_day['calls'].sum()) if by_day.height else 0:,}",
    border=True,
    delta=f"{int(by_day['unpriced_calls'].sum()) if by_day.height else 0} unpriced",
    delta_color="off",
    delta_arrow="off",
)
k3.metric("Questions approved", approved, border=True)
k4.metric("Per approved question", f"${spent / approved:,.4f}" if approved else "–", border=True)
k5.metric(
    "Month forecast",
    f"${forecast.get('forecast_month_end_usd') or 0:,.2f}",
    border=True,
    delta="over budget" if forecast.get("forecast_over_budget") else None,
    delta_color="inverse",
)

left, right = st.columns([1.4, 1])
left.plotly_chart(
    charts.stacked_by_day(
        by_day.with_columns(pl.concat_str("provider", "model", separator=" · ").alias("provider · model")),
        day_col="day",
        group_col="provider · model",
        value_col="cost_usd",
        title="Cost per day",
        money=True,
    ),
    width="stretch",
)
burn = budget["burn"]
actual = burn.filter(~pl.col("is_forecast"))
right.plotly_chart(
    charts.burn_down(
        actual["day"].to_list(),
        actual["spend_usd"].to_list(),
        budget=budget["limit"],
        period_days=burn.height,
        title="This month vs budget",
    ),
    width="stretch",
)
for status in budget["statuses"]:
    if status["level"] != "ok":
        (st.error if status["level"] == "hard" else st.warning)(
            f"{status['scope']} budget: ${float(status['spentUsd']):,.2f} spent "
            f"of ${float(status['limitUsd']):,.2f}"
        )

by_model = by_day.group_by("provider", "model").agg(pl.col("cost_usd").sum()) if by_day.height else by_day
labels = (
    [f"{p} · {m}" for p, m in zip(by_model["provider"], by_model["model"], strict=True)]
    if by_model.height
    else []
)
st.plotly_chart(
    charts.horizontal_bars(
        labels,
        by_model["cost_usd"].to_list() if labels else [],
        title="Cost by provider and model",
        money=True,
    ),
    width="stretch",
)

t1, t2, t3 = st.tabs(["Per approved question", "Per job", "Per day"])
with t1:
    table(
        per_question,
        name="cost per question",
        column_config={
            "approval_rate": st.column_config.ProgressColumn(
                "Approved", min_value=0, max_value=1, format="percent"
            ),
            "cost_per_approved": st.column_config.NumberColumn("$ / approved", format="$%.4f"),
        },
    )
with t2:
    table(
        jobs.sort("created_at", descending=True),
        name="generation jobs",
        column_config={"cost_usd": st.column_config.NumberColumn("Cost", format="$%.4f")},
    )
with t3:
    table(by_day, name="daily usage")

with st.expander("Monthly budget", icon=":material/savings:"), st.form("budget"):
    limit = st.number_input("Monthly limit (USD, 0 = none)", 0.0, 1e7, float(budget["limit"] or 0), 10.0)
    ratio = st.slider("Warn at", 0.1, 1.0, float(budget["soft_ratio"] or 0.8), 0.05, format="%.2f")
    if st.form_submit_button("Save budget", type="primary"):
        with writing(user, success="Budget saved") as s:
            budgets.set_tenant_budget(s, monthly_budget_usd=limit or None, soft_limit_ratio=ratio)
        st.rerun()
