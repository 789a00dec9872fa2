"""Content: review AI-generated questions against what the video says: edit, approve or reject (with a
reason), one by one or in bulk. Students only ever see approved questions."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import data
from dashboard.charts import mmss
from dashboard.components.filters import select_param
from dashboard.components.page import page, writing
from dashboard.components.question_forms import TYPE_LABELS, edit_data
from dashboard.components.tables import table
from platform_core.ai import review
from platform_core.ai.jobs import generate_questions

user, scope = page(__file__, caption="Nothing generated reaches students until a teacher approves it.")

every_video = data.video_list(scope)
video_names = dict(zip(every_video["video_id"], every_video["title"], strict=True))
with st.expander("Generate questions from a video's transcript", icon=":material/auto_awesome:"):
    g1, g2, g3 = st.columns([2, 1, 1], vertical_alignment="bottom")
    source_video = g1.selectbox("Video", list(video_names), format_func=video_names.get, key="gen_video")
    configs = data.ai_config_names(scope)
    config = g2.selectbox("Provider", ["", *configs], format_func=lambda c: c or "organisation default")
    if g3.button("Generate", type="primary", icon=":material/auto_awesome:", disabled=source_video is None):
        with st.status("Generating questions…", expanded=True) as status:
            bar = st.progress(0.0, text="Reading the transcript")
            result = generate_questions(
                user.tenant_id,
                video_id=source_video,
                config_name=config or None,
                user_id=user.user_id,
                progress=lambda done, total: bar.progress(
                    done / total, text=f"Transcript part {done} of {total}"
                ),
            )
            data.invalidate()
            if result.error:
                status.update(label=f"Generation failed: {result.error.get('message')}", state="error")
            else:
                status.update(
                    label=f"{result.questions_created} questions ready for review "
                    f"({result.candidates_rejected} discarded by quality checks, ${result.cost_usd:.4f})",
                    state="complete",
                )

pick, count = st.columns([4, 1], vertical_alignment="bottom")
video_id = select_param("Video", video_names, param="video", allow_all="All videos", container=pick)
queue = data.review_queue(scope, video_id)
count.metric("Waiting for review", len(queue), border=True)
if not queue:
    st.success("The queue is empty.", icon=":material/done_all:")
    st.stop()

frame = pl.DataFrame(
    [
        {
            "question": q["prompt"],
            "type": TYPE_LABELS[q["type"]],
            "video": q["video_title"],
            "difficulty": q["ai_metadata"].get("difficulty"),
            "created": q["created_at"],
            "id": q["question_id"],
        }
        for q in queue
    ]
)
chosen_rows = table(frame, name="review queue", select="multi", hide=("id",), key="queue", height=260)
chosen = [frame["id"][i] for i in chosen_rows or []]
if chosen:
    b1, b2, b3 = st.columns([1, 2, 1], vertical_alignment="bottom")
    if b1.button(f"Approve {len(chosen)} selected", icon=":material/done_all:"):
        with writing(user, success=f"Approved {len(chosen)} questions") as s:
            review.approve_questions(s, question_ids=chosen)
        st.rerun()
    bulk_reason = b2.text_input("Reason for rejecting the selected", key="bulk_reason")
    if b3.button(f"Reject {len(chosen)} selected", icon=":material/block:"):
        with writing(user, success=f"Rejected {len(chosen)} questions") as s:
            review.reject_questions(s, question_ids=chosen, reason=bulk_reason)
        st.rerun()

labels = {q["question_id"]: f"{q['prompt'][:90]} ({q['video_title']})" for q in queue}
question_id = select_param("Review", labels, param="question")
current = next(q for q in queue if q["question_id"] == question_id)
meta = current["ai_metadata"]

context, editor = st.columns([1, 1.3], gap="large")
with context:
    st.markdown("**Source in the transcript**")
    quote = meta.get("sourceQuote") or ""
    st.markdown(f"> {quote}" if quote else "_no quote recorded_")
    start, end = float(meta.get("windowStart") or 0), float(meta.get("windowEnd") or 0)
    cues = [
        c
        for c in data.video_detail(scope, current["video_id"])["transcript"]
        if c["end"] >= start and c["start"] <= end
    ]
    with st.container(height=240, border=True):
        for cue in cues:
            text = cue["text"]
            st.markdown(
                f"`{mmss(cue['start'])}` "
                + (f"**{text}**" if quote and text.strip() and text.strip() in quote else text)
            )
    st.caption(
        f"Difficulty {meta.get('difficulty', '?')} · Bloom {meta.get('bloomLevel', '?')} · "
        f"{meta.get('provider', '?')}/{meta.get('model', '?')}"
    )
    if meta.get("rationale"):
        st.caption(f"Why: {meta['rationale']}")

with editor:
    key = f"rv_{question_id}"
    prompt = st.text_area("Question", current["prompt"], key=f"{key}_prompt")
    edited = edit_data(current["type"], current["data"], key)
    explanation = st.text_area("Explanation", current["explanation"] or "", key=f"{key}_expl", height=70)
    changes = {"id": question_id, "prompt": prompt, "data": edited, "explanation": explanation or None}
    baseline = st.session_state.setdefault(f"{key}_baseline", edited)  # the editor's output before any edit
    dirty = (
        prompt != current["prompt"] or edited != baseline or (explanation or None) != current["explanation"]
    )
    a1, a2 = st.columns(2)
    if a1.button(
        "Save edits and approve" if dirty else "Approve",
        type="primary",
        icon=":material/check:",
        width="stretch",
    ):
        with writing(user, success="Approved: students can now answer it") as s:
            if dirty:
                review.edit_questions(s, edits=[changes], approve=True)
            else:
                review.approve_questions(s, question_ids=[question_id])
        st.rerun()
    keep = a2.button("Save edits, keep in review", width="stretch")
    if keep and not dirty:
        st.info("Nothing has changed yet.")
    elif keep:
        with writing(user, success="Saved; still waiting for review") as s:
            review.edit_questions(s, edits=[changes])
        st.rerun()
    reason = st.text_input(
        "Reason for rejecting", key=f"{key}_reason", placeholder="e.g. not what the video says"
    )
    if st.button("Reject", icon=":material/block:"):
        with writing(user, success="Rejected") as s:
            review.reject_questions(s, question_ids=[question_id], reason=reason)
        st.rerun()

st.subheader("History")
h1, h2 = st.tabs(["This question", "Recent review actions"])
with h1:
    table(data.review_history(scope, question_id), name="review history of the question", key="history_one")
with h2:
    table(
        data.audit_log(scope, actions=["REVIEW"], limit=200).select(
            "occurred_at", "actor", "record_id", "new_data"
        ),
        name="recent review actions",
        key="history_all",
    )
