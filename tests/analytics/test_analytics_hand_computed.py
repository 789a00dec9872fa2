"""Metric definitions checked against numbers worked out by hand on the tiny tenant (``tiny.py``).

Watched segments: s1 [0,100], s2 [0,50], s3 [0,30]+[60,100], s4 nothing. First attempts: q1 (MC) s1 a
(right), s2 b, s3 c, s4 b; q2 (TF) s1 true, s2 false, s3 true. Totals of first-attempt scores: s1 2,
s2 0, s3 1, s4 0.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import timedelta

import pytest

from platform_core.analytics import (
    ItemThresholds,
    answer_distribution,
    at_risk_students,
    class_overview,
    class_students,
    completion_funnel,
    drop_off_points,
    item_analysis,
    letter_distribution,
    milestone_reach,
    open_source,
    retention_curve,
    rewatch_heatmap,
    rules_for_tenant,
    watch_time_vs_coverage,
    watched_before_milestone,
)
from platform_core.analytics.at_risk import AtRiskRules
from platform_core.analytics.engagement import VideoNotFound
from platform_core.analytics.experiments import ExperimentNotFound, experiment_results
from platform_core.analytics.rollups import refresh_rollups
from platform_core.analytics.sources import Source
from platform_core.db.session import tenant_session
from platform_core.validation import InvalidInput
from tests.analytics.tiny import Tiny, build_tiny


@pytest.fixture(scope="module")
def tiny(database) -> Tiny:
    t = build_tiny()
    with tenant_session(t.tenant_id) as s:
        refresh_rollups(s)
    return t


@pytest.fixture
def src(tiny: Tiny) -> Iterator[Source]:
    with open_source(tiny.tenant_id) as source:
        yield source


def approx(x: float | None) -> object:
    return pytest.approx(x, rel=1e-12, abs=1e-12)


def test_class_overview_by_hand(src: Source, tiny: Tiny) -> None:
    row = class_overview(src).row(0, named=True)
    # s4 only answered questions: started all the same; only s1 completed the lesson
    assert (row["students"], row["started"], row["completed"], row["graded"]) == (4, 4, 1, 3)
    assert row["completion_rate"] == 0.25 and row["started_rate"] == 1.0
    assert row["avg_coverage"] == approx((1 + 0.5 + 0.7 + 0) / 4)
    assert row["avg_grade"] == approx((95 + 55 + 70) / 3) and row["median_grade"] == 70
    # s1: play->10 s->10 s->pause 5 s, pause..play 0, play->progress 300 s capped at 60 = 85; s3: 30 + 10
    assert row["time_spent_seconds"] == approx(125.0)
    assert row["avg_time_spent_seconds"] == approx(125.0 / 4)
    letters = {
        r["letter"]: (r["students"], r["share"]) for r in letter_distribution(src).iter_rows(named=True)
    }
    assert letters == {"A": (1, 1 / 3), "C-": (1, 1 / 3), "F": (1, 1 / 3)}


def test_students_and_at_risk_by_hand(src: Source, tiny: Tiny) -> None:
    s1, s2, s3, s4 = (str(s) for s in tiny.s)
    rules = AtRiskRules(inactive_days=7, min_coverage=0.6, min_percent=60, max_failed_attempts=1)
    table = {r["student_id"]: r for r in class_students(src, rules=rules, now=tiny.now).iter_rows(named=True)}
    s3_seen = max(tiny.now - timedelta(days=3), tiny.t0 + timedelta(seconds=50))  # session or its playback
    s3_days = (tiny.now - s3_seen) // timedelta(days=1)
    assert {k: table[k]["days_inactive"] for k in table} == {s1: 1, s2: 10, s3: s3_days, s4: 20}
    assert {k: table[k]["failed_attempts"] for k in table} == {s1: 0, s2: 2, s3: 2, s4: 1}
    assert {k: table[k]["attempts"] for k in table} == {s1: 2, s2: 3, s3: 3, s4: 1}
    assert table[s4]["grade"] is None and table[s4]["avg_coverage"] == 0
    assert table[s1]["time_spent_seconds"] == approx(85.0) and table[s1]["videos_completed"] == 1
    assert not table[s1]["at_risk"] and table[s1]["risk_reasons"] == []
    assert table[s2]["risk_reasons"] == [
        "inactive for 10 days (limit 7)",
        "average coverage 50% below 60%",
        "grade 55% below 60%",
        "2 failed attempts (more than 1)",
    ]
    assert table[s3]["risk_reasons"] == ["2 failed attempts (more than 1)"]
    assert table[s4]["risk_reasons"] == ["inactive for 20 days (limit 7)", "average coverage 0% below 60%"]
    ranked = at_risk_students(src, rules=rules, now=tiny.now)
    assert ranked["student_id"].to_list() == [s2, s4, s3]  # most flags first
    assert ranked["flags"].to_list() == [4, 2, 1]


def test_rules_come_from_tenant_settings_and_overrides(src: Source, tiny: Tiny) -> None:
    assert rules_for_tenant(src) == AtRiskRules()  # the tiny tenant keeps the defaults
    assert rules_for_tenant(src, inactive_days=30).inactive_days == 30
    with pytest.raises(InvalidInput, match=r"rules\.min_coverage"):
        rules_for_tenant(src, min_coverage=3)


def test_retention_drop_offs_and_funnel_by_hand(src: Source, tiny: Tiny) -> None:
    video = tiny.ids["video"]
    curve = retention_curve(src, video_id=video, bins=10)
    assert curve["viewers"].to_list() == [3, 3, 3, 2, 2, 1, 2, 2, 2, 2]
    assert curve["share"][3] == approx(2 / 3) and set(curve["starters"]) == {3}
    drops = drop_off_points(curve, top=5, min_drop=0.05)
    assert drops["bin"].to_list() == [3, 5]  # equal drops of 1/3: the earlier first
    assert drops["at_seconds"].to_list() == [30.0, 50.0]
    funnel = {
        r["step"]: r["students"]
        for r in completion_funnel(src, video_id=video, class_id=tiny.ids["klass"]).iter_rows(named=True)
    }
    assert funnel == {
        "enrolled": 4,
        "started": 3,
        "watched_25": 3,
        "watched_50": 3,
        "watched_75": 1,
        "completed": 1,
    }
    with pytest.raises(VideoNotFound):
        retention_curve(src, video_id=tiny.ids["lesson"])


def test_rewatch_and_watch_time_by_hand(src: Source, tiny: Tiny) -> None:
    video = tiny.ids["video"]
    # played: s1 [0,25] (the later play->heartbeat after 300 s of silence is not credited); s3 [0,30], [10,20]
    heat = rewatch_heatmap(src, video_id=video, bins=10, min_rewatches=1)
    assert heat["views"].to_list()[:4] == [2, 3, 2, 0]
    assert heat["rewatches"].to_list()[:3] == [0, 1, 0]
    assert heat["is_peak"].to_list() == [False, True] + [False] * 8  # z = (1 - 0.1) / 0.3 = 3 > 2
    assert not rewatch_heatmap(src, video_id=video, bins=10)["is_peak"].any()  # default needs 2 rewatches
    ratio = {
        r["student_id"]: r["rewatch_factor"]
        for r in watch_time_vs_coverage(src, video_id=video).iter_rows(named=True)
    }
    assert ratio == {str(tiny.s[0]): 1.5, str(tiny.s[1]): 1.0, str(tiny.s[2]): approx(80 / 70)}


def test_milestone_reach_by_hand(src: Source, tiny: Tiny) -> None:
    rows = milestone_reach(src, video_id=tiny.ids["video"]).to_dicts()
    m1, m2 = rows
    assert m1["timestamp_seconds"] == 40.0 and m2["timestamp_seconds"] == 80.0
    assert (
        m1["reached"],
        m1["covered"],
        m1["answered"],
        m1["correct"],
        m1["on_correct"],
        m1["on_wrong"],
        m1["detours"],
    ) == (2, 2, 2, 1, 1, 1, 1)
    assert (
        m2["reached"],
        m2["covered"],
        m2["answered"],
        m2["correct"],
        m2["on_correct"],
        m2["on_wrong"],
    ) == (2, 2, 2, 2, 2, 0)
    assert m1["reach_rate"] == approx(2 / 3)


def test_item_analysis_by_hand(src: Source, tiny: Tiny) -> None:
    items = {
        r["question_id"]: r for r in item_analysis(src, lesson_id=tiny.ids["lesson"]).iter_rows(named=True)
    }
    q1, q2 = items[str(tiny.ids["q1"])], items[str(tiny.ids["q2"])]
    assert (q1["respondents"], q1["attempts"], q1["p_value"]) == (4, 6, 0.25)
    assert (
        q1["eventual_correct_rate"],
        q1["mean_attempts_to_correct"],
        q1["median_attempts_to_correct"],
    ) == (0.5, 1.5, 1.5)
    # item scores 1,0,0,0 against rest scores 1,0,1,0: r = 0.5 / sqrt(0.75)
    assert q1["point_biserial"] == approx(0.5 / math.sqrt(0.75))
    assert q1["discrimination_index"] == 1.0  # top 27 % (1 student: s1) right, bottom 27 % wrong
    # item scores 1,0,1 against rest scores 1,0,0: r = (1/3) / (2/3)
    assert (q2["respondents"], q2["p_value"]) == (3, approx(2 / 3))
    assert q2["point_biserial"] == approx(0.5) and q2["discrimination_index"] == 1.0
    assert q1["flags"] == ["few_respondents"]  # default: at least 5 respondents before flagging
    strict = item_analysis(
        src, thresholds=ItemThresholds(too_hard=0.3, low_discrimination=0.55, min_respondents=3)
    )
    flags = {r["question_id"]: r["flags"] for r in strict.iter_rows(named=True)}
    assert flags == {str(tiny.ids["q1"]): ["too_hard"], str(tiny.ids["q2"]): ["low_discrimination"]}


def test_answer_distribution_by_hand(src: Source, tiny: Tiny) -> None:
    rows = answer_distribution(src, video_id=tiny.ids["video"]).to_dicts()
    q1 = {r["label"]: (r["count"], r["is_key"]) for r in rows if r["question_id"] == str(tiny.ids["q1"])}
    assert q1 == {"Alpha": (2, True), "Beta": (2, False), "Gamma": (2, False)}
    first = answer_distribution(src, video_id=tiny.ids["video"], first_attempts_only=True).to_dicts()
    shares = {r["label"]: r["share"] for r in first if r["question_id"] == str(tiny.ids["q1"])}
    assert shares == {"Alpha": 0.25, "Beta": 0.5, "Gamma": 0.25}
    q2 = {r["answer"]: r["count"] for r in rows if r["question_id"] == str(tiny.ids["q2"])}
    assert q2 == {"true": 2, "false": 1}


def test_watched_before_milestone_by_hand(src: Source, tiny: Tiny) -> None:
    rows = {r["question_id"]: r for r in watched_before_milestone(src).iter_rows(named=True)}
    q1 = rows[str(tiny.ids["q1"])]  # segment [0, 40]: s1, s2 watched (s1 right), s3, s4 did not (both wrong)
    assert (q1["segment_start"], q1["segment_end"], q1["watched_n"], q1["unwatched_n"]) == (0.0, 40.0, 2, 2)
    assert (q1["watched_correct_rate"], q1["unwatched_correct_rate"], q1["difference"]) == (0.5, 0.0, 0.5)
    assert q1["p_value"] == approx(1.0)
    q2 = rows[str(tiny.ids["q2"])]  # segment [40, 80]: only s1 watched 90 % of it
    assert (
        q2["segment_start"],
        q2["watched_n"],
        q2["watched_correct_rate"],
        q2["unwatched_correct_rate"],
    ) == (40.0, 1, 1.0, 0.5)


def test_unknown_experiment_is_a_clear_error(src: Source) -> None:
    with pytest.raises(ExperimentNotFound, match="experiment_key"):
        experiment_results(src, experiment_key="nope")
