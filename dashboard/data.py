"""Every read the pages make, cached with a time-to-live and keyed by tenant and role.

Each function takes a :class:`Scope` first (tenant id and role: part of every cache key, so one tenant
never sees another's cached rows and a role never sees a wider role's), opens a ``tenant_session`` (so
Row-Level Security applies) and returns plain data: Polars DataFrames, dicts and lists, never ORM objects.
Writes go through ``components.page.writing``, which calls :func:`invalidate` after they commit.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import polars as pl
import streamlit as st

from platform_core.ai import budgets, review
from platform_core.ai import configs as ai_configs
from platform_core.analytics import ai_costs, engagement, items
from platform_core.analytics import classes as analytics_classes
from platform_core.analytics import student_detail as student_detail_reads
from platform_core.analytics.sources import open_source
from platform_core.audit.log import audit_entries, audit_facets
from platform_core.content import classes, lessons, milestones, questions, videos
from platform_core.content import search as content_search
from platform_core.db.replica import read_session
from platform_core.db.session import tenant_session
from platform_core.models import QuestionSource, UserRole
from platform_core.ops import health as ops_health
from platform_core.tenancy import admin
from platform_core.tenancy.summary import tenant_counts
from platform_core.tenancy.users import SignedInUser

TTL_LIVE = 15  # review queue, health, alerts: people act on these
TTL_CONTENT = 60  # lessons, videos, questions: change when someone edits
TTL_ANALYTICS = 300  # aggregates over activity: a few minutes old is fine


@dataclass(frozen=True)
class Scope:
    tenant_id: str
    role: str

    @classmethod
    def of(cls, user: SignedInUser) -> Scope:
        return cls(str(user.tenant_id), UserRole(user.role).value)


def invalidate() -> None:
    """Forget every cached read (after a write, so the next render shows it)."""
    st.cache_data.clear()


def _session(scope: Scope):  # -> contextmanager[Session]
    return tenant_session(scope.tenant_id)


def _frame(rows: list[dict[str, Any]], schema: dict[str, Any]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=schema, orient="row") if rows else pl.DataFrame(schema=schema)


# ------------------------------------------------------------------------------------------- tenancy
@st.cache_data(ttl=TTL_CONTENT, show_spinner=False)
def counts(scope: Scope) -> dict[str, int]:
    with _session(scope) as s:
        return tenant_counts(s)


@st.cache_data(ttl=TTL_LIVE, show_spinner=False)
def users(scope: Scope, role: str | None = None, search: str | None = None) -> pl.DataFrame:
    with _session(scope) as s:
        return admin.list_users(s, role=UserRole(role) if role else None, search=search or None)


@st.cache_data(ttl=TTL_LIVE, show_spinner=False)
def audit_log(scope: Scope, **filters: Any) -> pl.DataFrame:
    with _session(scope) as s:
        return audit_entries(s, **filters)


@st.cache_data(ttl=TTL_LIVE, show_spinner=False)
def audit_filter_values(scope: Scope) -> dict[str, list[str]]:
    with _session(scope) as s:
        return audit_facets(s)


# ------------------------------------------------------------------------------------------- content
CLASS_SCHEMA = {"class_id": pl.String, "name": pl.String, "code": pl.String, "teacher_id": pl.String}


@st.cache_data(ttl=TTL_CONTENT, show_spinner=False)
def class_list(scope: Scope, teacher_id: str | None = None) -> pl.DataFrame:
    with _session(scope) as s:
        rows = [
            {"class_id": str(c.id), "name": c.name, "code": c.code, "teacher_id": str(c.teacher_id or "")}
            for c in classes.list_classes(s, teacher_id=teacher_id)
        ]
    return _frame(rows, CLASS_SCHEMA)


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
    with _session(scope) as s:
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
    return _frame(rows, LESSON_SCHEMA)


@st.cache_data(ttl=TTL_CONTENT, show_spinner=False)
def lesson_detail(scope: Scope, lesson_id: str) -> dict[str, Any]:
    """A lesson with its groups in order, each with its videos in order."""
    with _session(scope) as s:
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
    with _session(scope) as s:
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
    return _frame(rows, VIDEO_SCHEMA)


@st.cache_data(ttl=TTL_CONTENT, show_spinner=False)
def video_detail(scope: Scope, video_id: str) -> dict[str, Any]:
    """A video with its transcript, metadata, milestones and the lessons that use it."""
    with _session(scope) as s:
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
    with _session(scope) as s:
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
    with _session(scope) as s:
        return question_dict(questions.get_question(s, question_id=question_id))


def as_uuid(value: str | uuid.UUID) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


@st.cache_data(ttl=TTL_CONTENT, show_spinner=False)
def search(scope: Scope, query: str, kinds: tuple[str, ...]) -> list[dict[str, Any]]:
    """Search hits with ``**bold**`` marks around the matched words (Markdown)."""
    with _session(scope) as s:
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


# ----------------------------------------------------------------------------------------- analytics
@st.cache_data(ttl=TTL_CONTENT, show_spinner=False)
def people_names(scope: Scope) -> dict[str, str]:
    """User id -> display name (students in tables are shown by name to teachers)."""
    with _session(scope) as s:
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


# -------------------------------------------------------------------------------------------- review
@st.cache_data(ttl=TTL_LIVE, show_spinner=False)
def review_queue(
    scope: Scope, video_id: str | None = None, source: str | None = "ai"
) -> list[dict[str, Any]]:
    """Questions awaiting review, oldest first, each with its video's title."""
    with _session(scope) as s:
        found = review.pending_questions(
            s,
            video_id=as_uuid(video_id) if video_id else None,
            source=QuestionSource(source) if source else None,
            limit=1000,
        )
        rows = [question_dict(q) for q in found]
    videos_frame = video_list(scope)
    titles = dict(zip(videos_frame["video_id"], videos_frame["title"], strict=True))
    for row in rows:
        row["video_title"] = titles.get(row["video_id"], "")
    return sorted(rows, key=lambda r: r["created_at"])


REVIEW_SCHEMA = {
    "when": pl.Datetime(time_zone="UTC"),
    "action": pl.String,
    "reviewer": pl.String,
    "reason": pl.String,
    "status_before": pl.String,
    "status_after": pl.String,
}


@st.cache_data(ttl=TTL_LIVE, show_spinner=False)
def review_history(scope: Scope, question_id: str) -> pl.DataFrame:
    names = people_names(scope)
    with _session(scope) as s:
        rows = [
            {
                "when": r.created_at,
                "action": r.action.value,
                "reviewer": names.get(str(r.reviewer_id), "system"),
                "reason": r.reason,
                "status_before": (r.before or {}).get("status"),
                "status_after": (r.after or {}).get("status"),
            }
            for r in review.review_history(s, question_id=as_uuid(question_id))
        ]
    return _frame(rows, REVIEW_SCHEMA)


@st.cache_data(ttl=TTL_CONTENT, show_spinner=False)
def ai_config_names(scope: Scope) -> list[str]:
    with _session(scope) as s:
        return [c.name for c in ai_configs.list_configs(s) if c.is_active]


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


# ------------------------------------------------------------------------------------------ AI costs
@st.cache_data(ttl=TTL_ANALYTICS, show_spinner=False)
def ai_spend(scope: Scope, by: tuple[str, ...], since: date, until: date) -> pl.DataFrame:
    with open_source(scope.tenant_id) as src:
        return ai_costs.ai_spend(src, by=by, since=_start_of(since), until=_start_of(until, 1))


@st.cache_data(ttl=TTL_ANALYTICS, show_spinner=False)
def ai_jobs(scope: Scope, since: date, until: date) -> pl.DataFrame:
    with open_source(scope.tenant_id) as src:
        return ai_costs.ai_job_costs(src, since=_start_of(since), until=_start_of(until, 1))


@st.cache_data(ttl=TTL_ANALYTICS, show_spinner=False)
def ai_cost_per_question(scope: Scope, since: date, until: date) -> pl.DataFrame:
    with open_source(scope.tenant_id) as src:
        return ai_costs.ai_cost_per_question(src, since=_start_of(since), until=_start_of(until, 1))


@st.cache_data(ttl=TTL_LIVE, show_spinner=False)
def ai_budget(scope: Scope) -> dict[str, Any]:
    """This month's burn-down (with forecast days), the forecast, the budget limits and alerts."""
    with open_source(scope.tenant_id) as src:
        burn = ai_costs.budget_burndown(src)
        forecast = ai_costs.budget_forecast(src)
    with _session(scope) as s:
        budget = budgets.get_tenant_budget(s)
        statuses = [b.as_json() for b in budgets.budget_status(s)]
        alerts = [
            {"when": a.created_at, "level": a.level, "scope": a.scope, "message": a.message}
            for a in budgets.list_alerts(s)
        ]
        limit = (
            None if budget is None or budget.monthly_budget_usd is None else float(budget.monthly_budget_usd)
        )
        ratio = float(budget.soft_limit_ratio) if budget is not None else None
    return {
        "burn": burn,
        "forecast": forecast,
        "limit": limit,
        "soft_ratio": ratio,
        "statuses": statuses,
        "alerts": alerts,
    }


def _start_of(day: date, plus_days: int = 0) -> datetime:
    return datetime.combine(day + timedelta(days=plus_days), time.min, UTC)


@st.cache_data(ttl=TTL_CONTENT, show_spinner=False)
def ai_config_list(scope: Scope) -> list[dict[str, Any]]:
    """Configurations as they may be shown: API keys only masked."""
    with _session(scope) as s:
        return [ai_configs.describe(c) for c in ai_configs.list_configs(s)]


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


# ---------------------------------------------------------------------------------------- operations
@st.cache_data(ttl=TTL_LIVE, show_spinner=False)
def health(scope: Scope) -> dict[str, Any]:
    """The health overview, table sizes over time, index usage, slow queries and partitions (read on the
    replica when one is configured)."""
    with read_session(scope.tenant_id) as s:
        return {
            "overview": ops_health.health_overview(s).model_dump(),
            "tables": ops_health.table_growth(s),
            "size": ops_health.growth_series(s, "database.size_bytes"),
            "indexes": ops_health.index_usage(s),
            "slow": ops_health.slow_queries(s),
            "partitions": ops_health.partition_list(s),
        }


@st.cache_data(ttl=TTL_LIVE, show_spinner=False)
def alerts(scope: Scope) -> dict[str, Any]:
    with read_session(scope.tenant_id) as s:
        return {
            "active": [a.model_dump() for a in ops_health.active_alerts(s)],
            "history": ops_health.alert_history(s),
            "rules": ops_health.alert_rules(s),
        }
