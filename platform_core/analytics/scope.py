"""Loads shared by the metrics: who is in a class, what a class or lesson contains, and the per-student
summaries (progress, grades, lesson completion, daily roll-ups) restricted to a class's students.

Every loader reads summary tables only (never ``analytics_events``), returns ids as strings, and accepts
``class_id=None`` for every (non-archived) class of the tenant.
"""

from __future__ import annotations

import uuid

import polars as pl

from platform_core.analytics.sources import UTC_DATETIME, Source

Id = uuid.UUID | str

TENANT = "CAST(:tenant_id AS UUID)"


def _class_filter(alias: str, class_id: Id | None) -> str:
    return f" AND {alias}.class_id = CAST(:class_id AS UUID)" if class_id is not None else ""


def _enrolled(alias: str, class_id: Id | None) -> str:
    """Predicate: ``alias`` (a student/user id column) is enrolled in the class (or in any class)."""
    extra = " AND e.class_id = CAST(:class_id AS UUID)" if class_id is not None else ""
    return f"{alias} IN (SELECT e.student_id FROM enrollments e WHERE e.tenant_id = {TENANT}{extra})"  # noqa: S608


def roster(src: Source, class_id: Id | None = None) -> pl.DataFrame:
    """Students (role ``student``) enrolled per class: ``class_id, student_id, enrolled_at``. Without
    ``class_id``, archived classes are left out (as in every loader of this module)."""
    archived = "" if class_id is not None else " AND c.archived_at IS NULL"
    return src.query(
        f"""
        SELECT CAST(e.class_id AS VARCHAR) AS class_id, CAST(e.student_id AS VARCHAR) AS student_id,
               e.enrolled_at
        FROM enrollments e
        JOIN users u ON u.tenant_id = e.tenant_id AND u.id = e.student_id
        JOIN classes c ON c.tenant_id = e.tenant_id AND c.id = e.class_id
        WHERE e.tenant_id = {TENANT} AND u.role = 'student'{_class_filter("e", class_id)}{archived}
        """,  # noqa: S608
        {"class_id": class_id},
        {"class_id": pl.String, "student_id": pl.String, "enrolled_at": UTC_DATETIME},
    )


def class_lessons(src: Source, class_id: Id | None = None) -> pl.DataFrame:
    """Lessons assigned per class: ``class_id, lesson_id, lesson_title, position, due_at``."""
    archived = "" if class_id is not None else " AND c.archived_at IS NULL"
    return src.query(
        f"""
        SELECT CAST(cl.class_id AS VARCHAR) AS class_id, CAST(cl.lesson_id AS VARCHAR) AS lesson_id,
               l.title AS lesson_title, cl.position, cl.due_at
        FROM class_lessons cl JOIN lessons l ON l.tenant_id = cl.tenant_id AND l.id = cl.lesson_id
        JOIN classes c ON c.tenant_id = cl.tenant_id AND c.id = cl.class_id
        WHERE cl.tenant_id = {TENANT}{_class_filter("cl", class_id)}{archived}
        """,  # noqa: S608
        {"class_id": class_id},
        {
            "class_id": pl.String,
            "lesson_id": pl.String,
            "lesson_title": pl.String,
            "position": pl.Int64,
            "due_at": UTC_DATETIME,
        },
    )


def lesson_videos(src: Source, class_id: Id | None = None, lesson_id: Id | None = None) -> pl.DataFrame:
    """Distinct videos per lesson (through its video groups): ``lesson_id, video_id, duration_seconds``."""
    where = ""
    if lesson_id is not None:
        where += " AND g.lesson_id = CAST(:lesson_id AS UUID)"
    if class_id is not None:
        where += (
            f" AND g.lesson_id IN (SELECT cl.lesson_id FROM class_lessons cl WHERE cl.tenant_id = {TENANT}"  # noqa: S608
            " AND cl.class_id = CAST(:class_id AS UUID))"
        )
    return src.query(
        f"""
        SELECT DISTINCT CAST(g.lesson_id AS VARCHAR) AS lesson_id, CAST(gv.video_id AS VARCHAR) AS video_id,
               v.duration_seconds
        FROM video_groups g
        JOIN video_group_videos gv ON gv.tenant_id = g.tenant_id AND gv.video_group_id = g.id
        JOIN videos v ON v.tenant_id = gv.tenant_id AND v.id = gv.video_id
        WHERE g.tenant_id = {TENANT}{where}
        """,  # noqa: S608
        {"class_id": class_id, "lesson_id": lesson_id},
        {"lesson_id": pl.String, "video_id": pl.String, "duration_seconds": pl.Float64},
    )


PROGRESS_SCHEMA = {
    "student_id": pl.String,
    "video_id": pl.String,
    "coverage": pl.Float64,
    "watched_seconds": pl.Float64,
    "total_watch_seconds": pl.Float64,
    "is_completed": pl.Boolean,
    "last_event_at": UTC_DATETIME,
}


def progress(src: Source, class_id: Id | None = None) -> pl.DataFrame:
    """``student_progress`` rows of enrolled students (without the JSON columns)."""
    return src.query(
        f"""
        SELECT CAST(p.student_id AS VARCHAR) AS student_id, CAST(p.video_id AS VARCHAR) AS video_id,
               p.coverage, p.watched_seconds, p.total_watch_seconds, p.is_completed, p.last_event_at
        FROM student_progress p
        WHERE p.tenant_id = {TENANT} AND {_enrolled("p.student_id", class_id)}
        """,  # noqa: S608
        {"class_id": class_id},
        PROGRESS_SCHEMA,
    )


def grades(src: Source, class_id: Id | None = None) -> pl.DataFrame:
    """Lesson grades of enrolled students: ``student_id, lesson_id, percentage, letter, attempts_count``."""
    return src.query(
        f"""
        SELECT CAST(g.student_id AS VARCHAR) AS student_id, CAST(g.lesson_id AS VARCHAR) AS lesson_id,
               g.percentage, g.letter, g.attempts_count
        FROM grades g
        WHERE g.tenant_id = {TENANT} AND {_enrolled("g.student_id", class_id)}
        """,  # noqa: S608
        {"class_id": class_id},
        {
            "student_id": pl.String,
            "lesson_id": pl.String,
            "percentage": pl.Float64,
            "letter": pl.String,
            "attempts_count": pl.Int64,
        },
    )


def lesson_completion(src: Source, class_id: Id | None = None) -> pl.DataFrame:
    """``lesson_progress`` of enrolled students: ``student_id, lesson_id, is_completed, completed_at``."""
    return src.query(
        f"""
        SELECT CAST(lp.student_id AS VARCHAR) AS student_id, CAST(lp.lesson_id AS VARCHAR) AS lesson_id,
               lp.is_completed, lp.completed_at
        FROM lesson_progress lp
        WHERE lp.tenant_id = {TENANT} AND {_enrolled("lp.student_id", class_id)}
        """,  # noqa: S608
        {"class_id": class_id},
        {
            "student_id": pl.String,
            "lesson_id": pl.String,
            "is_completed": pl.Boolean,
            "completed_at": UTC_DATETIME,
        },
    )


def video_activity_totals(src: Source, class_id: Id | None = None) -> pl.DataFrame:
    """Daily video roll-ups summed over all days per (student, video) for enrolled students:
    ``student_id, video_id, watch_seconds, attempts, correct_attempts, last_activity_at``."""
    return src.query(
        f"""
        SELECT CAST(a.user_id AS VARCHAR) AS student_id, CAST(a.video_id AS VARCHAR) AS video_id,
               sum(a.watch_seconds) AS watch_seconds, sum(a.attempts) AS attempts,
               sum(a.correct_attempts) AS correct_attempts, max(a.last_activity_at) AS last_activity_at
        FROM analytics_daily_video_activity a
        WHERE a.tenant_id = {TENANT} AND {_enrolled("a.user_id", class_id)}
        GROUP BY a.user_id, a.video_id
        """,  # noqa: S608
        {"class_id": class_id},
        {
            "student_id": pl.String,
            "video_id": pl.String,
            "watch_seconds": pl.Float64,
            "attempts": pl.Int64,
            "correct_attempts": pl.Int64,
            "last_activity_at": UTC_DATETIME,
        },
    )


def last_seen(src: Source, class_id: Id | None = None) -> pl.DataFrame:
    """Latest activity per enrolled student from the summaries: any daily roll-up, session or progress.

    Columns ``student_id, last_active_at``.
    """
    return src.query(
        f"""
        SELECT student_id, max(seen_at) AS last_active_at FROM (
            SELECT CAST(a.user_id AS VARCHAR) AS student_id, max(a.last_activity_at) AS seen_at
            FROM analytics_daily_user_activity a
            WHERE a.tenant_id = {TENANT} AND {_enrolled("a.user_id", class_id)} GROUP BY a.user_id
            UNION ALL
            SELECT CAST(s.student_id AS VARCHAR), max(s.last_seen_at)
            FROM student_sessions s
            WHERE s.tenant_id = {TENANT} AND {_enrolled("s.student_id", class_id)} GROUP BY s.student_id
            UNION ALL
            SELECT CAST(p.student_id AS VARCHAR), max(p.last_event_at)
            FROM student_progress p
            WHERE p.tenant_id = {TENANT} AND {_enrolled("p.student_id", class_id)} GROUP BY p.student_id
        ) AS seen
        WHERE seen_at IS NOT NULL
        GROUP BY student_id
        """,  # noqa: S608
        {"class_id": class_id},
        {"student_id": pl.String, "last_active_at": UTC_DATETIME},
    )


def enrolled_video_grid(
    src: Source,
    class_id: Id | None = None,
    lesson_id: Id | None = None,
    *,
    lessons: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Every (class, lesson, student, video) a class's students should watch, with the student's progress
    and roll-up totals joined (missing progress counts as coverage 0, not started). ``lessons``: the
    result of :func:`class_lessons` when the caller already has it."""
    lessons = class_lessons(src, class_id) if lessons is None else lessons
    if lesson_id is not None:
        lessons = lessons.filter(pl.col("lesson_id") == str(lesson_id))
    videos = lesson_videos(src, class_id=class_id, lesson_id=lesson_id)
    grid = (
        roster(src, class_id)
        .join(lessons.select("class_id", "lesson_id"), on="class_id")
        .join(videos.select("lesson_id", "video_id"), on="lesson_id")
    )
    prog = progress(src, class_id).select(
        "student_id", "video_id", "coverage", "watched_seconds", "total_watch_seconds", "is_completed"
    )
    totals = video_activity_totals(src, class_id).select(
        "student_id", "video_id", "watch_seconds", "attempts", "correct_attempts"
    )
    return (
        grid.join(prog, on=["student_id", "video_id"], how="left")
        .join(totals, on=["student_id", "video_id"], how="left")
        .with_columns(
            pl.col("coverage").fill_null(0.0),
            pl.col("watched_seconds").fill_null(0.0),
            pl.col("total_watch_seconds").fill_null(0.0),
            pl.col("is_completed").fill_null(False),
            pl.col("watch_seconds").fill_null(0.0),
            pl.col("attempts").fill_null(0),
            pl.col("correct_attempts").fill_null(0),
        )
    )


def user_labels(src: Source) -> pl.DataFrame:
    """``user_id, label, role`` for showing people: the display name where the source has it (live
    database, ``--pii`` export), else the (pseudonymous) id."""
    name = "u.display_name" if src.has_column("users", "display_name") else "CAST(u.id AS VARCHAR)"
    return src.query(
        f"SELECT CAST(u.id AS VARCHAR) AS user_id, {name} AS label, u.role FROM users u "  # noqa: S608
        f"WHERE u.tenant_id = {TENANT}",
        schema={"user_id": pl.String, "label": pl.String, "role": pl.String},
    ).sort("user_id")
