"""Content: questions of every type, with a type-specific editor, live validation and a "try it" preview
graded by the real grading engine."""

from __future__ import annotations

import streamlit as st

from dashboard import data
from dashboard.charts import mmss
from dashboard.components.filters import select_param
from dashboard.components.links import link_to
from dashboard.components.page import page, writing
from dashboard.components.question_forms import TYPE_LABELS, edit_data, response_input
from platform_core.content import questions
from platform_core.grading import InvalidQuestionData, InvalidResponse, grade_response, validate_question_data

user, scope = page(
    __file__, caption="Write a question, check it as you type, and answer it as a student would."
)

every_video = data.video_list(scope)
video_id = select_param(
    "Video", dict(zip(every_video["video_id"], every_video["title"], strict=True)), param="video"
)
if video_id is None:
    st.info("Create a video first.")
    st.stop()
video = data.video_detail(scope, video_id)
stops = {
    m["milestone_id"]: f"{mmss(m['timestamp_seconds'])} · {m['title'] or 'untitled'}"
    for m in video["milestones"]
}
existing = data.question_list(scope, video_id=video_id)
labels = {q["question_id"]: f"{q['prompt'][:70]} · {q['status']}" for q in existing}
question_id = select_param("Question", labels, param="question", allow_all="+ New question")
current = next((q for q in existing if q["question_id"] == question_id), None)
key = question_id or f"new_{video_id}"

head = st.columns([2, 1, 1])
types = list(TYPE_LABELS)
qtype = head[0].selectbox(
    "Type",
    types,
    index=types.index(current["type"]) if current else 0,
    format_func=TYPE_LABELS.get,
    key=f"{key}_type",
)
if current:
    head[1].markdown(
        f"**Status:** {current['status']}  \n**Source:** {current['source']} · v{current['version']}"
    )
stop_ids = ["", *stops]
milestone_id = head[2].selectbox(
    "Milestone",
    stop_ids,
    format_func=lambda k: stops.get(k, "no stop (end of video)"),
    index=stop_ids.index((current or {}).get("milestone_id") or st.query_params.get("milestone", "") or "")
    if ((current or {}).get("milestone_id") or st.query_params.get("milestone", "")) in stop_ids
    else 0,
    key=f"{key}_ms",
)

editor, preview = st.columns([1.3, 1], gap="large")
with editor:
    prompt = st.text_area("Question", (current or {}).get("prompt", ""), height=90, key=f"{key}_prompt")
    same_type = current is not None and current["type"] == qtype
    question_data = edit_data(qtype, current["data"] if same_type else {}, f"{key}_{qtype}")
    a, b, c = st.columns(3)
    points = a.number_input(
        "Points", 0.5, 100.0, float((current or {}).get("points", 1.0)), 0.5, key=f"{key}_pts"
    )
    tries = b.number_input(
        "Max attempts",
        0,
        20,
        int((current or {}).get("max_attempts") or 0),
        help="0 = unlimited",
        key=f"{key}_tries",
    )
    penalty = c.number_input(
        "Penalty per retry",
        0.0,
        1.0,
        float((current or {}).get("penalty", 1 / 3)),
        0.05,
        format="%.2f",
        key=f"{key}_pen",
    )
    explanation = st.text_area(
        "Explanation shown after answering",
        (current or {}).get("explanation") or "",
        height=70,
        key=f"{key}_expl",
    )

with preview:
    st.subheader("Check")
    try:
        validate_question_data(qtype, question_data)
        problem = None if prompt.strip() else "Write the question text."
    except InvalidQuestionData as exc:
        problem = str(exc)
    valid = problem is None
    if valid:
        st.success("Ready to save: the grader accepts this question.", icon=":material/check_circle:")
    elif current is None and not prompt.strip():
        st.info("Write the question and its answers; this check runs as you type.", icon=":material/edit:")
    else:
        st.error(problem, icon=":material/error:")
    st.subheader("Try it")
    with st.container(border=True):
        st.markdown(prompt or "_(question text)_")
        if valid:
            response = response_input(qtype, question_data, f"{key}_{qtype}_try")
            clicked = st.button("Check answer", icon=":material/grading:")
            if clicked and response is None:
                st.warning("Give an answer first.")
            elif clicked:
                try:
                    result = grade_response(qtype, question_data, response)
                except InvalidResponse as exc:
                    st.warning(f"That answer cannot be graded: {exc}")
                else:
                    icon = ":material/check_circle:" if result.is_correct else ":material/cancel:"
                    st.metric("Score", f"{result.fraction:.0%}", border=True)
                    (st.success if result.is_correct else st.info)(result.feedback or "Graded.", icon=icon)
                    if explanation:
                        st.caption(explanation)

save, publish, archive = st.columns([1.2, 1, 1])
fields = dict(
    prompt=prompt,
    data=question_data,
    points=points,
    max_attempts=tries or None,
    penalty=penalty,
    explanation=explanation or None,
    milestone_id=milestone_id or None,
)
if save.button("Create question" if current is None else "Save changes", type="primary", width="stretch"):
    if not valid:
        st.error("Not saved: fix what the check above says first.")
        st.stop()
    with writing(user, success="Question saved") as s:
        if current is None:
            created = questions.create_question(s, video_id=video_id, type=qtype, **fields)
            st.query_params["question"] = str(created.id)
        else:
            questions.update_question(s, question_id=question_id, type=qtype, **fields)
    st.rerun()
if current is not None:
    if current["source"] == "ai" and current["status"] == "pending_review":
        link_to("review_queue.py", "Review this AI question", container=publish, question=question_id)
    elif current["status"] != "published" and publish.button(
        "Publish", width="stretch", icon=":material/public:"
    ):
        with writing(user, success="Published: students can answer it") as s:
            questions.publish_question(s, question_id=question_id)
        st.rerun()
    elif current["status"] == "published" and publish.button("Unpublish", width="stretch"):
        with writing(user, success="Hidden from students") as s:
            questions.unpublish_question(s, question_id=question_id)
        st.rerun()
    if current["status"] != "archived" and archive.button(
        "Archive", width="stretch", icon=":material/archive:"
    ):
        with writing(user, success="Archived") as s:
            questions.archive_question(s, question_id=question_id)
        st.rerun()
