"""A/B experiments: per-variant outcomes with significance tests, effect sizes and confidence intervals.

Units are the users assigned to the experiment (``experiment_assignments``). Outcomes, per user:

- completion: with ``lesson_id``, the lesson is completed (``lesson_progress``); with ``video_id``, the
  video is completed (``student_progress``); otherwise at least one lesson completed. Missing = not.
- grade: the lesson's grade percentage with ``lesson_id``, else the mean over the user's lesson grades;
  users without a grade are left out of the grade comparison.

Each variant is compared with the control (the variant named ``control``, else the first in the
experiment's order): completion by Fisher's exact test when an expected cell count is below 5 (else
the chi-square test without continuity correction), difference in proportions with a 95 % Wald interval
and the odds ratio; grade by Welch's t-test (95 % interval of the mean difference, Hedges' g) and the
Mann-Whitney U test (rank-biserial correlation). Variants with fewer than two graded users get nulls.
"""

from __future__ import annotations

import json
import math
from typing import Any

import polars as pl

from platform_core.analytics.scope import TENANT, Id
from platform_core.analytics.sources import Source

Z95 = 1.959963984540054


class ExperimentNotFound(LookupError):
    pass


def _variants(src: Source, key: str) -> tuple[str, list[str]]:
    row = src.query(
        f"SELECT CAST(id AS VARCHAR) AS id, CAST(variants AS VARCHAR) AS variants FROM experiments "  # noqa: S608
        f"WHERE tenant_id = {TENANT} AND key = :key",
        {"key": key},
        {"id": pl.String, "variants": pl.String},
    )
    if row.height == 0:
        raise ExperimentNotFound(f"experiment_key: no experiment {key!r} in this tenant")
    declared = []
    for v in json.loads(row["variants"][0] or "[]"):
        name = v.get("key") or v.get("name") if isinstance(v, dict) else v
        if name is not None:
            declared.append(str(name))
    return row["id"][0], declared


def experiment_outcomes(
    src: Source, *, experiment_key: str, lesson_id: Id | None = None, video_id: Id | None = None
) -> pl.DataFrame:
    """One row per assigned user: ``user_id, variant, completed, grade`` (grade null when ungraded)."""
    exp_id, _ = _variants(src, experiment_key)
    if lesson_id is not None:
        completed = (
            "EXISTS (SELECT 1 FROM lesson_progress lp WHERE lp.tenant_id = a.tenant_id "
            "AND lp.student_id = a.user_id AND lp.lesson_id = CAST(:lesson_id AS UUID) AND lp.is_completed)"
        )
        grade = (
            "(SELECT max(g.percentage) FROM grades g WHERE g.tenant_id = a.tenant_id "
            "AND g.student_id = a.user_id AND g.lesson_id = CAST(:lesson_id AS UUID))"
        )
    else:
        grade = (
            "(SELECT avg(g.percentage) FROM grades g WHERE g.tenant_id = a.tenant_id "
            "AND g.student_id = a.user_id)"
        )
        if video_id is not None:
            completed = (
                "EXISTS (SELECT 1 FROM student_progress p WHERE p.tenant_id = a.tenant_id "
                "AND p.student_id = a.user_id AND p.video_id = CAST(:video_id AS UUID) AND p.is_completed)"
            )
        else:
            completed = (
                "EXISTS (SELECT 1 FROM lesson_progress lp WHERE lp.tenant_id = a.tenant_id "
                "AND lp.student_id = a.user_id AND lp.is_completed)"
            )
    return src.query(
        f"""
        SELECT CAST(a.user_id AS VARCHAR) AS user_id, a.variant, {completed} AS completed, {grade} AS grade
        FROM experiment_assignments a
        WHERE a.tenant_id = {TENANT} AND a.experiment_id = CAST(:experiment_id AS UUID)
        """,  # noqa: S608
        {"experiment_id": exp_id, "lesson_id": lesson_id, "video_id": video_id},
        {"user_id": pl.String, "variant": pl.String, "completed": pl.Boolean, "grade": pl.Float64},
    ).sort("variant", "user_id")


def _wilson(k: int, n: int) -> tuple[float | None, float | None]:
    if n == 0:
        return None, None
    p = k / n
    denom = 1 + Z95**2 / n
    centre = (p + Z95**2 / (2 * n)) / denom
    half = Z95 * math.sqrt(p * (1 - p) / n + Z95**2 / (4 * n * n)) / denom
    return centre - half, centre + half


def _completion_test(k1: int, n1: int, k0: int, n0: int) -> dict[str, Any]:
    from scipy.stats import chi2_contingency, fisher_exact

    table = [[k1, n1 - k1], [k0, n0 - k0]]
    out: dict[str, Any] = {"completion_test": None, "completion_p_value": None, "odds_ratio": None}
    if n1 == 0 or n0 == 0:
        return out
    total = n1 + n0
    done = k1 + k0
    if done in (0, total):  # nobody or everybody completed: no evidence either way
        out.update(completion_test="none", completion_p_value=1.0)
        return out
    expected = [n * c / total for n in (n1, n0) for c in (done, total - done)]
    if min(expected) < 5:
        res = fisher_exact(table)
        out.update(completion_test="fisher", completion_p_value=float(res.pvalue))
    else:
        _chi2, p, _dof, _exp = chi2_contingency(table, correction=False)
        out.update(completion_test="chi2", completion_p_value=float(p))
    a, b, c, d = k1, n1 - k1, k0, n0 - k0
    out["odds_ratio"] = (a * d) / (b * c) if b * c else None
    return out


def _grade_test(treat: list[float], control: list[float]) -> dict[str, Any]:
    from scipy.stats import mannwhitneyu, ttest_ind

    keys = (
        "grade_diff",
        "grade_diff_ci_low",
        "grade_diff_ci_high",
        "welch_p_value",
        "hedges_g",
        "mann_whitney_p_value",
        "rank_biserial",
    )
    out: dict[str, Any] = dict.fromkeys(keys)
    n1, n0 = len(treat), len(control)
    if n1 < 2 or n0 < 2:
        return out
    m1, m0 = sum(treat) / n1, sum(control) / n0
    out["grade_diff"] = m1 - m0
    v1 = sum((x - m1) ** 2 for x in treat) / (n1 - 1)
    v0 = sum((x - m0) ** 2 for x in control) / (n0 - 1)
    if v1 + v0 > 0:
        res = ttest_ind(treat, control, equal_var=False)
        ci = res.confidence_interval(0.95)
        out.update(
            welch_p_value=float(res.pvalue),
            grade_diff_ci_low=float(ci.low),
            grade_diff_ci_high=float(ci.high),
        )
        pooled = math.sqrt(((n1 - 1) * v1 + (n0 - 1) * v0) / (n1 + n0 - 2))
        if pooled > 0:
            out["hedges_g"] = (m1 - m0) / pooled * (1 - 3 / (4 * (n1 + n0) - 9))
    mw = mannwhitneyu(treat, control, alternative="two-sided")
    out["mann_whitney_p_value"] = float(mw.pvalue)
    out["rank_biserial"] = 2 * float(mw.statistic) / (n1 * n0) - 1
    return out


RESULT_SCHEMA = {
    "variant": pl.String,
    "is_control": pl.Boolean,
    "users": pl.Int64,
    "completed": pl.Int64,
    "completion_rate": pl.Float64,
    "completion_ci_low": pl.Float64,
    "completion_ci_high": pl.Float64,
    "graded": pl.Int64,
    "mean_grade": pl.Float64,
    "sd_grade": pl.Float64,
    "median_grade": pl.Float64,
    "completion_diff": pl.Float64,
    "completion_diff_ci_low": pl.Float64,
    "completion_diff_ci_high": pl.Float64,
    "completion_test": pl.String,
    "completion_p_value": pl.Float64,
    "odds_ratio": pl.Float64,
    "grade_diff": pl.Float64,
    "grade_diff_ci_low": pl.Float64,
    "grade_diff_ci_high": pl.Float64,
    "welch_p_value": pl.Float64,
    "hedges_g": pl.Float64,
    "mann_whitney_p_value": pl.Float64,
    "rank_biserial": pl.Float64,
}


def experiment_results(
    src: Source, *, experiment_key: str, lesson_id: Id | None = None, video_id: Id | None = None
) -> pl.DataFrame:
    """Per variant (columns ``RESULT_SCHEMA``): users, completion with its 95 % Wilson interval, grade
    summary, and for non-control variants the comparison with the control (see the module docstring)."""
    _, declared = _variants(src, experiment_key)
    outcomes = experiment_outcomes(src, experiment_key=experiment_key, lesson_id=lesson_id, video_id=video_id)
    seen = sorted(set(outcomes["variant"].to_list()))
    order = [v for v in declared if v in seen] + [v for v in seen if v not in declared]
    if not order:
        return pl.DataFrame(schema=RESULT_SCHEMA)
    control = "control" if "control" in order else order[0]
    stats: dict[str, dict[str, Any]] = {}
    for variant in order:
        rows = outcomes.filter(pl.col("variant") == variant)
        grades = [g for g in rows["grade"].to_list() if g is not None]
        n, k = rows.height, int(rows["completed"].sum())
        low, high = _wilson(k, n)
        mean = sum(grades) / len(grades) if grades else None
        sd = math.sqrt(sum((g - mean) ** 2 for g in grades) / (len(grades) - 1)) if len(grades) > 1 else None
        ordered = sorted(grades)
        mid = len(ordered) // 2
        median = (
            (ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2) if ordered else None
        )
        stats[variant] = {
            "variant": variant,
            "is_control": variant == control,
            "users": n,
            "completed": k,
            "completion_rate": k / n if n else None,
            "completion_ci_low": low,
            "completion_ci_high": high,
            "graded": len(grades),
            "mean_grade": mean,
            "sd_grade": sd,
            "median_grade": median,
            "_grades": grades,
        }
    base = stats[control]
    out = []
    for variant in order:
        row = dict(stats[variant])
        grades = row.pop("_grades")
        comparison: dict[str, Any] = {}
        if variant != control:
            p1, p0 = row["completion_rate"], base["completion_rate"]
            n1, n0 = row["users"], base["users"]
            diff = p1 - p0
            se = math.sqrt(p1 * (1 - p1) / n1 + p0 * (1 - p0) / n0)
            comparison = {
                "completion_diff": diff,
                "completion_diff_ci_low": diff - Z95 * se,
                "completion_diff_ci_high": diff + Z95 * se,
                **_completion_test(row["completed"], n1, base["completed"], n0),
                **_grade_test(grades, base["_grades"]),
            }
        out.append({**row, **comparison})
    return pl.DataFrame(out, schema=RESULT_SCHEMA)
