"""Teacher: how a video is watched: retention with its milestones, where students drop off (and what the
video says there), what they rewatch, and how far they get."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import charts, data
from dashboard.charts import mmss
from dashboard.components.filters import content_filters
from dashboard.components.links import link_to
from dashboard.components.page import page
from dashboard.components.tables import table

user, scope = page(__file__)
STEP_LABELS = {
    "enrolled": "Enrolled",
    "started": "Started",
    "watched_25": "Watched 25%",
    "watched_50": "Watched 50%",
    "watched_75": "Watched 75%",
    "completed": "Completed",
}

class_id, lesson_id, video_id = content_filters(scope, all_classes="All students", all_videos=None)
if video_id is None:
    st.info("No videos here yet.")
    st.stop()

video = data.video_detail(scope, video_id)
views = data.video_engagement(scope, video_id, class_id)
curve, funnel, reach = views["curve"], views["funnel"], views["milestones"]
stops = [(m["timestamp_seconds"], m["title"] or "stop") for m in video["milestones"]]
cues = video["transcript"]


def said_at(seconds: float) -> str:
    """The transcript cue playing at ``seconds`` (or the nearest one before it)."""
    before = [c for c in cues if c["start"] <= seconds]
    return (before[-1] if before else cues[0])["text"] if cues else ""


starters = int(curve["starters"][0]) if curve.height else 0
steps = dict(zip(funnel["step"], funnel["students"], strict=True))
k1, k2, k3, k4 = st.columns(4)
k1.metric("Started", starters, border=True)
k2.metric(
    "Completed",
    steps.get("completed", 0),
    border=True,
    delta=f"{steps.get('completed', 0) / starters:.0%} of starters" if starters else None,
    delta_arrow="off",
)
k3.metric("Length", mmss(video["duration_seconds"]), border=True)
k4.metric("Still watching at the end", f"{curve['share'][-1]:.0%}" if starters else "–", border=True)

drops = views["drop_offs"]
drop_points = [(row["at_seconds"], said_at(row["at_seconds"])) for row in drops.iter_rows(named=True)]
st.plotly_chart(
    charts.retention_curve(
        curve["start_seconds"].to_list(),
        curve["share"].fill_null(0).to_list(),
        milestones=stops,
        drop_offs=drop_points,
        duration=video["duration_seconds"],
    ),
    width="stretch",
)
heat = views["rewatches"]
st.plotly_chart(
    charts.rewatch_strip(
        heat["start_seconds"].to_list(),
        heat["rewatches"].to_list(),
        peaks=heat["is_peak"].to_list(),
        duration=video["duration_seconds"],
        milestones=stops,
    ),
    width="stretch",
)

left, right = st.columns([1.2, 1], gap="large")
with left:
    st.subheader("Where students drop off")
    if drops.is_empty():
        st.caption("No sharp drop in retention.")
    for row in drops.iter_rows(named=True):
        with st.container(border=True):
            st.markdown(f"**{mmss(row['at_seconds'])}** · :red[−{row['drop']:.0%}] of viewers leave here")
            st.markdown(f"> {said_at(row['at_seconds']) or '(no transcript)'}")
    link_to("milestones.py", "Add a milestone at a drop-off", video=video_id)
with right:
    st.plotly_chart(
        charts.completion_funnel(
            [(STEP_LABELS.get(s, s), n) for s, n in steps.items()], title="How far students get"
        ),
        width="stretch",
    )

st.subheader("At each milestone")
if reach.is_empty():
    st.caption("This video has no milestones.")
else:
    table(
        reach.select(
            pl.col("timestamp_seconds").map_elements(mmss, return_dtype=pl.String).alias("at"),
            pl.exclude("timestamp_seconds"),
        ),
        name="milestone reach",
        hide=("milestone_id",),
        column_config={
            "reach_rate": st.column_config.ProgressColumn(
                "Reached", min_value=0, max_value=1, format="percent"
            )
        },
    )
with st.expander("Retention by position (table)"):
    table(curve.select("start_seconds", "end_seconds", "viewers", "share"), name="retention curve")
