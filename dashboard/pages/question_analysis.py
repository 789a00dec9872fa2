"""Teacher: which questions work: difficulty and discrimination with flags, and which wrong answers
attract students (distractors)."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import charts, data
from dashboard.components.filters import content_filters
from dashboard.components.links import link_to
from dashboard.components.page import page
from dashboard.components.tables import table

user, scope = page(
    __file__,
    caption="Difficulty = share of first attempts correct; discrimination = how well a "
    "question separates strong from weak students (point-biserial).",
)
FLAG_TEXT = {
    "too_easy": "too easy",
    "too_hard": "too hard",
    "negative_discrimination": "strong students miss it",
    "low_discrimination": "does not discriminate",
    "few_respondents": "few answers yet",
}

class_id, lesson_id, video_id = content_filters(scope)

analysis = data.item_analysis(scope, class_id, lesson_id, video_id)
if analysis.is_empty():
    st.info("No answers to these questions yet.")
    st.stop()
prompts = data.question_prompts(scope)
analysis = analysis.with_columns(
    pl.col("question_id").replace_strict(prompts, default="(question)").alias("question"),
    pl.col("flags").list.eval(pl.element().replace(FLAG_TEXT)).list.join(", ").alias("issues"),
    (pl.col("flags").list.len() > 0).and_(~pl.col("flags").list.contains("few_respondents")).alias("flagged"),
)

k1, k2, k3, k4 = st.columns(4)
k1.metric("Questions answered", analysis.height, border=True)
k2.metric("Flagged", int(analysis["flagged"].sum()), border=True)
k3.metric("Median difficulty", f"{analysis['p_value'].median():.0%}", border=True)
k4.metric("Answers", f"{int(analysis['attempts'].sum()):,}", border=True)

st.plotly_chart(
    charts.difficulty_discrimination(
        analysis.with_columns(pl.col("point_biserial").fill_null(0.0)),
        difficulty_col="p_value",
        discrimination_col="point_biserial",
        label_col="question",
        flag_col="flagged",
    ),
    width="stretch",
)

shown = analysis.sort(["flagged", "p_value"], descending=[True, False]).select(
    "question",
    "issues",
    "type",
    "respondents",
    "p_value",
    "point_biserial",
    "discrimination_index",
    "first_attempt_correct_rate",
    "eventual_correct_rate",
    "mean_attempts_to_correct",
    "source",
    "question_id",
    "video_id",
)
picked = table(
    shown,
    name="question analysis",
    select=True,
    hide=("question_id", "video_id"),
    key="items",
    column_config={
        "question": st.column_config.TextColumn(width="large"),
        "p_value": st.column_config.ProgressColumn("Difficulty", min_value=0, max_value=1, format="percent"),
        "point_biserial": st.column_config.NumberColumn("Discrimination", format="%.2f"),
        "discrimination_index": st.column_config.NumberColumn("Upper−lower", format="%.2f"),
        "first_attempt_correct_rate": st.column_config.NumberColumn("1st try right", format="percent"),
        "eventual_correct_rate": st.column_config.NumberColumn("Right eventually", format="percent"),
    },
)

st.subheader("Answer choices")
spread = data.answer_distribution(scope, class_id, lesson_id, video_id)
with_options = spread.filter(pl.col("is_key").is_not_null())
choosable = [q for q in shown["question_id"].to_list() if q in set(with_options["question_id"].to_list())]
if not choosable:
    st.caption("Distractor charts are drawn for single-answer multiple-choice and true/false questions.")
    st.stop()
default = (
    shown["question_id"][picked[0]]
    if picked and shown["question_id"][picked[0]] in choosable
    else choosable[0]
)
question_id = st.selectbox(
    "Question",
    choosable,
    index=choosable.index(default),
    format_func=lambda q: prompts.get(q, q)[:100],
    key=f"dq_{default}",
)
options = with_options.filter(pl.col("question_id") == question_id)
left, right = st.columns([1.4, 1])
left.plotly_chart(
    charts.distractors(
        options["label"].to_list(),
        options["count"].to_list(),
        options["is_key"].to_list(),
        title=prompts.get(question_id, "")[:80],
    ),
    width="stretch",
)
with right:
    row = analysis.filter(pl.col("question_id") == question_id).row(0, named=True)
    st.markdown(
        f"**{row['respondents']}** students answered; **{row['p_value']:.0%}** right on the first try."
    )
    if row["issues"]:
        st.warning(row["issues"].capitalize(), icon=":material/flag:")
    link_to("question_editor.py", "Edit this question", video=row["video_id"], question=question_id)
with st.expander("Every answer given (all question types)"):
    table(
        spread.with_columns(pl.col("question_id").replace_strict(prompts, default="").alias("question")),
        name="answer distribution",
        hide=("question_id",),
    )
