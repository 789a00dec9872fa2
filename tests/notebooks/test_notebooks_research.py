"""The research metrics of ``platform_core.analytics.research``: exact figures on a hand-built tenant, the
same frames on PostgreSQL and on its export, and the read-only source the notebooks open."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from sqlalchemy.exc import DBAPIError

from platform_core.analytics import items
from platform_core.analytics import research as R
from platform_core.analytics.research.distractors import group_weights, options_of
from platform_core.analytics.sources import DuckDBSource
from platform_core.validation import InvalidInput
from tests.notebooks.conftest import ResearchLab, _at

# --------------------------------------------------------------------------------------------- pure


def test_notebooks_date_range_parses_the_parameters() -> None:
    period = R.parse_date_range("2026-01-06", " 2026-01-07 ")
    assert (period.start, period.end) == (date(2026, 1, 6), date(2026, 1, 7))
    assert period.since == datetime(2026, 1, 6, tzinfo=UTC)
    assert period.until == datetime(2026, 1, 8, tzinfo=UTC)  # the end day is included
    assert R.parse_date_range("", None) == R.DateRange()
    assert R.DateRange().since is None and R.DateRange().until is None
    with pytest.raises(InvalidInput, match="ILP_NB_START"):
        R.parse_date_range("06/01/2026", "")
    with pytest.raises(InvalidInput, match="ILP_NB_END"):
        R.parse_date_range("2026-01-07", "2026-01-06")


def _curve(shares: list[float | None], duration: float = 100.0) -> pl.DataFrame:
    width = duration / len(shares)
    return pl.DataFrame(
        {
            "bin": list(range(len(shares))),
            "start_seconds": [i * width for i in range(len(shares))],
            "end_seconds": [(i + 1) * width for i in range(len(shares))],
            "share": pl.Series(shares, dtype=pl.Float64),
        }
    )


def test_notebooks_milestone_dropoff_compares_with_the_video_norm() -> None:
    curve = _curve([1.0, 1.0, 1.0, 1.0, 0.6, 0.6, 0.6, 0.6, 0.6, 0.5])
    stops = pl.DataFrame({"milestone_id": ["late", "middle"], "timestamp_seconds": [95.0, 45.0]})
    out = R.milestone_dropoff(curve, stops, window_seconds=10.0)
    assert out["milestone_id"].to_list() == ["middle", "late"]  # in timeline order
    middle, late = out.rows(named=True)
    assert (middle["share_before"], middle["share_after"]) == (1.0, 0.6)  # at 35 s and at 55 s
    assert middle["drop"] == pytest.approx(0.4)
    assert middle["baseline_drop"] == pytest.approx(0.5 * 20 / 100)  # 50 % lost over 100 s, pro rata
    assert middle["excess_drop"] == pytest.approx(0.3)
    assert (late["share_before"], late["share_after"]) == (0.6, 0.5)  # the window is clipped at the end
    assert late["baseline_drop"] == pytest.approx(0.5 * 15 / 100)
    empty = R.milestone_dropoff(_curve([None] * 4), stops)  # a video nobody started
    assert empty.height == 0 and "excess_drop" in empty.columns


def test_notebooks_rewatch_vs_difficulty_sums_the_stretch_before_each_question() -> None:
    heat = (
        _curve([0.0] * 10)
        .drop("share")
        .with_columns(
            pl.Series("views", [10, 10, 10, 10, 20, 20, 20, 20, 5, 5]),
            pl.Series("rewatches", [0, 1, 0, 1, 5, 5, 0, 0, 0, 0]),
            pl.Series("is_peak", [False, False, False, False, True, False, False, False, False, False]),
        )
    )
    stops = pl.DataFrame({"milestone_id": ["m2", "m1"], "timestamp_seconds": [80.0, 40.0]})
    stats = pl.DataFrame(
        {
            "question_id": ["q1", "q2", "q3"],
            "milestone_id": ["m1", "m2", "elsewhere"],
            "p_value": [0.3, 0.9, 0.5],
            "point_biserial": [0.4, None, 0.1],
        }
    )
    out = R.rewatch_vs_difficulty(heat, stats, stops).sort("question_id")
    assert out["question_id"].to_list() == ["q1", "q2"]  # q3's milestone is not on this video
    q1, q2 = out.rows(named=True)
    assert (q1["segment_start"], q1["segment_end"], q1["rewatches"], q1["views"]) == (0.0, 40.0, 2, 40)
    assert q1["rewatch_share"] == pytest.approx(0.05) and q1["has_peak"] is False
    assert (q2["segment_start"], q2["segment_end"], q2["rewatches"], q2["views"]) == (40.0, 80.0, 10, 80)
    assert q2["has_peak"] is True and q2["p_value"] == 0.9 and q2["point_biserial"] is None


def test_notebooks_options_of_lists_single_answer_choices_only() -> None:
    mc = {"options": [{"id": "a", "text": "A"}, {"id": "b", "text": "B", "isCorrect": True}]}
    assert options_of("multiple_choice", mc) == [('"a"', "A", False), ('"b"', "B", True)]
    by_fraction = {"options": [{"id": 1, "text": "one", "fraction": 1}, {"id": 2, "text": "two"}]}
    assert options_of("multiple_choice", by_fraction) == [("1", "one", True), ("2", "two", False)]
    two_keys = {"options": [{"id": "a", "isCorrect": True}, {"id": "b", "isCorrect": True}]}
    assert options_of("multiple_choice", two_keys) == []  # multipleAnswers defaults to true here
    assert options_of("multiple_choice", {**mc, "multipleAnswers": True}) == []
    assert options_of("true_false", {"correctAnswer": False}) == [
        ("true", "True", False),
        ("false", "False", True),
    ]
    assert options_of("short_answer", {"acceptedAnswers": ["x"]}) == []


def test_notebooks_questions_to_revise_weighs_the_reasons() -> None:
    stats = pl.DataFrame(
        {
            "question_id": ["fine", "bad_key", "easy", "thin"],
            "respondents": [30, 30, 30, 3],
            "p_value": [0.6, 0.5, 0.95, 0.1],
            "point_biserial": [0.5, -0.2, 0.3, -0.9],
            "flags": [[], ["negative_discrimination"], ["too_easy"], ["few_respondents"]],
        }
    )
    options = pl.DataFrame(
        {
            "question_id": ["bad_key"] * 3 + ["easy"] * 2 + ["thin"] * 2,
            "is_key": [True, False, False, True, False, True, False],
            "share": [0.5, 0.48, 0.02, 0.97, 0.03, 0.5, 0.5],
            "upper_share": [0.3, 0.7, 0.0, 1.0, 0.0, 0.0, 1.0],
            "discrimination": [-0.2, 0.4, -0.1, 0.1, -0.1, -1.0, 1.0],
        }
    )
    out = R.questions_to_revise(stats, options)
    assert out["question_id"].to_list() == ["bad_key", "easy"]  # "fine" has no reason, "thin" too few answers
    bad = out.row(0, named=True)
    assert bad["reasons"] == [
        "key_not_preferred_by_upper", "negative_discrimination", "distractor_attracts_upper",
        "non_functional_distractors",
    ]  # fmt: skip
    assert bad["severity"] == 3 + 3 + 2 + 1
    assert out.row(1, named=True)["reasons"] == ["non_functional_distractors", "too_easy"]


# --------------------------------------------------------------------------------------------- database


def test_notebooks_source_resolves_the_tenant_and_reads_only_it(research_lab: ResearchLab) -> None:
    src = R.open_research_source("postgres", tenant=research_lab.slug)
    assert isinstance(src, R.ReadOnlyPostgresSource)
    assert src.tenant_id == research_lab.tenant_id
    assert R.source_label(src) == "PostgreSQL (read-only)"
    assert R.tenant_timezone(src) == "UTC"
    assert set(R.class_catalog(src)["class_name"]) == {"Class A", "Class B"}  # no other tenant's classes
    by_id = R.open_research_source("postgres", tenant=str(research_lab.tenant_id))
    assert by_id.tenant_id == research_lab.tenant_id
    with pytest.raises(InvalidInput, match="tenant"):
        R.open_research_source("postgres", tenant="no-such-tenant")
    with pytest.raises(InvalidInput, match="tenant"):
        R.open_research_source("postgres", tenant="")
    with pytest.raises(InvalidInput, match="source"):
        R.open_research_source("/no/such/export", tenant=research_lab.slug)


def test_notebooks_postgres_source_cannot_write(research_lab: ResearchLab) -> None:
    src = R.open_research_source("postgres", tenant=research_lab.slug)
    with pytest.raises(DBAPIError, match="read-only transaction"):
        src.query(
            "INSERT INTO classes (id, tenant_id, name) "
            "VALUES (CAST(:id AS UUID), CAST(:tenant_id AS UUID), 'x')",
            {"id": uuid.uuid4()},
        )
    assert R.class_catalog(src).height == 2


def test_notebooks_source_from_a_database_url(research_lab: ResearchLab, database) -> None:
    src = R.open_research_source(database.url_string, tenant=research_lab.slug)
    assert isinstance(src, R.ReadOnlyPostgresSource)
    assert R.class_catalog(src).height == 2


def test_notebooks_catalogs(research_lab: ResearchLab) -> None:
    src = R.open_research_source("postgres", tenant=research_lab.slug)
    classes = {r["class_name"]: r["students"] for r in R.class_catalog(src).iter_rows(named=True)}
    assert classes == {"Class A": 3, "Class B": 2}
    videos = {r["title"]: r for r in R.video_catalog(src).iter_rows(named=True)}
    assert R.video_catalog(src)["title"].to_list() == ["V1", "V2"]  # most started first
    assert (videos["V1"]["lessons"], videos["V1"]["milestones"], videos["V1"]["starters"]) == ("L1", 1, 2)
    assert videos["V1"]["completed"] == 1
    assert (videos["V2"]["lessons"], videos["V2"]["starters"]) == ("L1, L2", 0)
    questions = R.question_catalog(src)
    assert questions.height == 7
    mc = questions.filter(pl.col("question_id") == str(research_lab.ids["Q_mc"])).row(0, named=True)
    assert (mc["type"], mc["video_title"], mc["milestone_seconds"], mc["source"]) == (
        "multiple_choice", "V1", 50.0, "human",
    )  # fmt: skip
    assert R.experiment_catalog(src).height == 0


def test_notebooks_completion_over_time(research_lab: ResearchLab) -> None:
    src = R.open_research_source("postgres", tenant=research_lab.slug)
    out = R.completion_over_time(src)
    got = {
        (r["class_name"], r["day"].day): (r["completed"], r["possible"]) for r in out.iter_rows(named=True)
    }
    assert got == {
        ("Class A", 5): (1, 6), ("Class A", 6): (1, 6), ("Class A", 7): (3, 6),
        ("Class B", 5): (0, 2), ("Class B", 6): (1, 2), ("Class B", 7): (1, 2),
    }  # fmt: skip
    assert out.filter(pl.col("class_name") == "Class A")["share"].to_list() == pytest.approx(
        [1 / 6, 1 / 6, 0.5]
    )
    one_day = R.parse_date_range("2026-01-06", "2026-01-06")
    window = R.completion_over_time(src, since=one_day.since, until=one_day.until)
    assert sorted(window.select("class_name", "completed").rows()) == [("Class A", 1), ("Class B", 1)]


def test_notebooks_activity_by_hour(research_lab: ResearchLab) -> None:
    src = R.open_research_source("postgres", tenant=research_lab.slug)
    utc = R.activity_by_hour(src)
    assert utc.height == 7 * 24
    busy = utc.filter(pl.col("events") > 0).select("weekday_name", "hour", "events", "learner_hours").rows()
    assert busy == [("Mon", 10, 4, 3), ("Tue", 23, 1, 1)]  # Monday: 2 learners in week one, 1 in week two
    paris = R.activity_by_hour(src, timezone="Europe/Paris").filter(pl.col("events") > 0)
    assert paris.select("weekday", "hour", "events").rows() == [(1, 11, 4), (3, 0, 1)]
    later = R.activity_by_hour(src, since=_at(1, 0))
    assert later.filter(pl.col("events") > 0).select("weekday_name", "hour", "events").rows() == [
        ("Mon", 10, 1), ("Tue", 23, 1),
    ]  # fmt: skip


def test_notebooks_ai_tokens_and_review_reasons(research_lab: ResearchLab) -> None:
    src = R.open_research_source("postgres", tenant=research_lab.slug)
    tokens = R.tokens_per_question(src).row(0, named=True)
    assert (tokens["provider"], tokens["model"], tokens["jobs"]) == ("offline", "m-cheap", 1)
    assert (tokens["prompt_tokens"], tokens["completion_tokens"]) == (
        300,
        80,
    )  # the reserved call is left out
    assert (tokens["generated"], tokens["approved"]) == (3, 1)
    assert tokens["tokens_per_generated"] == pytest.approx(380 / 3)
    assert tokens["tokens_per_approved"] == pytest.approx(380)
    assert R.tokens_per_question(src, by=("provider",)).columns[0] == "provider"
    with pytest.raises(ValueError, match="by"):
        R.tokens_per_question(src, by=("day",))
    reasons = R.ai_review_reasons(src)
    assert set(reasons.select("stage", "outcome", "reason", "count").rows()) == {
        ("quality_gate", "rejected", "duplicate", 1),
        ("review", "approved", "approved", 1),
        ("review", "rejected", "ambiguous", 1),
        ("review", "rejected", "(no reason given)", 1),
    }
    assert set(reasons["model"]) == {"m-cheap"}
    assert R.ai_review_reasons(src, since=datetime(2999, 1, 1, tzinfo=UTC)).height == 0


def test_notebooks_distractor_analysis(research_lab: ResearchLab) -> None:
    src = R.open_research_source("postgres", tenant=research_lab.slug)
    ids = research_lab.ids
    out = R.distractor_analysis(src)
    assert set(out["question_id"]) == {str(ids["Q_mc"]), str(ids["Q_tf"])}  # short and multi-answer: none
    mc = {r["answer"]: r for r in out.filter(pl.col("question_id") == str(ids["Q_mc"])).iter_rows(named=True)}
    expected = {  # answer: count, share, upper share, lower share (upper = student 0, lower = student 3)
        '"a"': (1, 0.25, 0.0, 1.0), '"b"': (2, 0.5, 1.0, 0.0),
        '"c"': (1, 0.25, 0.0, 0.0), '"d"': (0, 0.0, 0.0, 0.0),
    }  # fmt: skip
    assert {
        k: (r["count"], r["share"], r["upper_share"], r["lower_share"]) for k, r in mc.items()
    } == expected
    assert [k for k, r in mc.items() if r["is_key"]] == ['"b"'] and mc['"b"']["label"] == "B"
    assert mc['"a"']["discrimination"] == -1.0 and mc['"b"']["discrimination"] == 1.0
    tf = {r["answer"]: r for r in out.filter(pl.col("question_id") == str(ids["Q_tf"])).iter_rows(named=True)}
    assert (tf["true"]["is_key"], tf["true"]["upper_share"], tf["false"]["lower_share"]) == (True, 1.0, 1.0)
    # the overall shares agree with the dashboard's answer distribution of first attempts
    dist = items.answer_distribution(src, first_attempts_only=True).filter(
        pl.col("question_id") == str(ids["Q_mc"])
    )
    assert {r["answer"]: r["share"] for r in dist.iter_rows(named=True)} == {
        k: v[1] for k, v in expected.items()
    }
    assert R.distractor_analysis(src, since=_at(1, 0)).height == 0  # every first attempt was on day 0
    # the key's upper - lower difference is the item's discrimination index
    index = dict(items.item_analysis(src).select("question_id", "discrimination_index").iter_rows())
    for key in out.filter(pl.col("is_key")).iter_rows(named=True):
        assert key["discrimination"] == pytest.approx(index[key["question_id"]])


def test_notebooks_group_weights_share_the_places_of_ties() -> None:
    upper, lower = group_weights({"a": 3.0, "b": 2.0, "c": 2.0, "d": 1.0, "e": 0.0}, 0.4)  # groups of 2
    assert upper == {"a": 1.0, "b": 0.5, "c": 0.5}
    assert lower == {"e": 1.0, "d": 1.0}
    assert group_weights({"a": 1.0, "b": 1.0}) == ({"a": 0.5, "b": 0.5}, {"a": 0.5, "b": 0.5})
    assert group_weights({"alone": 1.0}) == ({}, {})


def test_notebooks_research_metrics_agree_on_an_export(
    research_lab: ResearchLab, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from platform_core.analytics.export import export_tenant
    from platform_core.db.replica import read_session
    from platform_core.settings import reset_settings_cache

    monkeypatch.setenv("ILP_HOME", str(tmp_path / "home"))  # the pseudonym key goes there
    reset_settings_cache()
    try:
        with read_session(research_lab.tenant_id) as session:
            export_tenant(session, tmp_path / "export")
    finally:
        monkeypatch.delenv("ILP_HOME")
        reset_settings_cache()
    pg = R.open_research_source("postgres", tenant=research_lab.slug)
    duck = R.open_research_source(str(tmp_path / "export"), tenant=research_lab.slug)
    assert isinstance(duck, DuckDBSource) and duck.tenant_id == research_lab.tenant_id
    assert R.source_label(duck) == "DuckDB over an export"
    metrics = {
        "class_catalog": R.class_catalog,
        "video_catalog": R.video_catalog,
        "question_catalog": R.question_catalog,
        "experiment_catalog": R.experiment_catalog,
        "completion_over_time": R.completion_over_time,
        "activity_by_hour": lambda s: R.activity_by_hour(s, timezone="Europe/Paris"),
        "tokens_per_question": R.tokens_per_question,
        "ai_review_reasons": R.ai_review_reasons,
        "distractor_analysis": R.distractor_analysis,
    }
    for name, metric in metrics.items():
        on_pg, on_export = metric(pg), metric(duck)
        assert on_pg.height > 0 or name == "experiment_catalog", name
        try:
            assert_frame_equal(on_pg, on_export, check_exact=False)
        except AssertionError as exc:
            pytest.fail(f"{name} differs between PostgreSQL and the export: {exc}")
    with pytest.raises(InvalidInput, match="tenant"):
        R.open_research_source(str(tmp_path / "export"), tenant="another-tenant")
