"""Acceptance: every metric equals an independent computation from the raw rows, on every source.

Sources: live PostgreSQL (``open_source``), the Parquet export through DuckDB, and DuckDB reading the
live database through its PostgreSQL scanner. The oracle (``tests/analytics/oracle.py``) recomputes
the figures from ``SELECT *`` rows with plain Python; roll-up based figures (time spent, attempts) are
recomputed from the raw events and attempts, which checks the roll-ups too.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from scipy import stats

from platform_core.analytics import (
    DuckDBSource,
    Source,
    ai_cost_per_question,
    ai_job_costs,
    ai_spend,
    answer_distribution,
    budget_burndown,
    budget_forecast,
    class_daily_activity,
    class_overview,
    class_students,
    completion_funnel,
    drop_off_points,
    experiment_results,
    item_analysis,
    letter_distribution,
    milestone_reach,
    open_source,
    retention_curve,
    rewatch_heatmap,
    watch_time_vs_coverage,
    watched_before_milestone,
)
from platform_core.analytics.duckdb_pg import live_source
from tests.analytics import oracle
from tests.analytics.dataset import AT_RISK_SETTINGS

SOURCES = ["postgres", "export", "duckdb_live"]


@pytest.fixture(params=SOURCES)
def source(request: pytest.FixtureRequest, seeded) -> Iterator[Source]:
    if request.param == "postgres":
        with open_source(seeded.ds.tenant_id) as src:
            yield src
    elif request.param == "export":
        yield DuckDBSource.open(seeded.export_pii)
    else:
        with live_source(seeded.ds.tenant_id) as src:
            yield src


def close(a: float | None, b: float | None, tol: float = 1e-9) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=tol, abs_tol=tol)


def assert_rows(actual: dict, expected: dict, tol: float = 1e-9) -> None:
    for key, value in expected.items():
        got = actual[key]
        if isinstance(value, float) or isinstance(got, float):
            assert close(got, value, tol), f"{key}: {got} != {value}"
        else:
            assert got == value, f"{key}: {got} != {value}"


def test_class_overview(source: Source, seeded) -> None:
    expected = oracle.class_overview(seeded.raw)
    frame = class_overview(source)
    assert frame.height == len(expected) > 0
    for row in frame.iter_rows(named=True):
        want = expected[(row["class_id"], row["lesson_id"])]
        assert_rows(row, want, tol=1e-6)
        assert close(row["avg_time_spent_seconds"], want["time_spent_seconds"] / want["students"], 1e-6)
    # the archived class is not on the dashboard, but can be asked for by id
    archived = seeded.ds.classes["Z"]
    assert archived not in frame["class_id"].to_list()
    assert class_overview(source, class_id=archived).height == 1


def test_letter_distribution(source: Source, seeded) -> None:
    expected = oracle.letter_distribution(seeded.raw)
    frame = letter_distribution(source)
    got = {(r["class_id"], r["lesson_id"], r["letter"]): r["students"] for r in frame.iter_rows(named=True)}
    assert got == expected
    shares = frame.group_by("class_id", "lesson_id").agg(pl.col("share").sum())
    assert all(close(s, 1.0) for s in shares["share"])


@pytest.mark.parametrize("klass", ["A", "B"])
def test_class_students_and_at_risk(source: Source, seeded, klass: str) -> None:
    class_id = seeded.ds.classes[klass]
    expected = oracle.class_students(seeded.raw, str(class_id), seeded.ds.now, AT_RISK_SETTINGS)
    frame = class_students(source, class_id=class_id, now=seeded.ds.now)
    assert sorted(frame["student_id"]) == sorted(expected)
    for row in frame.iter_rows(named=True):
        assert_rows(row, expected[row["student_id"]], tol=1e-6)
        assert len(row["risk_reasons"]) == sum(row[f] for f in row if f.startswith("flag_"))
    assert frame["at_risk"].any()


def test_retention_and_drop_offs(source: Source, seeded) -> None:
    for video in seeded.ds.videos.values():
        starters, viewers = oracle.retention(seeded.raw, str(video))
        curve = retention_curve(source, video_id=video)
        assert curve.height == 100
        assert curve["viewers"].to_list() == viewers
        assert set(curve["starters"]) == {starters}
        assert all(close(s, v / starters) for s, v in zip(curve["share"], viewers, strict=True))
        drops = drop_off_points(curve, top=3, min_drop=0.0)
        deltas = sorted(
            ((viewers[i - 1] - viewers[i]) / starters, -i)
            for i in range(1, 100)
            if viewers[i - 1] >= viewers[i]
        )[::-1][:3]
        assert [r["bin"] for r in drops.iter_rows(named=True)] == [-i for _d, i in deltas]


def test_rewatch_heatmap(source: Source, seeded) -> None:
    video = seeded.ds.videos["v2"]
    views, viewers = oracle.rewatches(seeded.raw, str(video))
    heat = rewatch_heatmap(source, video_id=video)
    assert heat["views"].to_list() == views
    assert heat["viewers"].to_list() == viewers
    assert heat["rewatches"].to_list() == [a - b for a, b in zip(views, viewers, strict=True)]
    assert sum(views) > sum(viewers)  # the dataset rewatches some first segments


def test_item_analysis(source: Source, seeded) -> None:
    expected = oracle.items(seeded.raw)
    frame = item_analysis(source)
    assert sorted(frame["question_id"]) == sorted(expected)
    for row in frame.iter_rows(named=True):
        assert_rows(row, expected[row["question_id"]])
        if row["point_biserial"] is not None and row["respondents"] >= 5 and row["point_biserial"] < 0:
            assert "negative_discrimination" in row["flags"]


def test_answer_distribution(source: Source, seeded) -> None:
    counts = oracle.answer_counts(seeded.raw)
    frame = answer_distribution(source)
    got = {(r["question_id"], r["answer"]): r["count"] for r in frame.iter_rows(named=True) if r["count"]}
    assert got == counts
    # every option of a multiple-choice question is listed, chosen or not (distractor analysis)
    mc = frame.filter(pl.col("label").is_in(["Alpha", "Beta", "Gamma", "Delta"]))
    assert mc.group_by("question_id").len()["len"].to_list() == [4] * mc["question_id"].n_unique()


def test_ai_spend_and_cost_per_question(source: Source, seeded) -> None:
    expected = oracle.spend_by_day_model(seeded.raw)
    frame = ai_spend(source, by=("day", "provider", "model"))
    got = {
        (r["day"], r["provider"], r["model"]): (r["calls"], r["unpriced_calls"], r["cost_usd"])
        for r in frame.iter_rows(named=True)
    }
    assert got.keys() == expected.keys()
    for key, (calls, unpriced, cost) in expected.items():
        assert got[key][:2] == (calls, unpriced) and close(got[key][2], cost)
    per_model = oracle.cost_per_model(seeded.raw)
    rows = ai_cost_per_question(source).iter_rows(named=True)
    for row in rows:
        want = per_model[(row["provider"], row["model"])]
        assert_rows(row, {k: (float(v) if k == "cost_usd" else int(v)) for k, v in want.items()})
        assert close(row["approval_rate"], want["approved"] / want["generated"])
        assert close(
            row["cost_per_approved"], want["cost_usd"] / want["approved"] if want["approved"] else None
        )
    assert ai_job_costs(source).height == len(seeded.raw["ai_generation_jobs"])


def test_budget_burndown(source: Source, seeded) -> None:
    now = seeded.ds.now
    spend = oracle.month_spend(seeded.raw, now)
    burn = budget_burndown(source, now=now)
    actual = burn.filter(~pl.col("is_forecast"))
    assert actual.height == now.day
    assert close(actual["cumulative_usd"][-1], sum(spend.values()))
    rate = sum(spend.values()) / now.day
    forecast = budget_forecast(source, now=now).row(0, named=True)
    assert close(forecast["daily_run_rate_usd"], rate)
    assert close(forecast["forecast_month_end_usd"], sum(spend.values()) + rate * (burn.height - now.day))
    assert forecast["budget_usd"] == 50.0  # the one config with a budget (no tenant budget row)
    assert set(burn["budget_usd"]) == {50.0}


def test_experiment_results(source: Source, seeded) -> None:
    expected = oracle.experiment(seeded.raw, seeded.ds.experiment_key)
    frame = experiment_results(source, experiment_key=seeded.ds.experiment_key)
    rows = {r["variant"]: r for r in frame.iter_rows(named=True)}
    assert set(rows) == set(expected) == {"control", "treatment"}
    for variant, want in expected.items():
        assert rows[variant]["users"] == want["users"]
        assert rows[variant]["completed"] == want["completed"]
        assert close(rows[variant]["mean_grade"], sum(want["grades"]) / len(want["grades"]))
    t, c = expected["treatment"], expected["control"]
    assert rows["control"]["is_control"] and rows["control"]["completion_p_value"] is None
    table = [[t["completed"], t["users"] - t["completed"]], [c["completed"], c["users"] - c["completed"]]]
    if rows["treatment"]["completion_test"] == "fisher":
        assert close(rows["treatment"]["completion_p_value"], stats.fisher_exact(table).pvalue)
    else:
        assert close(
            rows["treatment"]["completion_p_value"], stats.chi2_contingency(table, correction=False).pvalue
        )
    tstat, df = oracle.welch(t["grades"], c["grades"])
    assert close(rows["treatment"]["welch_p_value"], 2 * stats.t.sf(abs(tstat), df), 1e-7)
    diff = t["completed"] / t["users"] - c["completed"] / c["users"]
    assert close(rows["treatment"]["completion_diff"], diff)
    low, high = rows["treatment"]["grade_diff_ci_low"], rows["treatment"]["grade_diff_ci_high"]
    assert low < rows["treatment"]["grade_diff"] < high


def same(got: pl.DataFrame, expected: pl.DataFrame, what: str) -> None:
    try:
        assert_frame_equal(got, expected)
    except AssertionError as exc:
        raise AssertionError(f"{what}: {exc}") from None


def _all_metrics(ds) -> dict[str, Callable[[Source], pl.DataFrame]]:
    v2, klass = ds.videos["v2"], ds.classes["A"]
    return {
        "overview": lambda s: class_overview(s),
        "students": lambda s: class_students(s, now=ds.now),
        "letters": lambda s: letter_distribution(s),
        "daily": lambda s: class_daily_activity(s, class_id=klass),
        "retention": lambda s: retention_curve(s, video_id=v2, class_id=klass),
        "drops": lambda s: drop_off_points(retention_curve(s, video_id=v2)),
        "rewatch": lambda s: rewatch_heatmap(s, video_id=v2),
        "watch_vs_coverage": lambda s: watch_time_vs_coverage(s, video_id=v2),
        "funnel": lambda s: completion_funnel(s, video_id=v2, class_id=klass),
        "milestones": lambda s: milestone_reach(s, video_id=v2),
        "items": lambda s: item_analysis(s, class_id=klass),
        "answers": lambda s: answer_distribution(s, lesson_id=ds.lessons["L1"]),
        "watched_before": lambda s: watched_before_milestone(s),
        "spend": lambda s: ai_spend(s, by=("tenant", "day", "provider", "model", "job")),
        "jobs": lambda s: ai_job_costs(s),
        "per_question": lambda s: ai_cost_per_question(s, by=("model", "day")),
        "burn": lambda s: budget_burndown(s, now=ds.now),
        "experiment": lambda s: experiment_results(
            s, experiment_key=ds.experiment_key, lesson_id=ds.lessons["L2"]
        ),
    }


def test_every_metric_is_identical_on_every_source(seeded) -> None:
    metrics = _all_metrics(seeded.ds)
    with open_source(seeded.ds.tenant_id) as pg:
        reference = {name: f(pg) for name, f in metrics.items()}
    with live_source(seeded.ds.tenant_id) as live:
        for name, f in metrics.items():
            same(f(live), reference[name], f"{name} (duckdb live)")
    export = DuckDBSource.open(seeded.export_pii)
    for name, f in metrics.items():
        same(f(export), reference[name], f"{name} (export)")
        assert reference[name].height > 0, name


def test_pseudonymised_export_gives_the_same_results_under_pseudonyms(seeded) -> None:
    from platform_core.analytics.pseudonym import Pseudonymizer, tenant_salt
    from platform_core.db.session import tenant_session

    with tenant_session(seeded.ds.tenant_id) as s:
        alias = Pseudonymizer(tenant_salt(s, seeded.ds.tenant_id))
    export = DuckDBSource.open(seeded.export_pseudo)
    with open_source(seeded.ds.tenant_id) as pg:
        for name, f in _all_metrics(seeded.ds).items():
            expected = f(pg)
            got = f(export)
            ids = [c for c in ("student_id", "user_id") if c in expected.columns]
            if ids:
                expected = expected.with_columns(pl.col(ids).map_elements(alias.user, return_dtype=pl.String))
                keys = [
                    c for c in ("class_id", "lesson_id", "student_id", "user_id") if c in expected.columns
                ]
                expected, got = expected.sort(keys), got.sort(keys)
            same(got, expected, name)


def test_sources_see_only_their_tenant(seeded, database) -> None:
    """A second tenant's sources (live and DuckDB-attached) see none of the first tenant's rows."""
    from tests.factories import new_tenant

    other = new_tenant("other")
    with open_source(other.tenant_id) as pg:
        assert class_overview(pg).height == 0
        assert ai_spend(pg).height == 0
    with live_source(other.tenant_id) as live:
        assert live.scalar("SELECT count(*) FROM student_progress") == 0
        assert live.scalar("SELECT count(*) FROM analytics_events") == 0
