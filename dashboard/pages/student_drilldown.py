"""Teacher: one student: when they watched what, how far they got, how they answered, their grades."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import charts, data
from dashboard.components.filters import select_param
from dashboard.components.links import link_to
from dashboard.components.page import page
from dashboard.components.tables import table
from platform_core.models import UserRole

user, scope = page(__file__)

mine = data.class_list(scope, teacher_id=str(user.user_id)) if user.role is UserRole.TEACHER else None
classes = mine if mine is not None and not mine.is_empty() else data.class_list(scope)
f1, f2 = st.columns(2)
class_id = select_param(
    "Class", dict(zip(classes["class_id"], classes["name"], strict=True)), param="class", container=f1
)
if class_id is None:
    st.info("No classes yet.")
    st.stop()
roster = data.class_students(scope, class_id)
names = dict(zip(roster["student_id"], roster["student"], strict=True))
flagged = set(roster.filter(pl.col("at_risk"))["student_id"].to_list())
student_id = select_param(
    "Student",
    {k: f"{v}{'  ⚠' if k in flagged else ''}" for k, v in sorted(names.items(), key=lambda kv: kv[1])},
    param="student",
    container=f2,
)
if student_id is None:
    st.info("Nobody is enrolled in this class yet.")
    st.stop()

me = roster.filter(pl.col("student_id") == student_id).row(0, named=True)
detail = data.student_detail(scope, student_id)
sessions, progress, attempts, grades = (
    detail["sessions"],
    detail["progress"],
    detail["attempts"],
    detail["grades"],
)
activity = detail["activity"]

st.subheader(names[student_id])
if me["risk_reasons"]:
    st.warning("At risk: " + "; ".join(me["risk_reasons"]), icon=":material/warning:")
k1, k2, k3, k4, k5 = st.columns(5)
k1.metric("Average coverage", f"{me['avg_coverage'] or 0:.0%}", border=True)
k2.metric("Videos completed", f"{me['videos_completed']} / {me['videos']}", border=True)
k3.metric("Grade", f"{me['grade']:.1f}%" if me["grade"] is not None else "–", border=True)
k4.metric("Attempts right", f"{me['attempts'] - me['failed_attempts']} / {me['attempts']}", border=True)
k5.metric(
    "Last active",
    f"{me['days_inactive']} days ago" if me["days_inactive"] is not None else "never",
    border=True,
)

timeline, bars = st.columns([1.4, 1], gap="large")
timeline.plotly_chart(
    charts.session_timeline(
        activity,
        start_col="first_activity_at",
        end_col="last_activity_at",
        label_col="video",
        title="Viewing sessions (per day and video)",
    ),
    width="stretch",
)
bars.plotly_chart(
    charts.progress_bars(progress, label_col="video", value_col="coverage", title="Coverage per video"),
    width="stretch",
)

tab_attempts, tab_grades, tab_progress, tab_sessions = st.tabs(
    ["Attempts", "Grades", "Progress", "Sessions by day"]
)
with tab_attempts:
    if attempts.height:
        right = attempts["is_correct"].mean()
        st.caption(f"{attempts.height} attempts, {right:.0%} correct")
    table(
        attempts,
        name="attempts",
        hide=("question_id", "video_id"),
        column_config={
            "submitted_at": st.column_config.DatetimeColumn("When", format="YYYY-MM-DD HH:mm"),
            "fraction": st.column_config.ProgressColumn("Score", min_value=0, max_value=1, format="percent"),
            "prompt": st.column_config.TextColumn("Question", width="large"),
        },
    )
with tab_grades:
    table(
        grades,
        name="grades",
        hide=("lesson_id",),
        column_config={
            "percentage": st.column_config.ProgressColumn(
                "Grade", min_value=0, max_value=100, format="%.1f%%"
            )
        },
    )
with tab_progress:
    table(
        progress,
        name="progress",
        hide=("video_id",),
        column_config={
            "coverage": st.column_config.ProgressColumn(
                "Coverage", min_value=0, max_value=1, format="percent"
            )
        },
    )
with tab_sessions:
    table(activity, name="sessions by day", hide=("video_id",))
    st.caption("Where each video stands now (resume position, device):")
    table(sessions, name="video sessions", hide=("video_id",))
link_to("class_overview.py", "Back to the class", icon=":material/arrow_back:", **{"class": class_id})
