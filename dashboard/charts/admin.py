"""Figures of the admin pages: AI cost, budgets, audit activity, database health."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import plotly.graph_objects as go
import polars as pl

from dashboard.charts.style import (
    BLUE,
    GREEN,
    RED,
    empty_figure,
    styled,
)


# ----------------------------------------------------------------------------------- admin and ops views
def stacked_by_day(
    frame: pl.DataFrame,
    *,
    day_col: str,
    group_col: str,
    value_col: str,
    title: str | None = None,
    money: bool = False,
) -> go.Figure:
    """Stacked daily bars of ``value_col`` split by ``group_col`` (cost by provider, events by type)."""
    if frame.is_empty():
        return empty_figure(title)
    fig = go.Figure()
    grouped = frame.group_by(day_col, group_col).agg(pl.col(value_col).sum()).sort(day_col)
    for group in sorted(grouped[group_col].unique().to_list(), key=str):
        part = grouped.filter(pl.col(group_col) == group)
        fig.add_trace(
            go.Bar(
                x=part[day_col].to_list(),
                y=part[value_col].to_list(),
                name=str(group),
                hovertemplate=("%{x}: $%{y:.4f}" if money else "%{x}: %{y}") + f"<extra>{group}</extra>",
            )
        )
    fig.update_layout(barmode="stack")
    if money:
        fig.update_yaxes(tickprefix="$")
    return styled(fig, title)


def activity_by_day(
    frame: pl.DataFrame, *, time_col: str, group_col: str, title: str | None = None
) -> go.Figure:
    """Counts of rows per day split by ``group_col`` (audit entries per action)."""
    if frame.is_empty():
        return empty_figure(title)
    daily = frame.with_columns(pl.col(time_col).dt.date().alias("_day")).group_by("_day", group_col).len()
    return stacked_by_day(daily, day_col="_day", group_col=group_col, value_col="len", title=title)


def burn_down(
    days: Sequence[Any],
    spent: Sequence[float],
    *,
    budget: float | None,
    period_days: int | None = None,
    title: str | None = "Budget burn-down",
) -> go.Figure:
    """Cumulative spend against the budget line, with the straight-line pace to the period's end."""
    if not days:
        return empty_figure(title)
    cumulative: list[float] = []
    total = 0.0
    for value in spent:
        total += float(value or 0)
        cumulative.append(total)
    fig = go.Figure(
        go.Scatter(
            x=list(days),
            y=cumulative,
            mode="lines+markers",
            name="spent",
            line={"color": BLUE, "width": 3},
            hovertemplate="%{x}: $%{y:.2f}<extra></extra>",
        )
    )
    if budget:
        fig.add_hline(y=budget, line_color=RED, line_dash="dash", annotation_text=f"budget ${budget:,.2f}")
        if period_days and len(days) >= 1:
            pace = cumulative[-1] / len(days) * period_days
            fig.add_annotation(
                x=days[-1],
                y=cumulative[-1],
                text=f"pace → ${pace:,.2f}",
                showarrow=True,
                arrowhead=2,
                font={"color": RED if pace > budget else GREEN},
            )
    fig.update_yaxes(tickprefix="$", rangemode="tozero")
    return styled(fig, title, legend=False)


def horizontal_bars(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    title: str | None = None,
    money: bool = False,
    color: str = BLUE,
    fmt: str | None = None,
) -> go.Figure:
    """Ranked horizontal bars (cost by model, table sizes)."""
    if not labels:
        return empty_figure(title)
    pairs = sorted(zip(labels, values, strict=True), key=lambda p: p[1] or 0)
    fmt = fmt or ("$%{x:,.4f}" if money else "%{x:,}")
    fig = go.Figure(
        go.Bar(
            x=[v for _, v in pairs],
            y=[str(k)[:50] for k, _ in pairs],
            orientation="h",
            marker_color=color,
            hovertemplate=f"%{{y}}: {fmt}<extra></extra>",
        )
    )
    if money:
        fig.update_xaxes(tickprefix="$")
    return styled(fig, title, height=max(200, 26 * len(pairs) + 70), legend=False)


def lines(
    frame: pl.DataFrame,
    *,
    x_col: str,
    y_col: str,
    group_col: str | None = None,
    title: str | None = None,
    y_title: str | None = None,
) -> go.Figure:
    """One line per group over time (table growth, daily active students)."""
    if frame.is_empty():
        return empty_figure(title)
    fig = go.Figure()
    groups = sorted(frame[group_col].unique().to_list(), key=str) if group_col else [None]
    for group in groups:
        part = frame.filter(pl.col(group_col) == group) if group_col else frame
        part = part.sort(x_col)
        fig.add_trace(
            go.Scatter(
                x=part[x_col].to_list(),
                y=part[y_col].to_list(),
                mode="lines+markers",
                name=str(group) if group is not None else y_col,
            )
        )
    fig.update_yaxes(title=y_title, rangemode="tozero")
    return styled(fig, title, legend=group_col is not None)


def gauge(
    value: float, *, title: str, good: float = 0.99, warn: float = 0.95, higher_is_better: bool = True
) -> go.Figure:
    """A ratio in [0, 1] as a gauge with green/amber/red bands: for a hit ratio high is good (above
    ``good`` green, below ``warn`` red); with ``higher_is_better=False`` (pool use) low is good."""
    green, amber, red = "#dcfce7", "#fef3c7", "#fee2e2"
    if higher_is_better:
        steps = [(0, warn, red), (warn, good, amber), (good, 1, green)]
    else:
        steps = [(0, good, green), (good, warn, amber), (warn, 1, red)]
    fig = go.Figure(
        go.Indicator(
            mode="gauge+number",
            value=value * 100,
            number={"suffix": "%", "valueformat": ".1f", "font": {"size": 30, "color": "#1f2937"}},
            gauge={
                "axis": {"range": [0, 100]},
                "bar": {"color": BLUE},
                "steps": [{"range": [lo * 100, hi * 100], "color": color} for lo, hi, color in steps],
            },
        )
    )
    fig = styled(fig, title, height=210, legend=False)
    fig.update_layout(margin={"l": 30, "r": 30, "t": 40, "b": 10})
    return fig
