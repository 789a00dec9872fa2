"""Class dashboard: per class and lesson, per student, letter grades and daily activity.

Reads summaries only (enrollments, lessons, ``student_progress``, ``grades``, ``lesson_progress`` and the
daily roll-ups), so latency does not depend on the number of raw events. Roll-up based figures (time
spent, attempts, daily activity) are as of the last ``refresh_rollups``.
"""

from __future__ import annotations

from datetime import date, datetime

import polars as pl

from platform_core.analytics import scope
from platform_core.analytics.at_risk import AtRiskRules, evaluate_at_risk, rules_for_tenant
from platform_core.analytics.scope import TENANT, Id
from platform_core.analytics.sources import Source, utc_now

OVERVIEW_COLUMNS = (
    "class_id",
    "lesson_id",
    "lesson_title",
    "position",
    "videos",
    "students",
    "started",
    "completed",
    "completion_rate",
    "started_rate",
    "avg_coverage",
    "graded",
    "avg_grade",
    "median_grade",
    "time_spent_seconds",
    "avg_time_spent_seconds",
)


def _per_student_lesson(
    src: Source, class_id: Id | None, lesson_id: Id | None, lessons: pl.DataFrame | None = None
) -> pl.DataFrame:
    """One row per (class, lesson, enrolled student) with the student's figures for that lesson."""
    grid = scope.enrolled_video_grid(src, class_id, lesson_id, lessons=lessons)
    keys = ["class_id", "lesson_id", "student_id"]
    per = grid.group_by(keys).agg(
        pl.len().alias("videos"),
        pl.col("coverage").mean().alias("coverage"),
        (pl.col("coverage") > 0).any().alias("watched_any"),
        pl.col("is_completed").sum().alias("videos_completed"),
        pl.col("watch_seconds").sum().alias("time_spent_seconds"),
        pl.col("attempts").sum().alias("attempts"),
        pl.col("correct_attempts").sum().alias("correct_attempts"),
    )
    grade_rows = scope.grades(src, class_id).select(
        "student_id", "lesson_id", pl.col("percentage").alias("grade"), "letter", "attempts_count"
    )
    done = scope.lesson_completion(src, class_id).select(
        "student_id", "lesson_id", pl.col("is_completed").alias("lesson_completed")
    )
    return (
        per.join(grade_rows, on=["student_id", "lesson_id"], how="left")
        .join(done, on=["student_id", "lesson_id"], how="left")
        .with_columns(
            pl.col("lesson_completed").fill_null(False),
            (
                pl.col("watched_any") | (pl.col("attempts_count").fill_null(0) > 0) | (pl.col("attempts") > 0)
            ).alias("started"),
        )
    )


def class_overview(src: Source, *, class_id: Id | None = None, lesson_id: Id | None = None) -> pl.DataFrame:
    """Per class and assigned lesson (columns ``OVERVIEW_COLUMNS``).

    - ``students``: enrolled users with role student; the denominator of every rate below.
    - ``started``: students with coverage > 0 on a lesson video or at least one attempt in the lesson.
    - ``completed``: students whose ``lesson_progress`` says the lesson is completed.
    - ``completion_rate`` = completed / students; ``started_rate`` = started / students.
    - ``avg_coverage``: mean coverage over (student, lesson video) pairs, missing progress = 0.
    - ``graded``: students with a grade row; ``avg_grade`` / ``median_grade``: their percentages.
    - ``time_spent_seconds``: roll-up watch seconds on the lesson's videos, summed over students;
      ``avg_time_spent_seconds`` = that / students.
    """
    lessons = scope.class_lessons(src, class_id)
    if lesson_id is not None:
        lessons = lessons.filter(pl.col("lesson_id") == str(lesson_id))
    per = _per_student_lesson(src, class_id, lesson_id, lessons)
    agg = per.group_by("class_id", "lesson_id").agg(
        pl.col("videos").max().alias("videos"),
        pl.len().alias("students"),
        pl.col("started").sum().alias("started"),
        pl.col("lesson_completed").sum().alias("completed"),
        pl.col("coverage").mean().alias("avg_coverage"),
        pl.col("grade").count().alias("graded"),
        pl.col("grade").mean().alias("avg_grade"),
        pl.col("grade").median().alias("median_grade"),
        pl.col("time_spent_seconds").sum().alias("time_spent_seconds"),
    )
    out = lessons.join(agg, on=["class_id", "lesson_id"], how="left").with_columns(
        pl.col("videos").fill_null(0),
        pl.col("students").fill_null(0).cast(pl.UInt32),
        pl.col("started").fill_null(0).cast(pl.UInt32),
        pl.col("completed").fill_null(0).cast(pl.UInt32),
        pl.col("graded").fill_null(0).cast(pl.UInt32),
        pl.col("time_spent_seconds").fill_null(0.0),
    )
    out = out.with_columns(
        _ratio("completed", "students").alias("completion_rate"),
        _ratio("started", "students").alias("started_rate"),
        _ratio("time_spent_seconds", "students").alias("avg_time_spent_seconds"),
    )
    return out.select(OVERVIEW_COLUMNS).sort("class_id", "position", "lesson_id")


def _ratio(num: str, den: str) -> pl.Expr:
    return pl.when(pl.col(den) > 0).then(pl.col(num) / pl.col(den)).otherwise(None)


def letter_distribution(
    src: Source, *, class_id: Id | None = None, lesson_id: Id | None = None
) -> pl.DataFrame:
    """Per class, lesson and letter: ``students`` with that letter and ``share`` = students / graded
    students of the lesson in the class."""
    per = _per_student_lesson(src, class_id, lesson_id).filter(pl.col("letter").is_not_null())
    counts = per.group_by("class_id", "lesson_id", "letter").agg(pl.len().alias("students"))
    return (
        counts.with_columns(
            (pl.col("students") / pl.col("students").sum().over("class_id", "lesson_id")).alias("share")
        )
        .select("class_id", "lesson_id", "letter", "students", "share")
        .sort("class_id", "lesson_id", "letter")
    )


STUDENT_COLUMNS = (
    "class_id",
    "student_id",
    "lessons",
    "lessons_completed",
    "videos",
    "videos_completed",
    "avg_coverage",
    "grade",
    "graded_lessons",
    "attempts",
    "failed_attempts",
    "time_spent_seconds",
    "last_active_at",
    "days_inactive",
)


def class_students(
    src: Source,
    *,
    class_id: Id | None = None,
    lesson_id: Id | None = None,
    rules: AtRiskRules | None = None,
    now: datetime | None = None,
) -> pl.DataFrame:
    """Per enrolled student of each class (over its lessons, or one lesson), with the at-risk flags.

    - ``avg_coverage``: mean coverage over the lessons' videos (missing progress = 0);
      ``videos_completed``: of those videos, completed.
    - ``grade``: mean percentage over the graded lessons (``graded_lessons``); null when none.
    - ``attempts`` / ``failed_attempts``: roll-up attempts at questions of the lessons' videos, and those
      not correct.
    - ``time_spent_seconds``: roll-up watch seconds on the lessons' videos.
    - ``last_active_at``: latest of roll-up activity, session last-seen and progress event;
      ``days_inactive``: whole days since then at ``now`` (null when never active).
    - then the columns of :func:`platform_core.analytics.at_risk.evaluate_at_risk`.
    """
    now = now or utc_now()
    if now.tzinfo is None:
        raise ValueError("now: needs a time zone (e.g. datetime.now(UTC))")
    per = _per_student_lesson(src, class_id, lesson_id)
    students = per.group_by("class_id", "student_id").agg(
        pl.len().alias("lessons"),
        pl.col("lesson_completed").sum().alias("lessons_completed"),
        pl.col("videos").sum().alias("videos"),
        pl.col("videos_completed").sum().alias("videos_completed"),
        ((pl.col("coverage") * pl.col("videos")).sum() / pl.col("videos").sum()).alias("avg_coverage"),
        pl.col("grade").mean().alias("grade"),
        pl.col("grade").count().alias("graded_lessons"),
        pl.col("attempts").sum().alias("attempts"),
        (pl.col("attempts") - pl.col("correct_attempts")).sum().alias("failed_attempts"),
        pl.col("time_spent_seconds").sum().alias("time_spent_seconds"),
    )
    # Students of a class without lessons still appear (with nothing to show).
    everyone = scope.roster(src, class_id).select("class_id", "student_id")
    students = everyone.join(students, on=["class_id", "student_id"], how="left").with_columns(
        pl.col("lessons", "lessons_completed", "videos", "videos_completed", "graded_lessons")
        .fill_null(0)
        .cast(pl.Int64),
        pl.col("attempts", "failed_attempts").fill_null(0).cast(pl.Int64),
        pl.col("time_spent_seconds").fill_null(0.0),
    )
    seen = scope.last_seen(src, class_id)
    students = students.join(seen, on="student_id", how="left").with_columns(
        ((pl.lit(now) - pl.col("last_active_at")).dt.total_seconds() // 86400)
        .cast(pl.Int64)
        .alias("days_inactive")
    )
    students = students.select(STUDENT_COLUMNS).sort("class_id", "student_id")
    return evaluate_at_risk(students, rules or rules_for_tenant(src))


def class_daily_activity(
    src: Source, *, class_id: Id, since: date | None = None, until: date | None = None
) -> pl.DataFrame:
    """Per UTC day, from the daily roll-ups of the class's students: ``active_students`` (any event or
    attempt that day), ``events``, ``watch_seconds``, ``attempts``, ``correct_attempts``."""
    where = ""
    if since is not None:
        where += " AND a.day >= CAST(:since AS DATE)"
    if until is not None:
        where += " AND a.day <= CAST(:until AS DATE)"
    return src.query(
        f"""
        SELECT a.day, count(DISTINCT a.user_id) AS active_students, sum(a.events) AS events,
               sum(a.watch_seconds) AS watch_seconds, sum(a.attempts) AS attempts,
               sum(a.correct_attempts) AS correct_attempts
        FROM analytics_daily_user_activity a
        WHERE a.tenant_id = {TENANT} AND {scope._enrolled("a.user_id", class_id)}{where}
        GROUP BY a.day ORDER BY a.day
        """,  # noqa: S608
        {"class_id": class_id, "since": since, "until": until},
        {
            "day": pl.Date,
            "active_students": pl.Int64,
            "events": pl.Int64,
            "watch_seconds": pl.Float64,
            "attempts": pl.Int64,
            "correct_attempts": pl.Int64,
        },
    )
