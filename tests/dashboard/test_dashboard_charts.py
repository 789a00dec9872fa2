"""The Plotly figure builders are pure: data in, figure out. These check what a reader would see."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import plotly.graph_objects as go
import polars as pl
import pytest

from dashboard import charts


def _annotations(fig: go.Figure) -> list[str]:
    return [a.text for a in fig.layout.annotations]


def test_empty_inputs_give_a_labelled_placeholder_not_an_error() -> None:
    empty = pl.DataFrame()
    figures = [
        charts.completion_funnel([]),
        charts.grade_distribution(empty),
        charts.retention_curve([], []),
        charts.difficulty_discrimination(
            pl.DataFrame({"d": [], "r": [], "l": []}),
            difficulty_col="d",
            discrimination_col="r",
            label_col="l",
        ),
        charts.distractors([], [], []),
        charts.session_timeline(empty, start_col="s", end_col="e", label_col="l"),
        charts.burn_down([], [], budget=10.0),
        charts.horizontal_bars([], []),
    ]
    for fig in figures:
        assert any("No data" in text or "No sessions" in text for text in _annotations(fig)), fig.layout.title


def test_mmss_formats_positions() -> None:
    assert charts.mmss(0) == "0:00"
    assert charts.mmss(61.4) == "1:01"
    assert charts.mmss(3599.6) == "60:00"
    assert charts.mmss(-3) == "0:00"


def test_funnel_keeps_stage_order_and_counts() -> None:
    fig = charts.completion_funnel([("Enrolled", 30), ("Started", 24), ("Completed", 9)])
    trace = fig.data[0]
    assert list(trace.y) == ["Enrolled", "Started", "Completed"]
    assert list(trace.x) == [30, 24, 9]


def test_grade_distribution_bins_by_ten_points_and_puts_100_in_the_top_bin() -> None:
    frame = pl.DataFrame({"percentage": [0.0, 9.99, 10.0, 55.0, 92.0, 100.0, None]})
    bars = charts.grade_distribution(frame).data[0]
    assert list(bars.y) == [2, 1, 0, 0, 0, 1, 0, 0, 0, 2]
    assert bars.x[0] == "0–10%" and bars.x[-1] == "90–100%"


def test_retention_curve_marks_milestones_and_drop_offs_with_transcript_text() -> None:
    fig = charts.retention_curve(
        [0, 30, 60, 90],
        [1.0, 0.8, 0.5, 0.4],
        milestones=[(45.0, "Check velocity")],
        drop_offs=[(58.0, "Now the tricky part")],
    )
    assert [s.x0 for s in fig.layout.shapes] == [45.0]
    assert any("Check velocity" in text for text in _annotations(fig))
    drop = fig.data[1]
    assert list(drop.x) == [58.0]
    assert list(drop.y) == [0.5]  # the retention at the nearest sampled position
    assert drop.customdata[0][1] == "Now the tricky part"
    assert fig.layout.yaxis.tickformat == ".0%"


def test_rewatch_heatmap_pivots_bins_in_numeric_order() -> None:
    frame = pl.DataFrame(
        {"bin": ["10", "0", "20", "0"], "day": ["mon", "mon", "tue", "tue"], "n": [3, 1, 2, 5]}
    )
    heat = charts.rewatch_heatmap(frame, x_col="bin", y_col="day", z_col="n").data[0]
    assert list(heat.x) == ["0", "10", "20"]
    rows = dict(zip(heat.y, heat.z, strict=True))
    assert rows["mon"] == [1, 3, 0]
    assert rows["tue"] == [5, 0, 2]


def test_difficulty_scatter_colours_flagged_questions_red() -> None:
    frame = pl.DataFrame(
        {"p": [0.2, 0.7], "d": [0.05, 0.5], "q": ["hard one", "fine one"], "flag": [True, False]}
    )
    fig = charts.difficulty_discrimination(
        frame, difficulty_col="p", discrimination_col="d", label_col="q", flag_col="flag"
    )
    assert list(fig.data[0].marker.color) == [charts.RED, charts.BLUE]
    assert list(fig.data[0].text) == ["hard one", "fine one"]


def test_distractors_highlight_a_wrong_option_that_beats_the_right_one() -> None:
    fig = charts.distractors(["4", "5", "22"], [10, 2, 14], [True, False, False])
    assert list(fig.data[0].marker.color) == [charts.GREEN, charts.GREY, charts.RED]


def test_burn_down_accumulates_spend_and_draws_the_budget() -> None:
    days = [date(2026, 3, 1) + timedelta(days=i) for i in range(3)]
    fig = charts.burn_down(days, [1.0, 2.5, 0.5], budget=10.0, period_days=30)
    assert list(fig.data[0].y) == [1.0, 3.5, 4.0]
    assert fig.layout.shapes[0].y0 == 10.0
    assert any("pace → $40.00" in text for text in _annotations(fig))


def test_stacked_by_day_has_one_trace_per_group_with_summed_values() -> None:
    frame = pl.DataFrame(
        {"day": ["d1", "d1", "d2", "d1"], "provider": ["a", "b", "a", "a"], "cost": [1.0, 2.0, 3.0, 4.0]}
    )
    fig = charts.stacked_by_day(frame, day_col="day", group_col="provider", value_col="cost", money=True)
    by_name = {t.name: dict(zip(t.x, t.y, strict=True)) for t in fig.data}
    assert by_name == {"a": {"d1": 5.0, "d2": 3.0}, "b": {"d1": 2.0}}
    assert fig.layout.barmode == "stack"


def test_activity_by_day_counts_rows() -> None:
    now = datetime(2026, 3, 2, 12)
    frame = pl.DataFrame({"at": [now, now, now - timedelta(days=1)], "action": ["LOGIN", "LOGIN", "UPDATE"]})
    fig = charts.activity_by_day(frame, time_col="at", group_col="action")
    totals = {t.name: sum(t.y) for t in fig.data}
    assert totals == {"LOGIN": 2, "UPDATE": 1}


def test_horizontal_bars_are_ranked_largest_on_top() -> None:
    fig = charts.horizontal_bars(["small", "big", "mid"], [1, 9, 5])
    assert list(fig.data[0].y) == ["small", "mid", "big"]  # plotly draws the last bar at the top


def test_progress_bars_colour_by_threshold() -> None:
    frame = pl.DataFrame({"video": ["a", "b", "c"], "coverage": [0.99, 0.6, 0.1]})
    fig = charts.progress_bars(frame, label_col="video", value_col="coverage")
    assert list(fig.data[0].marker.color) == [charts.GREEN, charts.AMBER, charts.RED]


def test_milestone_timeline_places_flags_and_the_new_one() -> None:
    fig = charts.milestone_timeline(300.0, [(60.0, "first"), (200.0, "second")], highlight=120.0)
    assert list(fig.data[0].x) == [60.0, 200.0]
    assert list(fig.data[1].x) == [120.0]
    assert fig.layout.xaxis.ticktext[-1] == "5:00"


@pytest.mark.parametrize("value", [0.0, 0.5, 0.999])
def test_gauge_shows_percent(value: float) -> None:
    fig = charts.gauge(value, title="Cache hit ratio")
    assert fig.data[0].value == pytest.approx(value * 100)


def test_lines_draw_one_trace_per_group() -> None:
    frame = pl.DataFrame({"t": [1, 2, 1, 2], "bytes": [10, 20, 5, 6], "table": ["a", "a", "b", "b"]})
    fig = charts.lines(frame, x_col="t", y_col="bytes", group_col="table")
    assert [t.name for t in fig.data] == ["a", "b"]


def test_rewatch_strip_marks_peaks_and_milestones() -> None:
    fig = charts.rewatch_strip(
        [0, 10, 20], [0, 7, 1], peaks=[False, True, False], duration=30, milestones=[(12.0, "check")]
    )
    assert fig.data[0].z[0] == (0, 7, 1) or list(fig.data[0].z[0]) == [0, 7, 1]
    assert list(fig.data[0].x) == [5, 15, 25]
    rects = [s for s in fig.layout.shapes if s.type == "rect"]
    assert [(r.x0, r.x1) for r in rects] == [(10, 20)]
    assert any(s.type == "line" and s.x0 == 12.0 for s in fig.layout.shapes)
    assert "No rewatches" in _annotations(charts.rewatch_strip([0, 10], [0, 0]))[0]


def test_session_timeline_draws_one_trace_per_video_with_a_segment_per_session() -> None:
    t0 = datetime(2026, 3, 1, 9)
    frame = pl.DataFrame(
        {
            "start": [t0, t0 + timedelta(days=1), t0 + timedelta(hours=2)],
            "end": [t0 + timedelta(minutes=20), t0 + timedelta(days=1, minutes=5), None],
            "video": ["Forces", "Forces", "Energy"],
        }
    )
    fig = charts.session_timeline(frame, start_col="start", end_col="end", label_col="video")
    assert [t.name for t in fig.data] == ["Forces", "Energy"]
    forces = fig.data[0]
    assert list(forces.x) == [
        t0,
        t0 + timedelta(minutes=20),
        None,
        t0 + timedelta(days=1),
        t0 + timedelta(days=1, minutes=5),
        None,
    ]
    assert list(fig.data[1].x)[:2] == [t0 + timedelta(hours=2)] * 2  # a session without an end is a point


def test_gauge_bands_follow_the_direction_of_good() -> None:
    hit = charts.gauge(0.97, title="hit", good=0.99, warn=0.95)
    pool = charts.gauge(0.5, title="pool", good=0.6, warn=0.8, higher_is_better=False)
    assert [s.color for s in hit.data[0].gauge.steps] == ["#fee2e2", "#fef3c7", "#dcfce7"]
    assert [s.color for s in pool.data[0].gauge.steps] == ["#dcfce7", "#fef3c7", "#fee2e2"]
    assert list(pool.data[0].gauge.steps[0].range) == [0, 60]
