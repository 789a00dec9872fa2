"""AI generation questions the cost notebook asks: tokens per question, and why generated questions were
kept or dropped, per provider and model."""

# ruff: noqa: S608 - SQL text is built from constants and column names; values are bound parameters

from __future__ import annotations

from datetime import datetime

import polars as pl

from platform_core.analytics import ai_costs
from platform_core.analytics.research.notebook import time_filter
from platform_core.analytics.scope import TENANT
from platform_core.analytics.sources import Source

TOKENS = ("prompt_tokens", "cached_tokens", "completion_tokens")
NO_REASON = "(no reason given)"
REASON_SCHEMA = {
    "provider": pl.String,
    "model": pl.String,
    "stage": pl.String,
    "outcome": pl.String,
    "reason": pl.String,
    "n": pl.Int64,
}
_JOB_CONFIG = (
    "JOIN ai_generation_jobs j ON j.tenant_id = {t}.tenant_id AND j.id = {t}.{job} "
    "LEFT JOIN ai_configs c ON c.tenant_id = j.tenant_id AND c.id = j.config_id"
)
_PROVIDER = "coalesce(CAST(c.provider AS VARCHAR), 'unknown')"
_MODEL = "coalesce(c.model, 'unknown')"


def tokens_per_question(
    src: Source,
    *,
    by: tuple[str, ...] = ("provider", "model"),
    since: datetime | None = None,
    until: datetime | None = None,
) -> pl.DataFrame:
    """Generation jobs created in ``[since, until)``, grouped ``by`` their config's provider and/or model:
    ``jobs``, the token sums of every ledger call of those jobs (repairs and retries included), questions
    ``generated`` and ``approved``, and ``tokens_per_generated`` / ``tokens_per_approved`` (prompt +
    completion tokens per question; null without such questions)."""
    if not by or not set(by) <= {"provider", "model"}:
        raise ValueError("by: use one or both of 'provider', 'model'")
    jobs = ai_costs.ai_job_costs(src, since=since, until=until).select(
        "job_id", "provider", "model", "generated", "approved"
    )
    usage = (
        ai_costs.usage_rows(src)
        .filter(pl.col("job_id").is_not_null())
        .group_by("job_id")
        .agg(pl.col(t).sum() for t in TOKENS)
    )
    per_job = jobs.join(usage, on="job_id", how="left").with_columns(pl.col(t).fill_null(0) for t in TOKENS)
    out = per_job.group_by(list(by)).agg(
        pl.len().cast(pl.Int64).alias("jobs"), *[pl.col(c).sum() for c in (*TOKENS, "generated", "approved")]
    )
    total = pl.col("prompt_tokens") + pl.col("completion_tokens")
    return out.with_columns(
        pl.when(pl.col("generated") > 0).then(total / pl.col("generated")).alias("tokens_per_generated"),
        pl.when(pl.col("approved") > 0).then(total / pl.col("approved")).alias("tokens_per_approved"),
    ).sort(list(by))


def ai_review_reasons(
    src: Source, *, since: datetime | None = None, until: datetime | None = None
) -> pl.DataFrame:
    """Why generated questions were kept or dropped, per provider and model of the job's config.

    ``stage`` is ``quality_gate`` (a candidate refused by an automatic gate before anyone saw it;
    ``reason`` = the gate) or ``review`` (a person's decision on a generated question; ``reason`` = the
    stated reason, or ``approved`` / ``approved after edit``); ``outcome`` is ``approved`` or
    ``rejected``; ``count`` of such events in ``[since, until)``."""
    action = "CAST(v.action AS VARCHAR)"
    sql = f"""
        SELECT {_PROVIDER} AS provider, {_MODEL} AS model, 'quality_gate' AS stage, 'rejected' AS outcome,
               r.gate AS reason, count(*) AS n
        FROM ai_rejected_candidates r {_JOB_CONFIG.format(t="r", job="job_id")}
        WHERE r.tenant_id = {TENANT}{time_filter("r.created_at", since, until)}
        GROUP BY {_PROVIDER}, {_MODEL}, r.gate
        UNION ALL
        SELECT provider, model, 'review', outcome, reason, count(*) FROM (
            SELECT {_PROVIDER} AS provider, {_MODEL} AS model,
                   CASE WHEN {action} = 'reject' THEN 'rejected' ELSE 'approved' END AS outcome,
                   CASE WHEN {action} = 'approve' THEN 'approved'
                        WHEN {action} = 'edit_approve' THEN 'approved after edit'
                        ELSE coalesce(nullif(trim(v.reason), ''), '{NO_REASON}') END AS reason
            FROM question_reviews v JOIN questions q ON q.tenant_id = v.tenant_id AND q.id = v.question_id
            {_JOB_CONFIG.format(t="q", job="generation_job_id")}
            WHERE v.tenant_id = {TENANT} AND {action} IN ('approve', 'edit_approve', 'reject')
              {time_filter("v.created_at", since, until)}
        ) AS decisions
        GROUP BY provider, model, outcome, reason
    """
    return (
        src.query(sql, {"since": since, "until": until}, REASON_SCHEMA)
        .rename({"n": "count"})
        .sort(
            ["provider", "model", "stage", "count", "reason"], descending=[False, False, False, True, False]
        )
    )
