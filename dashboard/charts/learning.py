"""Figures of learning: class, video, question and student views."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import plotly.graph_objects as go
import polars as pl

from dashboard.charts.style import (
    AMBER,
    BLUE,
    GREEN,
    GREY,
    LIME,
    PALETTE,
    RED,
    TEAL,
    VIOLET,
    empty_figure,
    mmss,
    styled,
)


# ---------------------------------------------------------------------------------------- class views
def completion_funnel(
    stages: Sequence[tuple[str, int]], title: str | None = "Completion funnel"
) -> go.Figure:
    """Students at each stage (enrolled -> started -> ... -> completed), as a funnel with % of the first."""
    if not stages or all(count == 0 for _, count in stages):
        return empty_figure(title)
    fig = go.Figure(
        go.Funnel(
            y=[label for label, _ in stages],
            x=[count for _, count in stages],
            textinfo="value+percent initial",
            marker={
                "color": [BLUE, TEAL, GREEN, LIME, AMBER][: len(stages)] + [GREEN] * max(0, len(stages) - 5)
            },
            connector={"line": {"color": GREY, "width": 1}},
        )
    )
    return styled(fig, title, legend=False)


LETTER_ORDER = ["A", "A-", "B+", "B", "B-", "C+", "C", "C-", "D+", "D", "F"]


def grade_distribution(
    frame: pl.DataFrame, *, percent_col: str = "percentage", title: str | None = "Grade distribution"
) -> go.Figure:
    """Histogram of grade percentages in 10-point bins, coloured from red (low) to green (high)."""
    if frame.is_empty() or percent_col not in frame.columns:
        return empty_figure(title)
    values = frame[percent_col].drop_nulls().to_list()
    bins = [0] * 10
    for value in values:
        bins[min(int(value // 10), 9)] += 1
    labels = [f"{10 * i}–{10 * i + 10}%" for i in range(10)]
    colors = [RED] * 6 + [AMBER, AMBER, GREEN, GREEN]
    fig = go.Figure(
        go.Bar(x=labels, y=bins, marker_color=colors, hovertemplate="%{x}: %{y} students<extra></extra>")
    )
    fig.update_yaxes(title="students", rangemode="tozero")
    return styled(fig, title, legend=False)


def risk_scores(frame: pl.DataFrame, *, name_col: str, score_col: str, title: str | None = None) -> go.Figure:
    """Horizontal bars of risk scores, the riskiest on top."""
    if frame.is_empty():
        return empty_figure(title, "Nobody at risk")
    ordered = frame.sort(score_col)
    fig = go.Figure(
        go.Bar(
            x=ordered[score_col].to_list(), y=ordered[name_col].to_list(), orientation="h", marker_color=RED
        )
    )
    return styled(fig, title, height=max(200, 28 * len(ordered) + 60), legend=False)


# ---------------------------------------------------------------------------------------- video views
def retention_curve(
    positions: Sequence[float],
    retention: Sequence[float],
    *,
    milestones: Sequence[tuple[float, str]] = (),
    drop_offs: Sequence[tuple[float, str]] = (),
    duration: float | None = None,
    title: str | None = "Audience retention",
) -> go.Figure:
    """Share of viewers still watching at each position; milestones as dashed lines, drop-off points as
    red markers whose hover text is the transcript at that moment."""
    if not positions:
        return empty_figure(title)
    fig = go.Figure(
        go.Scatter(
            x=list(positions),
            y=list(retention),
            mode="lines",
            fill="tozeroy",
            line={"color": BLUE, "width": 2},
            fillcolor="rgba(37,99,235,0.12)",
            name="watching",
            customdata=[mmss(p) for p in positions],
            hovertemplate="%{customdata}: %{y:.0%}<extra></extra>",
        )
    )
    for at, label in milestones:
        fig.add_vline(x=at, line_dash="dash", line_color=VIOLET, opacity=0.7)
        fig.add_annotation(
            x=at,
            y=1.04,
            yref="paper",
            text=f"⚑ {label}"[:28],
            showarrow=False,
            font={"size": 11, "color": VIOLET},
        )
    if drop_offs:
        lookup = dict(zip(positions, retention, strict=False))
        xs = [at for at, _ in drop_offs]
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=[_nearest(lookup, x) for x in xs],
                mode="markers",
                name="drop-off",
                marker={"color": RED, "size": 11, "symbol": "triangle-down"},
                customdata=[[mmss(at), text[:120]] for at, text in drop_offs],
                hovertemplate="%{customdata[0]} drop-off<br>“%{customdata[1]}”<extra></extra>",
            )
        )
    fig.update_yaxes(tickformat=".0%", range=[0, 1.05], title="still watching")
    _time_axis(fig, duration or max(positions))
    return styled(fig, title, legend=bool(drop_offs))


def _time_axis(fig: go.Figure, duration: float) -> None:
    """An x axis over [0, duration] seconds labelled in m:ss (seven ticks), as in a video player."""
    fig.update_xaxes(
        range=[0, duration],
        tickvals=[duration * i / 6 for i in range(7)],
        ticktext=[mmss(duration * i / 6) for i in range(7)],
    )


def _nearest(lookup: dict[float, float], x: float) -> float:
    if not lookup:
        return 0.0
    key = min(lookup, key=lambda k: abs(k - x))
    return lookup[key]


def rewatch_heatmap(
    frame: pl.DataFrame, *, x_col: str, y_col: str, z_col: str, title: str | None = "Rewatches"
) -> go.Figure:
    """A heatmap of rewatch counts: position bins across, rows (days, students or segments) down."""
    if frame.is_empty():
        return empty_figure(title)
    pivot = frame.pivot(on=x_col, index=y_col, values=z_col, aggregate_function="sum").fill_null(0)
    x_labels = [c for c in pivot.columns if c != y_col]
    try:
        x_labels = sorted(x_labels, key=float)
    except ValueError:
        x_labels = sorted(x_labels)
    fig = go.Figure(
        go.Heatmap(
            z=pivot.select(x_labels).to_numpy().tolist(),
            x=x_labels,
            y=[str(v) for v in pivot[y_col].to_list()],
            colorscale="Blues",
            hovertemplate="%{y} · %{x}: %{z}<extra></extra>",
            colorbar={"title": z_col},
        )
    )
    return styled(fig, title, height=max(260, 22 * pivot.height + 80), legend=False)


def rewatch_strip(
    starts: Sequence[float],
    rewatches: Sequence[int],
    *,
    peaks: Sequence[bool] = (),
    duration: float | None = None,
    milestones: Sequence[tuple[float, str]] = (),
    title: str | None = "Rewatch heatmap",
) -> go.Figure:
    """Rewatches along the video as a one-row heatmap (hot = watched again), peaks outlined, milestones
    marked: where students went back to watch a part again."""
    if not starts or not any(rewatches):
        return empty_figure(title, "No rewatches yet")
    width = (starts[1] - starts[0]) if len(starts) > 1 else (duration or 1.0)
    centers = [s + width / 2 for s in starts]
    fig = go.Figure(
        go.Heatmap(
            z=[list(rewatches)],
            x=centers,
            y=["rewatches"],
            colorscale="YlOrRd",
            showscale=False,
            customdata=[[mmss(s) for s in starts]],
            hovertemplate="%{customdata}: %{z} rewatches<extra></extra>",
        )
    )
    for center, peak in zip(centers, peaks, strict=False):
        if peak:
            fig.add_vrect(x0=center - width / 2, x1=center + width / 2, line={"color": RED, "width": 2})
    for at, _label in milestones:
        fig.add_vline(x=at, line_dash="dash", line_color=VIOLET, opacity=0.8)
    _time_axis(fig, duration or (starts[-1] + width))
    fig.update_yaxes(visible=False)
    return styled(fig, title, height=150, legend=False)


def milestone_timeline(
    duration: float,
    milestones: Sequence[tuple[float, str]],
    *,
    highlight: float | None = None,
    title: str | None = None,
) -> go.Figure:
    """A video's timeline with its milestones as flags (and the one being placed highlighted)."""
    fig = go.Figure()
    fig.add_shape(type="line", x0=0, x1=duration, y0=0, y1=0, line={"color": GREY, "width": 6})
    if milestones:
        fig.add_trace(
            go.Scatter(
                x=[t for t, _ in milestones],
                y=[0] * len(milestones),
                mode="markers+text",
                text=[label[:24] for _, label in milestones],
                textposition="top center",
                marker={"symbol": "diamond", "size": 14, "color": VIOLET},
                name="milestones",
                customdata=[mmss(t) for t, _ in milestones],
                hovertemplate="%{customdata} %{text}<extra></extra>",
            )
        )
    if highlight is not None:
        fig.add_trace(
            go.Scatter(
                x=[highlight],
                y=[0],
                mode="markers",
                name="new",
                marker={"symbol": "diamond-open", "size": 18, "color": AMBER, "line": {"width": 3}},
            )
        )
    _time_axis(fig, duration)
    fig.update_xaxes(range=[-duration * 0.02, duration * 1.02])
    fig.update_yaxes(visible=False, range=[-1, 1.5])
    return styled(fig, title, height=170, legend=False)


# ------------------------------------------------------------------------------------- question views
def difficulty_discrimination(
    frame: pl.DataFrame,
    *,
    difficulty_col: str,
    discrimination_col: str,
    label_col: str,
    flag_col: str | None = None,
    title: str | None = "Difficulty vs discrimination",
) -> go.Figure:
    """Each question as a dot: x = share answering correctly, y = discrimination; flagged ones in red.
    Shaded bands mark the usual trouble zones (too hard, too easy, low discrimination)."""
    if frame.is_empty():
        return empty_figure(title)
    flagged = frame[flag_col].to_list() if flag_col and flag_col in frame.columns else [False] * frame.height
    flagged = [bool(f) for f in flagged]
    fig = go.Figure(
        go.Scatter(
            x=frame[difficulty_col].to_list(),
            y=frame[discrimination_col].to_list(),
            mode="markers",
            marker={"size": 11, "color": [RED if f else BLUE for f in flagged], "opacity": 0.85},
            text=[str(t)[:80] for t in frame[label_col].to_list()],
            hovertemplate="%{text}<br>correct %{x:.0%} · discrimination %{y:.2f}<extra></extra>",
        )
    )
    fig.add_vrect(x0=0, x1=0.3, fillcolor=RED, opacity=0.06, line_width=0)
    fig.add_vrect(x0=0.9, x1=1, fillcolor=AMBER, opacity=0.08, line_width=0)
    fig.add_hrect(y0=-1, y1=0.2, fillcolor=GREY, opacity=0.08, line_width=0)
    fig.update_xaxes(range=[0, 1], tickformat=".0%", title="answered correctly (difficulty index)")
    fig.update_yaxes(range=[-0.5, 1], title="discrimination")
    return styled(fig, title, legend=False)


def distractors(
    options: Sequence[str], counts: Sequence[int], correct: Sequence[bool], *, title: str | None = None
) -> go.Figure:
    """How often each option was chosen; the correct one(s) green, distractors grey (red when a distractor
    draws more than the correct answer)."""
    if not options:
        return empty_figure(title)
    top_correct = max((c for c, ok in zip(counts, correct, strict=True) if ok), default=0)
    colors = [
        GREEN if ok else (RED if n > top_correct else GREY) for n, ok in zip(counts, correct, strict=True)
    ]
    fig = go.Figure(
        go.Bar(
            x=list(counts),
            y=[o[:60] for o in options],
            orientation="h",
            marker_color=colors,
            hovertemplate="%{y}: %{x}<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed")
    return styled(fig, title, height=max(160, 34 * len(options) + 60), legend=False)


# -------------------------------------------------------------------------------------- student views
def session_timeline(
    frame: pl.DataFrame,
    *,
    start_col: str,
    end_col: str,
    label_col: str,
    title: str | None = "Sessions",
) -> go.Figure:
    """A Gantt-like timeline: one row per video (or lesson), one segment per session on it, one colour per
    row (a single trace per row keeps the browser fast with many sessions)."""
    if frame.is_empty():
        return empty_figure(title, "No sessions yet")
    fig = go.Figure()
    rows: dict[str, tuple[list[Any], list[Any]]] = {}
    for start, end, label in zip(
        frame[start_col].to_list(), frame[end_col].to_list(), frame[label_col].to_list(), strict=True
    ):
        xs, _ = rows.setdefault(str(label), ([], []))
        xs.extend([start, end or start, None])
    for i, (label, (xs, _)) in enumerate(rows.items()):
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=[label if x is not None else None for x in xs],
                mode="lines+markers",
                name=label,
                line={"width": 9, "color": PALETTE[i % len(PALETTE)]},
                marker={"size": 7},
                hovertemplate=f"{label[:60]}<br>%{{x|%b %d %H:%M}}<extra></extra>",
                connectgaps=False,
            )
        )
    fig.update_yaxes(autorange="reversed")
    return styled(fig, title, height=max(220, 30 * len(rows) + 80), legend=False)


def progress_bars(
    frame: pl.DataFrame, *, label_col: str, value_col: str, title: str | None = None
) -> go.Figure:
    """Horizontal 0-100% bars (coverage per video, completion per lesson)."""
    if frame.is_empty():
        return empty_figure(title)
    values = [float(v or 0) for v in frame[value_col].to_list()]
    colors = [GREEN if v >= 0.95 else AMBER if v >= 0.5 else RED for v in values]
    fig = go.Figure(
        go.Bar(
            x=values,
            y=[str(x)[:50] for x in frame[label_col].to_list()],
            orientation="h",
            marker_color=colors,
            hovertemplate="%{y}: %{x:.0%}<extra></extra>",
        )
    )
    fig.update_xaxes(range=[0, 1], tickformat=".0%")
    fig.update_yaxes(autorange="reversed")
    return styled(fig, title, height=max(180, 28 * frame.height + 60), legend=False)
