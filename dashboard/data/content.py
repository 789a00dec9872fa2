"""Cached reads of tenancy and content: counts, users, audit log, classes, lessons, videos, questions,
search."""

from __future__ import annotations

from typing import Any

import polars as pl
import streamlit as st

from dashboard.data.base import (
    TTL_CONTENT,
    TTL_LIVE,
    Scope,
    frame,
    session_for,
)
from platform_core.audit.log import audit_entries, audit_facets
from platform_core.content import classes, lessons, milestones, questions, videos
from platform_core.content import search as content_search
from platform_core.models import UserRole
from platform_core.tenancy import admin
from platform_core.tenancy.summary import tenant_counts


# ------------------------------------------------------------------------------------------- tenancy
@st.cache_data(ttl=TTL_CONTENT, show_spinner=False)
def counts(scope: Scope) -> dict[str, int]:
    with session_for(scope) as s:
        return tenant_counts(s)


@st.cache_data(ttl=TTL_LIVE, show_spinner=False)
def users(scope: Scope, role: str | None = None, search: str | None = None) -> pl.DataFrame:
    with session_for(scope) as s:
        return admin.list_users(s, role=UserRole(role) if role else None, search=search or None)


@st.cache_data(ttl=TTL_LIVE, show_spinner=False)
def audit_log(scope: Scope, **filters: Any) -> pl.DataFrame:
    with session_for(scope) as s:
        return audit_entries(s, **filters)


@st.cache_data(ttl=TTL_LIVE, show_spinner=False)
def audit_filter_values(scope: Scope) -> dict[str, list[str]]:
    with session_for(scope) as s:
        return audit_facets(s)


# ------------------------------------------------------------------------------------------- content
CLASS_SCHEMA = {"class_id": pl.String, "name": pl.String, "code": pl.String, "teacher_id": pl.String}


@st.cache_data(ttl=TTL_CONTENT, show_spinner=False)
def class_list(scope: Scope, teacher_id: str | None = None) -> pl.DataFrame:
    with session_for(scope) as s:
        rows = [
            {"class_id": str(c.id), "name": c.name, "code": c.code, "teacher_id": str(c.teacher_id or "")}
            for c in classes.list_classes(s, teacher_id=teacher_id)
        ]
    return frame(rows, CLASS_SCHEMA)


LESSON_SCHEMA = {
    "lesson_id": pl.String,
    "title": pl.String,
    "status": pl.String,
    "grading_method": pl.String,
    "description": pl.String,
    "updated_at": pl.Datetime(time_zone="UTC"),
}


@st.cache_data(ttl=TTL_CONTENT, show_spinner=False)
def lesson_list(scope: Scope, class_id: str | None = None) -> pl.DataFrame:
    with session_for(scope) as s:
        if class_id:
            found = [lesson for _, lesson in classes.list_class_lessons(s, class_id=class_id)]
        else:
            found = lessons.list_lessons(s, limit=10_000)
        rows = [
            {
                "lesson_id": str(x.id),
                "title": x.title,
                "status": x.status.value,
                "grading_method": x.grading_method.value if x.grading_method else None,
                "description": x.description,
                "updated_at": x.updated_at,
            }
            for x in found
        ]
    return frame(rows, LESSON_SCHEMA)


@st.cache_data(ttl=TTL_CONTENT, show_spinner=False)
def lesson_detail(scope: Scope, lesson_id: str) -> dict[str, Any]:
    """A lesson with its groups in order, each with its videos in order."""
    with session_for(scope) as s:
        outline = lessons.lesson_outline(s, lesson_id=lesson_id)
        lesson = outline.lesson
        return {
            "lesson_id": str(lesson.id),
            "title": lesson.title,
            "description": lesson.description,
            "status": lesson.status.value,
            "settings": dict(lesson.settings or {}),
            "grading_method": lesson.grading_method.value if lesson.grading_method else None,
            "groups": [
                {
                    "group_id": str(g.group.id),
                    "title": g.group.title,
                    "description": g.group.description,
                    "videos": [
                        {"video_id": str(v.id), "title": v.title, "duration_seconds": v.duration_seconds}
                        for v in g.videos
                    ],
                }
                for g in outline.groups
            ],
        }


VIDEO_SCHEMA = {
    "video_id": pl.String,
    "title": pl.String,
    "duration_seconds": pl.Float64,
    "processing_status": pl.String,
    "transcript_cues": pl.Int64,
    "updated_at": pl.Datetime(time_zone="UTC"),
}


@st.cache_data(ttl=TTL_CONTENT, show_spinner=False)
def video_list(scope: Scope, lesson_id: str | None = None) -> pl.DataFrame:
    with session_for(scope) as s:
        rows = [
            {
                "video_id": str(v.id),
                "title": v.title,
                "duration_seconds": v.duration_seconds,
                "processing_status": v.processing_status.value,
                "transcript_cues": len(v.transcript or []),
                "updated_at": v.updated_at,
            }
            for v in videos.list_videos(s, lesson_id=lesson_id or None, limit=10_000)
        ]
    return frame(rows, VIDEO_SCHEMA)


@st.cache_data(ttl=TTL_CONTENT, show_spinner=False)
def video_detail(scope: Scope, video_id: str) -> dict[str, Any]:
    """A video with its transcript, metadata, milestones and the lessons that use it."""
    with session_for(scope) as s:
        v = videos.get_video(s, video_id=video_id)
        return {
            "video_id": str(v.id),
            "title": v.title,
            "description": v.description,
            "source_url": v.source_url,
            "duration_seconds": v.duration_seconds,
            "transcript": list(v.transcript or []),
            "metadata": dict(v.video_metadata or {}),
            "completion_threshold": v.completion_threshold,
            "prevent_skipping": v.prevent_skipping.value,
            "processing_status": v.processing_status.value,
            "milestones": [_milestone(m) for m in milestones.list_milestones(s, video_id=v.id)],
            "lessons": [
                {"lesson_id": str(x.id), "title": x.title}
                for x in videos.lessons_using_video(s, video_id=v.id)
            ],
        }


def _milestone(m: Any) -> dict[str, Any]:
    return {
        "milestone_id": str(m.id),
        "timestamp_seconds": m.timestamp_seconds,
        "title": m.title,
        "settings": dict(m.settings or {}),
    }


def question_dict(q: Any) -> dict[str, Any]:
    return {
        "question_id": str(q.id),
        "video_id": str(q.video_id),
        "milestone_id": str(q.milestone_id) if q.milestone_id else None,
        "type": q.type.value,
        "prompt": q.prompt,
        "data": dict(q.data or {}),
        "points": q.points,
        "max_attempts": q.max_attempts,
        "penalty": q.penalty,
        "explanation": q.explanation,
        "status": q.status.value,
        "source": q.source.value,
        "version": q.version,
        "ai_metadata": dict(q.ai_metadata or {}),
        "created_at": q.created_at,
        "updated_at": q.updated_at,
    }


@st.cache_data(ttl=TTL_CONTENT, show_spinner=False)
def question_list(
    scope: Scope,
    video_id: str | None = None,
    lesson_id: str | None = None,
    statuses: tuple[str, ...] | None = None,
    source: str | None = None,
) -> list[dict[str, Any]]:
    with session_for(scope) as s:
        return [
            question_dict(q)
            for q in questions.list_questions(
                s,
                video_id=video_id or None,
                lesson_id=lesson_id or None,
                status=list(statuses) if statuses else None,
                source=source or None,
            )
        ]


@st.cache_data(ttl=TTL_CONTENT, show_spinner=False)
def question_detail(scope: Scope, question_id: str) -> dict[str, Any]:
    with session_for(scope) as s:
        return question_dict(questions.get_question(s, question_id=question_id))


@st.cache_data(ttl=TTL_CONTENT, show_spinner=False)
def search(scope: Scope, query: str, kinds: tuple[str, ...]) -> list[dict[str, Any]]:
    """Search hits with ``**bold**`` marks around the matched words (Markdown)."""
    with session_for(scope) as s:
        hits = content_search.search_content(s, query=query, kinds=kinds, limit=50, markers=("**", "**"))
    return [
        {
            "kind": h.kind,
            "id": str(h.id),
            "title": h.title,
            "snippet": h.snippet,
            "rank": h.rank,
            "status": h.status,
            "video_id": str(h.video_id) if h.video_id else None,
            "at_seconds": h.at_seconds,
        }
        for h in hits
    ]
