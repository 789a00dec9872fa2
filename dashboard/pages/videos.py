"""Content: videos (details, metadata, timed transcript) and reusing a video in another lesson."""

from __future__ import annotations

import json

import polars as pl
import streamlit as st

from dashboard import data
from dashboard.charts import mmss
from dashboard.components.filters import select_param
from dashboard.components.links import link_to
from dashboard.components.page import page, writing
from platform_core.content import videos
from platform_core.models import PreventSkipping

user, scope = page(
    __file__, caption="A video can appear in several lessons; its stops and questions travel with it."
)

lessons = data.lesson_list(scope)
lesson_names = dict(zip(lessons["lesson_id"], lessons["title"], strict=True))
every_video = data.video_list(scope)

with (
    st.expander("New video", icon=":material/video_call:", expanded=every_video.is_empty()),
    st.form("new_video", clear_on_submit=True),
):
    title = st.text_input("Title")
    a, b = st.columns(2)
    minutes = a.number_input("Duration (minutes)", min_value=0.1, max_value=600.0, value=5.0, step=0.5)
    source = b.text_input("Source URL", placeholder="https://…")
    description = st.text_area("Description", height=70)
    place_in = st.selectbox(
        "Add to lesson",
        ["", *lesson_names],
        index=0,
        format_func=lambda k: lesson_names.get(k, "(not yet)"),
    )
    if st.form_submit_button("Create video", type="primary"):
        with writing(user, success=f"Created {title}") as s:
            video = videos.create_video(
                s,
                title=title,
                duration_seconds=minutes * 60,
                description=description or None,
                source_url=source or None,
            )
            if place_in:
                videos.reuse_video(s, video_id=video.id, lesson_id=place_in)
        st.query_params["video"] = str(video.id)
        st.rerun()

options = {
    row["video_id"]: f"{row['title']} ({mmss(row['duration_seconds'])})"
    for row in every_video.iter_rows(named=True)
}
video_id = select_param("Video", options, param="video")
if video_id is None:
    st.stop()
video = data.video_detail(scope, video_id)

used = ", ".join(x["title"] for x in video["lessons"]) or "no lesson yet"
st.caption(
    f"Used in: {used} · {len(video['milestones'])} milestones · {len(video['transcript'])} transcript cues"
)
link_to("milestones.py", "Place milestones on the timeline", video=video_id)

details, transcript_tab, metadata_tab, reuse_tab = st.tabs(
    ["Details", "Transcript", "Metadata", "Reuse in a lesson"]
)
with details, st.form("edit_video"):
    title = st.text_input("Title", video["title"])
    description = st.text_area("Description", video["description"] or "", height=80)
    a, b, c = st.columns(3)
    source = a.text_input("Source URL", video["source_url"] or "")
    threshold = b.slider(
        "Counts as complete at", 0.5, 1.0, float(video["completion_threshold"]), 0.05, format="%.2f"
    )
    skipping = [p.value for p in PreventSkipping]
    prevent = c.selectbox("Prevent skipping", skipping, index=skipping.index(video["prevent_skipping"]))
    if st.form_submit_button("Save details", type="primary"):
        with writing(user, success="Video saved") as s:
            videos.update_video(
                s,
                video_id=video_id,
                title=title,
                description=description or None,
                source_url=source or None,
                completion_threshold=threshold,
                prevent_skipping=prevent,
            )
        st.rerun()

with transcript_tab:
    st.caption("One row per cue; times in seconds. Add rows at the bottom, delete with the row menu.")
    cues = pl.DataFrame(
        video["transcript"] or [], schema={"start": pl.Float64, "end": pl.Float64, "text": pl.String}
    )
    edited = st.data_editor(
        cues,
        num_rows="dynamic",
        width="stretch",
        key="cues",
        column_config={
            "start": st.column_config.NumberColumn(
                min_value=0.0, max_value=video["duration_seconds"], format="%.1f"
            ),
            "end": st.column_config.NumberColumn(
                min_value=0.0, max_value=video["duration_seconds"], format="%.1f"
            ),
            "text": st.column_config.TextColumn(width="large"),
        },
    )
    if st.button("Save transcript", type="primary"):
        rows = [r for r in pl.DataFrame(edited).iter_rows(named=True) if r["text"]]
        with writing(user, success=f"Transcript saved ({len(rows)} cues)") as s:
            videos.set_transcript(
                s, video_id=video_id, transcript=sorted(rows, key=lambda r: r["start"] or 0)
            )
        st.rerun()

with metadata_tab:
    raw = st.text_area("Metadata (JSON)", json.dumps(video["metadata"], indent=2), height=200)
    try:
        parsed = json.loads(raw or "{}")
        st.caption(":material/check: valid JSON")
    except json.JSONDecodeError as exc:
        parsed = None
        st.error(f"Not valid JSON: {exc}")
    if st.button("Save metadata") and parsed is not None:
        with writing(user, success="Metadata saved") as s:
            videos.set_video_metadata(s, video_id=video_id, metadata=parsed)
        st.rerun()

with reuse_tab:
    others = {k: v for k, v in lesson_names.items() if k not in {x["lesson_id"] for x in video["lessons"]}}
    target = st.selectbox("Lesson", ["", *others], format_func=lambda k: others.get(k, "choose a lesson…"))
    if st.button("Add this video to the lesson", disabled=not target, icon=":material/content_copy:"):
        with writing(user, success=f"Now also in {others.get(target, '')}") as s:
            videos.reuse_video(s, video_id=video_id, lesson_id=target)
        st.rerun()
