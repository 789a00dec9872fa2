"""Cached reads of analytics: class overview, students, video engagement, item analysis, one student."""

from __future__ import annotations

from datetime import date

import polars as pl
import streamlit as st

from dashboard.data.base import (
    TTL_ANALYTICS,
    TTL_CONTENT,
    Scope,
    session_for,
)
from dashboard.data.content import question_list
from platform_core.analytics import classes as analytics_classes
from platform_core.analytics import engagement, items
from platform_core.analytics import student_detail as student_detail_reads
from platform_core.analytics.sources import open_source
from platform_core.tenancy import admin


# ----------------------------------------------------------------------------------------- analytics
@st.cache_data(ttl=TTL_CONTENT, show_spinner=False)
def people_names(scope: Scope) -> dict[str, str]:
    """User id -> display name (students in tables are shown by name to teachers)."""
    with session_for(scope) as s:
        frame = admin.list_users(s)
    return dict(zip(frame["user_id"], frame["display_name"], strict=True))


def _named(
    frame: pl.DataFrame, scope: Scope, column: str = "student_id", name: str = "student"
) -> pl.DataFrame:
    names = people_names(scope)
    if column not in frame.columns:
        return frame
    return frame.with_columns(pl.col(column).replace_strict(names, default="(unknown)").alias(name)).select(
        name, *[c for c in frame.columns]
    )


@st.cache_data(ttl=TTL_ANALYTICS, show_spinner=False)
def class_overview(scope: Scope, class_id: str, lesson_id: str | None = None) -> pl.DataFrame:
    with open_source(scope.tenant_id) as src:
        return analytics_classes.class_overview(src, class_id=class_id, lesson_id=lesson_id)


@st.cache_data(ttl=TTL_ANALYTICS, show_spinner=False)
def class_students(scope: Scope, class_id: str, lesson_id: str | None = None) -> pl.DataFrame:
    """Per student of the class, with at-risk flags and reasons, and the student's name."""
    with open_source(scope.tenant_id) as src:
        frame = analytics_classes.class_students(src, class_id=class_id, lesson_id=lesson_id)
    return _named(frame, scope)


@st.cache_data(ttl=TTL_ANALYTICS, show_spinner=False)
def letter_distribution(scope: Scope, class_id: str, lesson_id: str | None = None) -> pl.DataFrame:
    with open_source(scope.tenant_id) as src:
        return analytics_classes.letter_distribution(src, class_id=class_id, lesson_id=lesson_id)


@st.cache_data(ttl=TTL_ANALYTICS, show_spinner=False)
def class_activity(scope: Scope, class_id: str, since: date, until: date) -> pl.DataFrame:
    with open_source(scope.tenant_id) as src:
        return analytics_classes.class_daily_activity(src, class_id=class_id, since=since, until=until)


# ---------------------------------------------------------------------------------- video and items
@st.cache_data(ttl=TTL_ANALYTICS, show_spinner=False)
def video_engagement(scope: Scope, video_id: str, class_id: str | None = None) -> dict[str, pl.DataFrame]:
    """Retention curve, its drop-off points, the rewatch strip, the watch funnel and milestone reach."""
    with open_source(scope.tenant_id) as src:
        curve = engagement.retention_curve(src, video_id=video_id, class_id=class_id, bins=100)
        return {
            "curve": curve,
            "drop_offs": engagement.drop_off_points(curve, top=5),
            "rewatches": engagement.rewatch_heatmap(src, video_id=video_id, class_id=class_id, bins=60),
            "funnel": engagement.completion_funnel(src, video_id=video_id, class_id=class_id),
            "milestones": engagement.milestone_reach(src, video_id=video_id, class_id=class_id),
        }


@st.cache_data(ttl=TTL_ANALYTICS, show_spinner=False)
def item_analysis(
    scope: Scope, class_id: str | None = None, lesson_id: str | None = None, video_id: str | None = None
) -> pl.DataFrame:
    with open_source(scope.tenant_id) as src:
        return items.item_analysis(src, class_id=class_id, lesson_id=lesson_id, video_id=video_id)


@st.cache_data(ttl=TTL_ANALYTICS, show_spinner=False)
def answer_distribution(
    scope: Scope, class_id: str | None = None, lesson_id: str | None = None, video_id: str | None = None
) -> pl.DataFrame:
    with open_source(scope.tenant_id) as src:
        return items.answer_distribution(src, class_id=class_id, lesson_id=lesson_id, video_id=video_id)


@st.cache_data(ttl=TTL_CONTENT, show_spinner=False)
def question_prompts(scope: Scope) -> dict[str, str]:
    """Question id -> prompt, for labelling analysis tables."""
    return {q["question_id"]: q["prompt"] for q in question_list(scope)}


@st.cache_data(ttl=TTL_ANALYTICS, show_spinner=False)
def student_detail(scope: Scope, student_id: str) -> dict[str, pl.DataFrame]:
    """Sessions, progress per video, attempts and lesson grades of one student."""
    with open_source(scope.tenant_id) as src:
        return {
            "sessions": student_detail_reads.student_sessions(src, student_id=student_id),
            "activity": student_detail_reads.student_activity(src, student_id=student_id),
            "progress": student_detail_reads.student_progress(src, student_id=student_id),
            "attempts": student_detail_reads.student_attempts(src, student_id=student_id),
            "grades": student_detail_reads.student_grades(src, student_id=student_id),
        }
