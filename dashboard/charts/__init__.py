"""Plotly figure builders: pure functions from data (Polars frames, lists) to figures, one look for all.

No Streamlit here, so every builder is unit-tested on its own (tests/dashboard/test_dashboard_charts.py).
:mod:`.style` holds the look, :mod:`.learning` the teachers' figures, :mod:`.admin` the admins'.
"""

from dashboard.charts.admin import activity_by_day, burn_down, gauge, horizontal_bars, lines, stacked_by_day
from dashboard.charts.learning import (
    LETTER_ORDER,
    completion_funnel,
    difficulty_discrimination,
    distractors,
    grade_distribution,
    milestone_timeline,
    progress_bars,
    retention_curve,
    rewatch_heatmap,
    rewatch_strip,
    risk_scores,
    session_timeline,
)
from dashboard.charts.style import AMBER, BLUE, GREEN, GREY, LIME, PALETTE, PINK, RED, TEAL, VIOLET, mmss

__all__ = [
    "AMBER",
    "BLUE",
    "GREEN",
    "GREY",
    "LETTER_ORDER",
    "LIME",
    "PALETTE",
    "PINK",
    "RED",
    "TEAL",
    "VIOLET",
    "activity_by_day",
    "burn_down",
    "completion_funnel",
    "difficulty_discrimination",
    "distractors",
    "gauge",
    "grade_distribution",
    "horizontal_bars",
    "lines",
    "milestone_timeline",
    "mmss",
    "progress_bars",
    "retention_curve",
    "rewatch_heatmap",
    "rewatch_strip",
    "risk_scores",
    "session_timeline",
    "stacked_by_day",
]
