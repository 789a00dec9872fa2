"""At-risk learners: four transparent rules, each flag with a sentence that says why.

The thresholds are the tenant's ``settings.atRisk`` (``platform_core.tenancy.schemas.AtRiskRules``:
``inactiveDays``, ``minCoverage``, ``minPercent``, ``maxFailedAttempts``); callers may pass other rules
to explore ("what if the limit were 10 days?"). A student is at risk when any rule fires:

- ``inactive``: no activity for at least ``inactive_days`` whole days, or never active;
- ``low_coverage``: average coverage of the assigned videos below ``min_coverage``;
- ``low_grade``: a grade exists and is below ``min_percent``;
- ``failed_attempts``: more than ``max_failed_attempts`` attempts that were not correct.
"""

from __future__ import annotations

import json
from datetime import datetime

import polars as pl

from platform_core.analytics.scope import TENANT, Id
from platform_core.analytics.sources import Source, utc_now
from platform_core.tenancy.schemas import AtRiskRules
from platform_core.validation import validate_as

__all__ = ["AtRiskRules", "at_risk_students", "evaluate_at_risk", "rules_for_tenant"]

FLAG_COLUMNS = ("flag_inactive", "flag_low_coverage", "flag_low_grade", "flag_failed_attempts")


def rules_for_tenant(src: Source, **overrides: float | int) -> AtRiskRules:
    """The tenant's rules from its settings (defaults where unset), with keyword overrides applied
    (``inactive_days=10``...). Invalid overrides raise ``InvalidInput`` naming the rule."""
    raw = src.scalar(f"SELECT CAST(settings AS VARCHAR) FROM tenants WHERE id = {TENANT}")  # noqa: S608
    settings = json.loads(raw) if raw else {}
    rules = validate_as(AtRiskRules, settings.get("atRisk") or {}, root="settings.atRisk")
    if overrides:
        merged = rules.model_dump() | {k: v for k, v in overrides.items() if v is not None}
        rules = validate_as(AtRiskRules, merged, root="rules")
    return rules


def _pct(col: str) -> pl.Expr:
    return (pl.col(col) * 100).round(0).cast(pl.Int64).cast(pl.String)


def evaluate_at_risk(students: pl.DataFrame, rules: AtRiskRules) -> pl.DataFrame:
    """Add ``flag_*`` columns, ``at_risk`` and ``risk_reasons`` (list of sentences) to a frame with
    ``days_inactive`` (null = never active), ``avg_coverage``, ``grade`` and ``failed_attempts``."""
    inactive = pl.col("days_inactive").is_null() | (pl.col("days_inactive") >= rules.inactive_days)
    low_coverage = pl.col("avg_coverage").fill_null(0.0) < rules.min_coverage
    low_grade = pl.col("grade").is_not_null() & (pl.col("grade") < rules.min_percent)
    failed = pl.col("failed_attempts").fill_null(0) > rules.max_failed_attempts
    flagged = students.with_columns(
        inactive.alias("flag_inactive"),
        low_coverage.alias("flag_low_coverage"),
        low_grade.alias("flag_low_grade"),
        failed.alias("flag_failed_attempts"),
    )
    reasons = [
        pl.when(pl.col("flag_inactive")).then(
            pl.when(pl.col("days_inactive").is_null())
            .then(pl.lit("never active"))
            .otherwise(
                pl.format(
                    "inactive for {} days (limit {})", pl.col("days_inactive"), pl.lit(rules.inactive_days)
                )
            )
        ),
        pl.when(pl.col("flag_low_coverage")).then(
            pl.format(
                "average coverage {}% below {}%",
                _pct("avg_coverage").fill_null("0"),
                pl.lit(round(rules.min_coverage * 100)),
            )
        ),
        pl.when(pl.col("flag_low_grade")).then(
            pl.format(
                "grade {}% below {}%",
                pl.col("grade").round(1).cast(pl.String).str.replace(r"\.0$", ""),
                pl.lit(f"{rules.min_percent:g}"),
            )
        ),
        pl.when(pl.col("flag_failed_attempts")).then(
            pl.format(
                "{} failed attempts (more than {})",
                pl.col("failed_attempts"),
                pl.lit(rules.max_failed_attempts),
            )
        ),
    ]
    return flagged.with_columns(
        pl.any_horizontal(*FLAG_COLUMNS).alias("at_risk"),
        pl.concat_list(reasons).list.drop_nulls().alias("risk_reasons"),
    )


def at_risk_students(
    src: Source,
    *,
    class_id: Id | None = None,
    rules: AtRiskRules | None = None,
    now: datetime | None = None,
) -> pl.DataFrame:
    """Only the at-risk rows of :func:`platform_core.analytics.classes.class_students`, most flags first."""
    from platform_core.analytics.classes import class_students

    table = class_students(src, class_id=class_id, rules=rules, now=now or utc_now())
    return (
        table.filter(pl.col("at_risk"))
        .with_columns(pl.sum_horizontal(*FLAG_COLUMNS).alias("flags"))
        .sort(["flags", "class_id", "student_id"], descending=[True, False, False])
    )
