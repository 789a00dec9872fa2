"""The one look of every figure: colours, layout, the empty state, and time as m:ss."""

from __future__ import annotations

import plotly.graph_objects as go

BLUE, GREEN, AMBER, RED, VIOLET, TEAL, PINK, LIME = (
    "#2563eb",
    "#16a34a",
    "#f59e0b",
    "#dc2626",
    "#7c3aed",
    "#0891b2",
    "#db2777",
    "#65a30d",
)
PALETTE = [BLUE, GREEN, AMBER, RED, VIOLET, TEAL, PINK, LIME]
GREY = "#94a3b8"


def styled(fig: go.Figure, title: str | None = None, *, height: int = 340, legend: bool = True) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0, "font": {"size": 15}} if title else None,
        height=height,
        margin={"l": 10, "r": 10, "t": 40 if title else 10, "b": 10},
        template="plotly_white",
        colorway=PALETTE,
        showlegend=legend,
        legend={"orientation": "h", "yanchor": "top", "y": -0.18, "xanchor": "left", "x": 0},
        hoverlabel={"bgcolor": "white"},
        font={"family": "sans-serif"},
    )
    return fig


def empty_figure(title: str | None, message: str = "No data yet") -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(
        text=message,
        showarrow=False,
        font={"size": 14, "color": GREY},
        x=0.5,
        y=0.5,
        xref="paper",
        yref="paper",
    )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return styled(fig, title, height=220, legend=False)


def mmss(seconds: float) -> str:
    seconds = max(0, round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"
