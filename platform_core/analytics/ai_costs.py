"""AI cost analytics from the usage ledger (``ai_usage``), generation jobs and the questions they made.

Money is the settled ``cost_usd`` of each call, in USD. Calls without a price (``cost_usd`` NULL) are
counted as ``unpriced_calls`` and add nothing (unpriced is not free: look at them); calls still
``reserved`` (in flight) are not spend. Days are UTC.
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, timedelta

import polars as pl

from platform_core.analytics.scope import TENANT
from platform_core.analytics.sources import UTC_DATETIME, Source, utc_now

SPEND_KEYS = {
    "day": pl.col("created_at").dt.date().alias("day"),
    "provider": pl.col("provider"),
    "model": pl.col("model"),
    "tenant": pl.col("tenant_id"),
    "job": pl.col("job_id"),
    "config": pl.col("config_id"),
    "purpose": pl.col("purpose"),
}


def usage_rows(src: Source, *, since: datetime | None = None, until: datetime | None = None) -> pl.DataFrame:
    """Settled ledger rows in ``[since, until)``: one per provider call."""
    where = ""
    if since is not None:
        where += " AND u.created_at >= CAST(:since AS TIMESTAMPTZ)"
    if until is not None:
        where += " AND u.created_at < CAST(:until AS TIMESTAMPTZ)"
    return src.query(
        f"""
        SELECT CAST(u.tenant_id AS VARCHAR) AS tenant_id, u.created_at, u.provider,
               u.requested_model AS model, CAST(u.job_id AS VARCHAR) AS job_id,
               CAST(u.config_id AS VARCHAR) AS config_id, u.purpose, u.status, u.prompt_tokens,
               u.cached_tokens, u.completion_tokens, CAST(u.cost_usd AS FLOAT8) AS cost_usd
        FROM ai_usage u WHERE u.tenant_id = {TENANT} AND u.status <> 'reserved'{where}
        """,  # noqa: S608
        {"since": since, "until": until},
        {
            "tenant_id": pl.String,
            "created_at": UTC_DATETIME,
            "provider": pl.String,
            "model": pl.String,
            "job_id": pl.String,
            "config_id": pl.String,
            "purpose": pl.String,
            "status": pl.String,
            "prompt_tokens": pl.Int64,
            "cached_tokens": pl.Int64,
            "completion_tokens": pl.Int64,
            "cost_usd": pl.Float64,
        },
    )


def ai_spend(
    src: Source,
    *,
    by: tuple[str, ...] = ("day",),
    since: datetime | None = None,
    until: datetime | None = None,
) -> pl.DataFrame:
    """Spend grouped by any of ``day, provider, model, tenant, job, config, purpose``: ``calls``,
    ``priced_calls``, ``unpriced_calls``, token sums and ``cost_usd`` (sum of priced calls)."""
    unknown = [k for k in by if k not in SPEND_KEYS]
    if unknown:
        raise ValueError(f"by: unknown key(s) {unknown}; use {sorted(SPEND_KEYS)}")
    rows = usage_rows(src, since=since, until=until)
    keys = [SPEND_KEYS[k] for k in by]
    agg = [
        pl.len().cast(pl.Int64).alias("calls"),
        pl.col("cost_usd").is_not_null().sum().cast(pl.Int64).alias("priced_calls"),
        pl.col("cost_usd").is_null().sum().cast(pl.Int64).alias("unpriced_calls"),
        pl.col("prompt_tokens").sum().alias("prompt_tokens"),
        pl.col("cached_tokens").sum().alias("cached_tokens"),
        pl.col("completion_tokens").sum().alias("completion_tokens"),
        pl.col("cost_usd").fill_null(0.0).sum().alias("cost_usd"),
    ]
    names = [k if k != "tenant" else "tenant_id" for k in by]
    names = [n if n not in ("job", "config") else f"{n}_id" for n in names]
    if not by:
        return rows.select(agg)
    out = rows.group_by(keys).agg(agg)
    return out.rename(dict(zip(out.columns[: len(by)], names, strict=True))).sort(names, nulls_last=True)


JOB_SCHEMA = {
    "job_id": pl.String,
    "status": pl.String,
    "created_at": UTC_DATETIME,
    "provider": pl.String,
    "model": pl.String,
    "calls": pl.Int64,
    "cost_usd": pl.Float64,
    "generated": pl.Int64,
    "approved": pl.Int64,
    "rejected": pl.Int64,
    "rejected_candidates": pl.Int64,
}


def ai_job_costs(
    src: Source, *, since: datetime | None = None, until: datetime | None = None
) -> pl.DataFrame:
    """Per generation job created in ``[since, until)``: its config's provider and model, ledger ``calls``
    and ``cost_usd``, questions ``generated`` (linked to the job), ``approved`` (status approved or
    published), ``rejected`` (status rejected), ``rejected_candidates`` (failed a quality gate), plus
    ``cost_per_generated`` and ``cost_per_approved`` (null when the count is 0)."""
    where = ""
    if since is not None:
        where += " AND j.created_at >= CAST(:since AS TIMESTAMPTZ)"
    if until is not None:
        where += " AND j.created_at < CAST(:until AS TIMESTAMPTZ)"
    jobs = src.query(
        f"""
        SELECT CAST(j.id AS VARCHAR) AS job_id, j.status, j.created_at,
               coalesce(c.provider, 'unknown') AS provider, coalesce(c.model, 'unknown') AS model,
               (SELECT count(*) FROM ai_usage u WHERE u.tenant_id = j.tenant_id AND u.job_id = j.id
                  AND u.status <> 'reserved') AS calls,
               (SELECT coalesce(sum(CAST(u.cost_usd AS FLOAT8)), 0) FROM ai_usage u
                 WHERE u.tenant_id = j.tenant_id AND u.job_id = j.id AND u.status <> 'reserved') AS cost_usd,
               (SELECT count(*) FROM questions q WHERE q.tenant_id = j.tenant_id
                  AND q.generation_job_id = j.id) AS generated,
               (SELECT count(*) FROM questions q WHERE q.tenant_id = j.tenant_id
                  AND q.generation_job_id = j.id AND q.status IN ('approved', 'published')) AS approved,
               (SELECT count(*) FROM questions q WHERE q.tenant_id = j.tenant_id
                  AND q.generation_job_id = j.id AND q.status = 'rejected') AS rejected,
               (SELECT count(*) FROM ai_rejected_candidates r WHERE r.tenant_id = j.tenant_id
                  AND r.job_id = j.id) AS rejected_candidates
        FROM ai_generation_jobs j
        LEFT JOIN ai_configs c ON c.tenant_id = j.tenant_id AND c.id = j.config_id
        WHERE j.tenant_id = {TENANT}{where}
        """,  # noqa: S608
        {"since": since, "until": until},
        JOB_SCHEMA,
    ).sort("created_at", "job_id")
    return jobs.with_columns(
        _per("cost_usd", "generated").alias("cost_per_generated"),
        _per("cost_usd", "approved").alias("cost_per_approved"),
    )


def _per(num: str, den: str) -> pl.Expr:
    return pl.when(pl.col(den) > 0).then(pl.col(num) / pl.col(den)).otherwise(None)


def ai_cost_per_question(
    src: Source,
    *,
    by: tuple[str, ...] = ("provider", "model"),
    since: datetime | None = None,
    until: datetime | None = None,
) -> pl.DataFrame:
    """Jobs aggregated by ``provider``/``model``/``day`` (of job creation): ``jobs``, ``cost_usd``,
    ``generated``, ``approved``, ``rejected``, ``rejected_candidates``, ``cost_per_generated``,
    ``cost_per_approved``, ``approval_rate`` = approved / generated and ``review_approval_rate`` =
    approved / (approved + rejected)."""
    allowed = {"provider", "model", "day"}
    if not set(by) <= allowed:
        raise ValueError(f"by: use keys from {sorted(allowed)}")
    jobs = ai_job_costs(src, since=since, until=until).with_columns(
        pl.col("created_at").dt.date().alias("day")
    )
    out = jobs.group_by(list(by)).agg(
        pl.len().cast(pl.Int64).alias("jobs"),
        *[pl.col(c).sum() for c in ("cost_usd", "generated", "approved", "rejected", "rejected_candidates")],
    )
    return out.with_columns(
        _per("cost_usd", "generated").alias("cost_per_generated"),
        _per("cost_usd", "approved").alias("cost_per_approved"),
        _per("approved", "generated").alias("approval_rate"),
        pl.when((pl.col("approved") + pl.col("rejected")) > 0)
        .then(pl.col("approved") / (pl.col("approved") + pl.col("rejected")))
        .otherwise(None)
        .alias("review_approval_rate"),
    ).sort(list(by))


def monthly_budget(src: Source) -> float | None:
    """The tenant's monthly budget: ``ai_budgets`` when set, else the sum of its active configs'
    budgets, else None (no budget)."""
    if src.has_table("ai_budgets"):
        value = src.scalar(
            f"SELECT CAST(monthly_budget_usd AS FLOAT8) FROM ai_budgets WHERE tenant_id = {TENANT} "  # noqa: S608
            "AND monthly_budget_usd IS NOT NULL"
        )
        if value is not None:
            return float(value)
    value = src.scalar(
        f"SELECT sum(CAST(monthly_budget_usd AS FLOAT8)) FROM ai_configs WHERE tenant_id = {TENANT} "  # noqa: S608
        "AND is_active AND monthly_budget_usd IS NOT NULL"
    )
    return float(value) if value is not None else None


def budget_burndown(
    src: Source, *, now: datetime | None = None, budget_usd: float | None = None
) -> pl.DataFrame:
    """Every UTC day of ``now``'s month: ``spend_usd`` (actual, through today), ``cumulative_usd``,
    ``budget_usd``, ``remaining_usd`` and, for the days after today, ``is_forecast`` rows whose
    cumulative spend grows by the month-to-date daily run rate (spend so far / days elapsed, today
    included). ``budget_usd`` defaults to :func:`monthly_budget`."""
    now = (now or utc_now()).astimezone(UTC)
    first = date(now.year, now.month, 1)
    days_in_month = calendar.monthrange(now.year, now.month)[1]
    start = datetime(first.year, first.month, 1, tzinfo=UTC)
    rows = usage_rows(src, since=start, until=start + timedelta(days=days_in_month))
    rows = rows.filter(pl.col("created_at") <= now)
    daily = dict(
        rows.group_by(pl.col("created_at").dt.date().alias("day"))
        .agg(pl.col("cost_usd").fill_null(0.0).sum())
        .iter_rows()
    )
    budget = budget_usd if budget_usd is not None else monthly_budget(src)
    elapsed = now.day
    run_rate = sum(daily.values()) / elapsed
    out, cumulative = [], 0.0
    for offset in range(days_in_month):
        day = first + timedelta(days=offset)
        forecast = day.day > elapsed
        spend = run_rate if forecast else daily.get(day, 0.0)
        cumulative += spend
        remaining = budget - cumulative if budget is not None else None
        out.append((day, spend, cumulative, budget, remaining, forecast))
    return pl.DataFrame(
        out,
        schema={
            "day": pl.Date,
            "spend_usd": pl.Float64,
            "cumulative_usd": pl.Float64,
            "budget_usd": pl.Float64,
            "remaining_usd": pl.Float64,
            "is_forecast": pl.Boolean,
        },
        orient="row",
    )


def budget_forecast(
    src: Source, *, now: datetime | None = None, budget_usd: float | None = None
) -> pl.DataFrame:
    """One row: ``month_to_date_usd``, ``daily_run_rate_usd``, ``forecast_month_end_usd``, ``budget_usd``,
    ``forecast_over_budget``, ``exhausted_on`` (first day the forecast cumulative spend reaches the
    budget, null if never)."""
    burn = budget_burndown(src, now=now, budget_usd=budget_usd)
    actual = burn.filter(~pl.col("is_forecast"))
    mtd = float(actual["spend_usd"].sum())
    rate = mtd / max(actual.height, 1)
    total = float(burn["cumulative_usd"][-1])
    budget = burn["budget_usd"][0]
    exhausted = None
    if budget is not None:
        hit = burn.filter(pl.col("cumulative_usd") >= budget)
        exhausted = hit["day"][0] if hit.height else None
    return pl.DataFrame(
        [(mtd, rate, total, budget, (total > budget) if budget is not None else None, exhausted)],
        schema={
            "month_to_date_usd": pl.Float64,
            "daily_run_rate_usd": pl.Float64,
            "forecast_month_end_usd": pl.Float64,
            "budget_usd": pl.Float64,
            "forecast_over_budget": pl.Boolean,
            "exhausted_on": pl.Date,
        },
        orient="row",
    )


def ai_spend_all_tenants(
    *, by: tuple[str, ...] = ("tenant", "day"), since: datetime | None = None
) -> pl.DataFrame:
    """Admin view: :func:`ai_spend` for every active tenant (each read under its own tenant context)."""
    from platform_core.analytics.sources import open_source
    from platform_core.tenancy.tenants import list_tenants

    frames = []
    for tenant in list_tenants():
        if not tenant.is_active:
            continue
        with open_source(tenant.id) as src:
            frames.append(ai_spend(src, by=by if "tenant" in by else ("tenant", *by), since=since))
    return pl.concat(frames) if frames else pl.DataFrame()
