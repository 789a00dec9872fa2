"""Teacher: one class at a glance: KPIs, completion funnel, grades, activity and who needs help (and why)."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import charts, data
from dashboard.components.filters import date_range_param, select_param
from dashboard.components.links import link_to
from dashboard.components.page import page
from dashboard.components.tables import table
from platform_core.models import UserRole

user, scope = page(__file__)

mine = data.class_list(scope, teacher_id=str(user.user_id)) if user.role is UserRole.TEACHER else None
classes = mine if mine is not None and not mine.is_empty() else data.class_list(scope)
f1, f2, f3 = st.columns([1, 1.3, 1])
class_id = select_param(
    "Class", dict(zip(classes["class_id"], classes["name"], strict=True)), param="class", container=f1
)
if class_id is None:
    st.info("No classes yet. Classes and enrolments come from your school's roster.")
    st.stop()
assigned = data.lesson_list(scope, class_id=class_id)
lesson_id = select_param(
    "Lesson",
    dict(zip(assigned["lesson_id"], assigned["title"], strict=True)),
    param="lesson",
    allow_all="All lessons",
    container=f2,
)
start, end = date_range_param("Activity dates", days=30, container=f3)

overview = data.class_overview(scope, class_id, lesson_id)
students = data.class_students(scope, class_id, lesson_id)
at_risk = students.filter(pl.col("at_risk"))

enrolled = students.height
avg_grade = students["grade"].mean() if enrolled else None
completed = int(overview["completed"].sum()) if not overview.is_empty() else 0
possible = int(overview["students"].sum()) if not overview.is_empty() else 0
k1, k2, k3, k4, k5 = st.columns(5)
k1.metric("Students", enrolled, border=True)
k2.metric(
    "Lesson completion",
    f"{completed / possible:.0%}" if possible else "–",
    border=True,
    help="Completed (student, lesson) pairs out of all assigned",
)
k3.metric("Average coverage", f"{students['avg_coverage'].mean():.0%}" if enrolled else "–", border=True)
k4.metric("Average grade", f"{avg_grade:.1f}%" if avg_grade is not None else "–", border=True)
k5.metric(
    "At risk",
    at_risk.height,
    border=True,
    delta=f"{at_risk.height / enrolled:.0%} of class" if enrolled else None,
    delta_color="inverse" if at_risk.height else "off",
    delta_arrow="off",
)

left, right = st.columns(2)
if not overview.is_empty():
    funnel = [
        ("Assigned", possible),
        ("Started", int(overview["started"].sum())),
        ("Graded", int(overview["graded"].sum())),
        ("Completed", completed),
    ]
    left.plotly_chart(charts.completion_funnel(funnel), width="stretch")
else:
    left.plotly_chart(charts.completion_funnel([]), width="stretch")
right.plotly_chart(charts.grade_distribution(students.rename({"grade": "percentage"})), width="stretch")

activity = data.class_activity(scope, class_id, start, end)
st.plotly_chart(
    charts.lines(
        activity, x_col="day", y_col="active_students", title="Active students per day", y_title="students"
    ),
    width="stretch",
)

st.subheader(f"Needs attention ({at_risk.height})")
if at_risk.is_empty():
    st.success("Nobody is at risk by the school's rules.", icon=":material/sentiment_satisfied:")
else:
    risk_view = at_risk.select(
        "student",
        pl.col("risk_reasons").list.join("; ").alias("why"),
        "avg_coverage",
        "grade",
        "days_inactive",
        "failed_attempts",
        "student_id",
    ).sort(pl.col("why").str.count_matches(";"), descending=True)
    picked = table(
        risk_view,
        name="at-risk students",
        select=True,
        hide=("student_id",),
        key="risk",
        column_config={
            "why": st.column_config.TextColumn("Why", width="large"),
            "avg_coverage": st.column_config.ProgressColumn(
                "Coverage", min_value=0, max_value=1, format="percent"
            ),
            "grade": st.column_config.NumberColumn("Grade %", format="%.1f"),
        },
    )
    if picked:
        row = risk_view.row(picked[0], named=True)
        link_to(
            "student_drilldown.py",
            f"Open {row['student']}",
            icon=":material/person_search:",
            **{"class": class_id, "student": row["student_id"]},
        )

with st.expander("Per lesson", icon=":material/menu_book:"):
    table(
        overview.drop("class_id"),
        name="lessons of the class",
        hide=("lesson_id",),
        column_config={
            "completion_rate": st.column_config.ProgressColumn(
                "Completion", min_value=0, max_value=1, format="percent"
            ),
            "avg_coverage": st.column_config.ProgressColumn(
                "Coverage", min_value=0, max_value=1, format="percent"
            ),
        },
    )
with st.expander("Every student", icon=":material/groups:"):
    table(students.drop("class_id", "risk_reasons"), name="students of the class", hide=("student_id",))
