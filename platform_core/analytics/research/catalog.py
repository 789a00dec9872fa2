"""Catalogues for the notebooks: classes, videos, questions and experiments, with the labels a reader
recognises."""

# ruff: noqa: S608 - SQL text is built from constants and column names; values are bound parameters

from __future__ import annotations

import polars as pl

from platform_core.analytics.scope import TENANT
from platform_core.analytics.sources import UTC_DATETIME, Source

VIDEO_SCHEMA = {
    "video_id": pl.String,
    "title": pl.String,
    "lessons": pl.String,
    "duration_seconds": pl.Float64,
    "milestones": pl.Int64,
    "starters": pl.Int64,
    "completed": pl.Int64,
}
QUESTION_SCHEMA = {
    "question_id": pl.String,
    "prompt": pl.String,
    "type": pl.String,
    "status": pl.String,
    "source": pl.String,
    "video_id": pl.String,
    "video_title": pl.String,
    "milestone_title": pl.String,
    "milestone_seconds": pl.Float64,
}
CLASS_SCHEMA = {"class_id": pl.String, "class_name": pl.String, "students": pl.Int64, "archived": pl.Boolean}
EXPERIMENT_SCHEMA = {
    "key": pl.String,
    "name": pl.String,
    "status": pl.String,
    "started_at": UTC_DATETIME,
    "assigned": pl.Int64,
}


def class_catalog(src: Source) -> pl.DataFrame:
    """Every class by name: ``class_id, class_name, students`` (enrolled users with role student),
    ``archived``."""
    return src.query(
        f"""
        SELECT CAST(c.id AS VARCHAR) AS class_id, c.name AS class_name,
               (SELECT count(*) FROM enrollments e
                  JOIN users u ON u.tenant_id = e.tenant_id AND u.id = e.student_id
                 WHERE e.tenant_id = c.tenant_id AND e.class_id = c.id
                   AND CAST(u.role AS VARCHAR) = 'student') AS students,
               c.archived_at IS NOT NULL AS archived
        FROM classes c WHERE c.tenant_id = {TENANT}
        """,
        schema=CLASS_SCHEMA,
    ).sort("class_name", "class_id")


def video_catalog(src: Source) -> pl.DataFrame:
    """Every video, most watched first: ``video_id, title, lessons`` (titles of the lessons holding it,
    comma-separated), ``duration_seconds``, ``milestones``, ``starters`` (progress with coverage > 0) and
    ``completed``."""
    return src.query(
        f"""
        SELECT CAST(v.id AS VARCHAR) AS video_id, v.title, v.duration_seconds,
               (SELECT string_agg(DISTINCT l.title, ', ' ORDER BY l.title) FROM video_group_videos gv
                  JOIN video_groups g ON g.tenant_id = gv.tenant_id AND g.id = gv.video_group_id
                  JOIN lessons l ON l.tenant_id = g.tenant_id AND l.id = g.lesson_id
                 WHERE gv.tenant_id = v.tenant_id AND gv.video_id = v.id) AS lessons,
               (SELECT count(*) FROM milestones m WHERE m.tenant_id = v.tenant_id AND m.video_id = v.id)
                 AS milestones,
               (SELECT count(*) FROM student_progress p WHERE p.tenant_id = v.tenant_id AND p.video_id = v.id
                  AND p.coverage > 0) AS starters,
               (SELECT count(*) FROM student_progress p WHERE p.tenant_id = v.tenant_id AND p.video_id = v.id
                  AND p.is_completed) AS completed
        FROM videos v WHERE v.tenant_id = {TENANT}
        """,
        schema=VIDEO_SCHEMA,
    ).sort(["starters", "video_id"], descending=[True, False])


def question_catalog(src: Source) -> pl.DataFrame:
    """Every question with what identifies it to a reader (columns ``QUESTION_SCHEMA``)."""
    return src.query(
        f"""
        SELECT CAST(q.id AS VARCHAR) AS question_id, q.prompt, CAST(q.type AS VARCHAR) AS type,
               CAST(q.status AS VARCHAR) AS status, CAST(q.source AS VARCHAR) AS source,
               CAST(q.video_id AS VARCHAR) AS video_id, v.title AS video_title, m.title AS milestone_title,
               m.timestamp_seconds AS milestone_seconds
        FROM questions q JOIN videos v ON v.tenant_id = q.tenant_id AND v.id = q.video_id
        LEFT JOIN milestones m ON m.tenant_id = q.tenant_id AND m.id = q.milestone_id
        WHERE q.tenant_id = {TENANT}
        """,
        schema=QUESTION_SCHEMA,
    ).sort("question_id")


def experiment_catalog(src: Source) -> pl.DataFrame:
    """Every A/B experiment: ``key, name, status, started_at, assigned`` (users assigned a variant)."""
    return src.query(
        f"""
        SELECT e.key, e.name, CAST(e.status AS VARCHAR) AS status, e.started_at,
               (SELECT count(*) FROM experiment_assignments a WHERE a.tenant_id = e.tenant_id
                  AND a.experiment_id = e.id) AS assigned
        FROM experiments e WHERE e.tenant_id = {TENANT}
        """,
        schema=EXPERIMENT_SCHEMA,
    ).sort("key")
