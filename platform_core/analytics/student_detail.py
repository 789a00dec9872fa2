"""One student in detail (the dashboard's drill-down): sessions per video, progress, attempts and grades.

Each reader takes a :class:`~platform_core.analytics.sources.Source` and a ``student_id`` and returns a
Polars frame, with the SQL conventions of ``sources`` (ids as text, timestamps in UTC), so the same figures
come from the live database and from an export.
"""

from __future__ import annotations

import polars as pl

from platform_core.analytics.scope import TENANT, Id
from platform_core.analytics.sources import UTC_DATETIME, Source

__all__ = ["student_activity", "student_attempts", "student_grades", "student_progress", "student_sessions"]


def student_sessions(src: Source, *, student_id: Id) -> pl.DataFrame:
    """Per video the student opened: ``started_at``, ``last_seen_at``, positions, device, ``is_active``.

    ``device`` is null where the source has no device fingerprints (a pseudonymised export leaves them out).
    """
    device = "s.device_fingerprint" if src.has_column("student_sessions", "device_fingerprint") else "NULL"
    return src.query(
        f"""
        SELECT CAST(s.video_id AS VARCHAR) AS video_id, v.title AS video, s.started_at, s.last_seen_at,
               s.position_seconds, s.furthest_position_seconds, v.duration_seconds, s.is_active,
               CAST({device} AS VARCHAR) AS device
        FROM student_sessions s JOIN videos v ON v.tenant_id = s.tenant_id AND v.id = s.video_id
        WHERE s.tenant_id = {TENANT} AND s.student_id = CAST(:student_id AS UUID)
        ORDER BY s.started_at, s.video_id
        """,  # noqa: S608
        {"student_id": student_id},
        {
            "video_id": pl.String,
            "video": pl.String,
            "started_at": UTC_DATETIME,
            "last_seen_at": UTC_DATETIME,
            "position_seconds": pl.Float64,
            "furthest_position_seconds": pl.Float64,
            "duration_seconds": pl.Float64,
            "is_active": pl.Boolean,
            "device": pl.String,
        },
    )


def student_progress(src: Source, *, student_id: Id) -> pl.DataFrame:
    """Per video with progress: ``coverage`` in [0, 1], completion, watch time (rewatches included),
    remedial detours and the last event."""
    return src.query(
        f"""
        SELECT CAST(p.video_id AS VARCHAR) AS video_id, v.title AS video, p.coverage, p.is_completed,
               p.completed_at, p.watched_seconds, p.total_watch_seconds, p.remedial_detours, p.last_event_at
        FROM student_progress p JOIN videos v ON v.tenant_id = p.tenant_id AND v.id = p.video_id
        WHERE p.tenant_id = {TENANT} AND p.student_id = CAST(:student_id AS UUID)
        ORDER BY v.title, p.video_id
        """,  # noqa: S608
        {"student_id": student_id},
        {
            "video_id": pl.String,
            "video": pl.String,
            "coverage": pl.Float64,
            "is_completed": pl.Boolean,
            "completed_at": UTC_DATETIME,
            "watched_seconds": pl.Float64,
            "total_watch_seconds": pl.Float64,
            "remedial_detours": pl.Int64,
            "last_event_at": UTC_DATETIME,
        },
    )


def student_attempts(src: Source, *, student_id: Id, limit: int = 1000) -> pl.DataFrame:
    """The student's graded attempts, newest first, with the question's prompt and type."""
    if not 1 <= limit <= 100_000:
        raise ValueError("limit: must be between 1 and 100000")
    return src.query(
        f"""
        SELECT a.submitted_at, CAST(a.question_id AS VARCHAR) AS question_id, q.prompt, q.type,
               a.attempt_number, a.fraction, a.is_correct, a.points_awarded, a.points_possible,
               a.time_spent_ms, CAST(q.video_id AS VARCHAR) AS video_id
        FROM question_attempts a JOIN questions q ON q.tenant_id = a.tenant_id AND q.id = a.question_id
        WHERE a.tenant_id = {TENANT} AND a.student_id = CAST(:student_id AS UUID)
        ORDER BY a.submitted_at DESC, a.id
        LIMIT {int(limit)}
        """,  # noqa: S608
        {"student_id": student_id},
        {
            "submitted_at": UTC_DATETIME,
            "question_id": pl.String,
            "prompt": pl.String,
            "type": pl.String,
            "attempt_number": pl.Int64,
            "fraction": pl.Float64,
            "is_correct": pl.Boolean,
            "points_awarded": pl.Float64,
            "points_possible": pl.Float64,
            "time_spent_ms": pl.Int64,
            "video_id": pl.String,
        },
    )


def student_grades(src: Source, *, student_id: Id) -> pl.DataFrame:
    """Per graded lesson: percentage, letter, points, attempts and when it was last computed."""
    return src.query(
        f"""
        SELECT CAST(g.lesson_id AS VARCHAR) AS lesson_id, l.title AS lesson, g.percentage, g.letter,
               g.earned_points, g.possible_points, g.attempts_count, g.grading_method, g.computed_at
        FROM grades g JOIN lessons l ON l.tenant_id = g.tenant_id AND l.id = g.lesson_id
        WHERE g.tenant_id = {TENANT} AND g.student_id = CAST(:student_id AS UUID)
        ORDER BY l.title, g.lesson_id
        """,  # noqa: S608
        {"student_id": student_id},
        {
            "lesson_id": pl.String,
            "lesson": pl.String,
            "percentage": pl.Float64,
            "letter": pl.String,
            "earned_points": pl.Float64,
            "possible_points": pl.Float64,
            "attempts_count": pl.Int64,
            "grading_method": pl.String,
            "computed_at": UTC_DATETIME,
        },
    )


def student_activity(src: Source, *, student_id: Id) -> pl.DataFrame:
    """Per day and video the student was active on (from the daily roll-ups, as of their last refresh):
    ``first_activity_at`` to ``last_activity_at``, watch seconds, plays, seeks, attempts and correct ones."""
    return src.query(
        f"""
        SELECT a.day, CAST(a.video_id AS VARCHAR) AS video_id, v.title AS video, a.first_activity_at,
               a.last_activity_at, a.watch_seconds, a.plays, a.seeks, a.attempts, a.correct_attempts
        FROM analytics_daily_video_activity a JOIN videos v ON v.tenant_id = a.tenant_id AND v.id = a.video_id
        WHERE a.tenant_id = {TENANT} AND a.user_id = CAST(:student_id AS UUID)
        ORDER BY a.day, a.first_activity_at, a.video_id
        """,  # noqa: S608
        {"student_id": student_id},
        {
            "day": pl.Date,
            "video_id": pl.String,
            "video": pl.String,
            "first_activity_at": UTC_DATETIME,
            "last_activity_at": UTC_DATETIME,
            "watch_seconds": pl.Float64,
            "plays": pl.Int64,
            "seeks": pl.Int64,
            "attempts": pl.Int64,
            "correct_attempts": pl.Int64,
        },
    )
