"""Cached reads of the review queue, AI configurations and costs, and operations (health, alerts)."""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl
import streamlit as st

from dashboard.data.base import (
    TTL_ANALYTICS,
    TTL_CONTENT,
    TTL_LIVE,
    Scope,
    as_uuid,
    frame,
    session_for,
    start_of,
)
from dashboard.data.content import question_dict, video_list
from dashboard.data.learning import people_names
from platform_core.ai import budgets, review
from platform_core.ai import configs as ai_configs
from platform_core.analytics import ai_costs
from platform_core.analytics.sources import open_source
from platform_core.db.replica import read_session
from platform_core.models import QuestionSource
from platform_core.ops import health as ops_health


# -------------------------------------------------------------------------------------------- review
@st.cache_data(ttl=TTL_LIVE, show_spinner=False)
def review_queue(
    scope: Scope, video_id: str | None = None, source: str | None = "ai"
) -> list[dict[str, Any]]:
    """Questions awaiting review, oldest first, each with its video's title."""
    with session_for(scope) as s:
        found = review.pending_questions(
            s,
            video_id=as_uuid(video_id) if video_id else None,
            source=QuestionSource(source) if source else None,
            limit=1000,
        )
        rows = [question_dict(q) for q in found]
    videos_frame = video_list(scope)
    titles = dict(zip(videos_frame["video_id"], videos_frame["title"], strict=True))
    for row in rows:
        row["video_title"] = titles.get(row["video_id"], "")
    return sorted(rows, key=lambda r: r["created_at"])


REVIEW_SCHEMA = {
    "when": pl.Datetime(time_zone="UTC"),
    "action": pl.String,
    "reviewer": pl.String,
    "reason": pl.String,
    "status_before": pl.String,
    "status_after": pl.String,
}


@st.cache_data(ttl=TTL_LIVE, show_spinner=False)
def review_history(scope: Scope, question_id: str) -> pl.DataFrame:
    names = people_names(scope)
    with session_for(scope) as s:
        rows = [
            {
                "when": r.created_at,
                "action": r.action.value,
                "reviewer": names.get(str(r.reviewer_id), "system"),
                "reason": r.reason,
                "status_before": (r.before or {}).get("status"),
                "status_after": (r.after or {}).get("status"),
            }
            for r in review.review_history(s, question_id=as_uuid(question_id))
        ]
    return frame(rows, REVIEW_SCHEMA)


@st.cache_data(ttl=TTL_CONTENT, show_spinner=False)
def ai_config_names(scope: Scope) -> list[str]:
    with session_for(scope) as s:
        return [c.name for c in ai_configs.list_configs(s) if c.is_active]


# ------------------------------------------------------------------------------------------ AI costs
@st.cache_data(ttl=TTL_ANALYTICS, show_spinner=False)
def ai_spend(scope: Scope, by: tuple[str, ...], since: date, until: date) -> pl.DataFrame:
    with open_source(scope.tenant_id) as src:
        return ai_costs.ai_spend(src, by=by, since=start_of(since), until=start_of(until, 1))


@st.cache_data(ttl=TTL_ANALYTICS, show_spinner=False)
def ai_jobs(scope: Scope, since: date, until: date) -> pl.DataFrame:
    with open_source(scope.tenant_id) as src:
        return ai_costs.ai_job_costs(src, since=start_of(since), until=start_of(until, 1))


@st.cache_data(ttl=TTL_ANALYTICS, show_spinner=False)
def ai_cost_per_question(scope: Scope, since: date, until: date) -> pl.DataFrame:
    with open_source(scope.tenant_id) as src:
        return ai_costs.ai_cost_per_question(src, since=start_of(since), until=start_of(until, 1))


@st.cache_data(ttl=TTL_LIVE, show_spinner=False)
def ai_budget(scope: Scope) -> dict[str, Any]:
    """This month's burn-down (with forecast days), the forecast, the budget limits and alerts."""
    with open_source(scope.tenant_id) as src:
        burn = ai_costs.budget_burndown(src)
        forecast = ai_costs.budget_forecast(src)
    with session_for(scope) as s:
        budget = budgets.get_tenant_budget(s)
        statuses = [b.as_json() for b in budgets.budget_status(s)]
        alerts = [
            {"when": a.created_at, "level": a.level, "scope": a.scope, "message": a.message}
            for a in budgets.list_alerts(s)
        ]
        limit = (
            None if budget is None or budget.monthly_budget_usd is None else float(budget.monthly_budget_usd)
        )
        ratio = float(budget.soft_limit_ratio) if budget is not None else None
    return {
        "burn": burn,
        "forecast": forecast,
        "limit": limit,
        "soft_ratio": ratio,
        "statuses": statuses,
        "alerts": alerts,
    }


@st.cache_data(ttl=TTL_CONTENT, show_spinner=False)
def ai_config_list(scope: Scope) -> list[dict[str, Any]]:
    """Configurations as they may be shown: API keys only masked."""
    with session_for(scope) as s:
        return [ai_configs.describe(c) for c in ai_configs.list_configs(s)]


# ---------------------------------------------------------------------------------------- operations
@st.cache_data(ttl=TTL_LIVE, show_spinner=False)
def health(scope: Scope) -> dict[str, Any]:
    """The health overview, table sizes over time, index usage, slow queries and partitions (read on the
    replica when one is configured)."""
    with read_session(scope.tenant_id) as s:
        return {
            "overview": ops_health.health_overview(s).model_dump(),
            "tables": ops_health.table_growth(s),
            "size": ops_health.growth_series(s, "database.size_bytes"),
            "indexes": ops_health.index_usage(s),
            "slow": ops_health.slow_queries(s),
            "partitions": ops_health.partition_list(s),
        }


@st.cache_data(ttl=TTL_LIVE, show_spinner=False)
def alerts(scope: Scope) -> dict[str, Any]:
    with read_session(scope.tenant_id) as s:
        return {
            "active": [a.model_dump() for a in ops_health.active_alerts(s)],
            "history": ops_health.alert_history(s),
            "rules": ops_health.alert_rules(s),
        }
