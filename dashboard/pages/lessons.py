"""Content: lessons, their video groups and the videos in each group (reusable across lessons)."""

from __future__ import annotations

import streamlit as st

from dashboard import data
from dashboard.components.filters import select_param
from dashboard.components.links import link_to
from dashboard.components.page import page, writing
from dashboard.components.tables import table
from platform_core.content import lessons, videos
from platform_core.models import GradingMethod, LessonStatus

user, scope = page(__file__, caption="A lesson is groups of videos; students play them in this order.")
STATUS_ICON = {
    "draft": ":material/edit:",
    "published": ":material/public:",
    "archived": ":material/inventory_2:",
}

all_lessons = data.lesson_list(scope)
with (
    st.expander("New lesson", icon=":material/add:", expanded=all_lessons.is_empty()),
    st.form("new_lesson", clear_on_submit=True),
):
    title = st.text_input("Title")
    description = st.text_area("Description", height=80)
    if st.form_submit_button("Create lesson", type="primary"):
        with writing(user, success=f"Created {title}") as s:
            created = lessons.create_lesson(s, title=title, description=description or None)
        st.query_params["lesson"] = str(created.id)
        st.rerun()

options = {row["lesson_id"]: f"{row['title']} · {row['status']}" for row in all_lessons.iter_rows(named=True)}
lesson_id = select_param("Lesson", options, param="lesson")
if lesson_id is None:
    table(all_lessons, name="lessons", hide=("lesson_id",))
    st.stop()

lesson = data.lesson_detail(scope, lesson_id)
details, outline = st.columns([1, 1.4], gap="large")
with details, st.form("edit_lesson"):
    st.markdown(f"{STATUS_ICON[lesson['status']]} **{lesson['status'].title()}**")
    title = st.text_input("Title", lesson["title"])
    description = st.text_area("Description", lesson["description"] or "", height=100)
    methods = ["", *[m.value for m in GradingMethod]]
    method = st.selectbox(
        "Grading method",
        methods,
        index=methods.index(lesson["grading_method"] or ""),
        format_func=lambda m: m or "organisation default",
    )
    if st.form_submit_button("Save changes", type="primary"):
        with writing(user, success="Lesson saved") as s:
            lessons.update_lesson(
                s,
                lesson_id=lesson_id,
                title=title,
                description=description or None,
                grading_method=method or None,
            )
        st.rerun()
targets = [s for s in LessonStatus if s.value != lesson["status"]]
for column, target in zip(details.columns(len(targets)), targets, strict=True):
    if column.button(f"Make {target.value}", icon=STATUS_ICON[target.value], key=f"status_{target.value}"):
        with writing(user, success=f"Lesson is now {target.value}") as s:
            lessons.set_lesson_status(s, lesson_id=lesson_id, status=target)
        st.rerun()

with outline:
    st.subheader("Outline")
    every_video = data.video_list(scope)
    video_names = dict(zip(every_video["video_id"], every_video["title"], strict=True))
    for number, group in enumerate(lesson["groups"], start=1):
        with st.container(border=True):
            st.markdown(f"**{number}. {group['title']}**")
            for video in group["videos"]:
                row = st.columns([5, 1.3, 1.3])
                row[0].markdown(
                    f":material/movie: {video['title']} · {video['duration_seconds'] / 60:.1f} min"
                )
                link_to("milestones.py", "Stops", container=row[1], video=video["video_id"])
                if row[2].button(
                    "Remove", key=f"rm_{group['group_id']}_{video['video_id']}", type="tertiary"
                ):
                    with writing(user, success="Removed from the group (the video itself stays)") as s:
                        videos.remove_video_from_group(
                            s, group_id=group["group_id"], video_id=video["video_id"]
                        )
                    st.rerun()
            present = {v["video_id"] for v in group["videos"]}
            choices = {k: v for k, v in video_names.items() if k not in present}
            pick, add = st.columns([4, 1], vertical_alignment="bottom")
            chosen = pick.selectbox(
                "Add an existing video",
                ["", *choices],
                key=f"add_{group['group_id']}",
                format_func=lambda k, c=choices: c.get(k, "choose a video…"),
            )
            if add.button("Add", key=f"addbtn_{group['group_id']}", disabled=not chosen):
                with writing(user, success="Video added") as s:
                    videos.reuse_video(s, video_id=chosen, lesson_id=lesson_id, group_id=group["group_id"])
                st.rerun()
    with st.form("new_group", clear_on_submit=True, border=False):
        name, go = st.columns([4, 1], vertical_alignment="bottom")
        group_title = name.text_input("New group", placeholder="e.g. Week 2: forces")
        if go.form_submit_button("Add group"):
            with writing(user, success="Group added") as s:
                lessons.create_video_group(s, lesson_id=lesson_id, title=group_title)
            st.rerun()
    link_to("videos.py", "Create a new video", icon=":material/video_call:", lesson=lesson_id)
