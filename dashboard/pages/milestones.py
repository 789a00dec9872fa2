"""Content: milestones placed on a video's timeline, with what the player does there."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import charts, data
from dashboard.charts import mmss
from dashboard.components.filters import select_param
from dashboard.components.links import link_to
from dashboard.components.page import page, writing
from dashboard.components.tables import table
from platform_core.content import milestones

user, scope = page(__file__, caption="A milestone stops the video at a moment and asks its questions.")

every_video = data.video_list(scope)
options = {
    row["video_id"]: f"{row['title']} ({mmss(row['duration_seconds'])})"
    for row in every_video.iter_rows(named=True)
}
video_id = select_param("Video", options, param="video")
if video_id is None:
    st.info("Create a video first.")
    st.stop()
video = data.video_detail(scope, video_id)
duration = float(video["duration_seconds"])
stops = video["milestones"]

if (pending := st.session_state.pop("ms_pending", None)) is not None:
    st.session_state[f"ms_pick_{video_id}"] = pending  # select the stop just saved, before the widget exists
existing = {m["milestone_id"]: f"{mmss(m['timestamp_seconds'])} · {m['title'] or 'untitled'}" for m in stops}
choice = (
    st.segmented_control(
        "Edit",
        ["new", *existing],
        format_func=lambda k: existing.get(k, "+ New milestone"),
        default="new",
        key=f"ms_pick_{video_id}",
    )
    or "new"
)
current = next((m for m in stops if m["milestone_id"] == choice), None)
settings = (current or {}).get("settings", {})

left, right = st.columns([1.2, 1], gap="large")
with left:
    at = st.number_input(
        "At (seconds)",
        0.0,
        duration,
        float(current["timestamp_seconds"]) if current else float(round(duration / 2)),
        step=1.0,
        key=f"ms_at_{choice}",
    )
    chart_stops = [(m["timestamp_seconds"], m["title"] or "") for m in stops if m["milestone_id"] != choice]
    st.plotly_chart(charts.milestone_timeline(duration, chart_stops, highlight=at), width="stretch")
    nearby = [c for c in video["transcript"] if c["start"] - 15 <= at <= c["end"] + 15]
    if nearby:
        st.caption("What the video says around there:")
        for cue in nearby[:4]:
            st.markdown(f"`{mmss(cue['start'])}` {cue['text']}")
with right:
    title = st.text_input("Title", (current or {}).get("title") or "", key=f"ms_title_{choice}")
    pause = st.toggle("Pause the video here", settings.get("pause", True), key=f"ms_pause_{choice}")
    require = st.toggle(
        "Require a correct answer to continue", settings.get("requireCorrect", False), key=f"ms_req_{choice}"
    )
    branches = {}
    for name, label in (("onCorrect", "After a correct answer"), ("onWrong", "After a wrong answer")):
        branch = settings.get(name) or {}
        a, b = st.columns([1, 1.4])
        actions = ["continue", "seek", "jump"]
        action = a.selectbox(
            label, actions, index=actions.index(branch.get("action", "continue")), key=f"ms_{name}_{choice}"
        )
        target = None
        if action == "seek":
            target = b.number_input(
                "Seek to (s)", 0.0, duration, float(branch.get("to") or 0), key=f"ms_{name}_to_{choice}"
            )
        elif action == "jump":
            others = {k: v for k, v in options.items() if k != video_id}
            target = b.selectbox(
                "Remedial video", list(others), format_func=others.get, key=f"ms_{name}_vid_{choice}"
            )
        branches[name] = {"action": action, **({"to": target} if target is not None else {})}
    new_settings = {"pause": pause, "requireCorrect": require, **branches}
    save, delete = st.columns(2)
    if save.button(
        "Create milestone" if current is None else "Save milestone", type="primary", width="stretch"
    ):
        with writing(user, success=f"Milestone at {mmss(at)} saved") as s:
            if current is None:
                created = milestones.create_milestone(
                    s, video_id=video_id, timestamp_seconds=at, title=title or None, settings=new_settings
                )
                choice = str(created.id)
            else:
                milestones.update_milestone(
                    s, milestone_id=choice, timestamp_seconds=at, title=title or None, settings=new_settings
                )
        st.session_state["ms_pending"] = choice
        st.rerun()
    if current is not None and delete.button("Delete", width="stretch", icon=":material/delete:"):
        with writing(user) as s:
            detached = milestones.delete_milestone(s, milestone_id=choice)
        st.session_state["ms_pending"] = "new"
        st.toast(f"Deleted; {detached} question(s) stay on the video without a stop")
        st.rerun()
    if current is not None:
        link_to("question_editor.py", "Questions at this stop", video=video_id, milestone=choice)

st.subheader("All milestones of this video")
frame = pl.DataFrame(
    [
        {
            "at": mmss(m["timestamp_seconds"]),
            "seconds": m["timestamp_seconds"],
            "title": m["title"],
            "pause": m["settings"].get("pause", True),
            "require correct": m["settings"].get("requireCorrect", False),
            "on wrong": (m["settings"].get("onWrong") or {}).get("action", "continue"),
        }
        for m in stops
    ],
    schema={
        "at": pl.String,
        "seconds": pl.Float64,
        "title": pl.String,
        "pause": pl.Boolean,
        "require correct": pl.Boolean,
        "on wrong": pl.String,
    },
)
table(frame, name="milestones")
