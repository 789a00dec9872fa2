"""Lesson completion: ``lesson_progress`` from the students' video progress.

A lesson's videos are those of its video groups (a video may sit in several groups and lessons and counts
once per lesson). A lesson is complete for a student when every one of its videos is complete; its
``completed_at`` is when the last of them was completed. The row is recomputed from ``student_progress``
(not incremented), so recomputing is idempotent.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.orm import Session

from platform_core.db.session import TENANT_KEY

__all__ = ["LessonProgressView", "get_lesson_progress", "update_lesson_progress"]

_UPSERT = text(
    """
    WITH touched AS (
        SELECT DISTINCT p.student_id, vg.lesson_id
        FROM unnest(CAST(:students AS uuid[]), CAST(:videos AS uuid[])) AS p(student_id, video_id)
        JOIN video_group_videos vgv ON vgv.tenant_id = :t AND vgv.video_id = p.video_id
        JOIN video_groups vg ON vg.tenant_id = :t AND vg.id = vgv.video_group_id
    ), lesson_videos AS (
        SELECT DISTINCT vg.lesson_id, vgv.video_id
        FROM video_groups vg
        JOIN video_group_videos vgv ON vgv.tenant_id = vg.tenant_id AND vgv.video_group_id = vg.id
        WHERE vg.tenant_id = :t AND vg.lesson_id IN (SELECT lesson_id FROM touched)
    ), totals AS (
        SELECT t.student_id, t.lesson_id, count(*) AS total,
               count(*) FILTER (WHERE sp.is_completed) AS done, max(sp.completed_at) AS last_done
        FROM touched t
        JOIN lesson_videos lv ON lv.lesson_id = t.lesson_id
        LEFT JOIN student_progress sp
               ON sp.tenant_id = :t AND sp.student_id = t.student_id AND sp.video_id = lv.video_id
        GROUP BY t.student_id, t.lesson_id
    )
    INSERT INTO lesson_progress AS lp
        (tenant_id, student_id, lesson_id, videos_completed, videos_total, is_completed, completed_at)
    SELECT :t, student_id, lesson_id, done, total, done = total, CASE WHEN done = total THEN last_done END
    FROM totals
    ORDER BY student_id, lesson_id
    ON CONFLICT (tenant_id, student_id, lesson_id) DO UPDATE SET
        videos_completed = excluded.videos_completed,
        videos_total = excluded.videos_total,
        is_completed = excluded.is_completed,
        completed_at = excluded.completed_at,
        updated_at = now()
    WHERE (lp.videos_completed, lp.videos_total, lp.is_completed, lp.completed_at)
          IS DISTINCT FROM (excluded.videos_completed, excluded.videos_total, excluded.is_completed,
                            excluded.completed_at)
    """
)


@dataclass(frozen=True, slots=True)
class LessonProgressView:
    student_id: uuid.UUID
    lesson_id: uuid.UUID
    videos_completed: int
    videos_total: int
    is_completed: bool
    completed_at: datetime | None


def update_lesson_progress(session: Session, *, pairs: Sequence[tuple[uuid.UUID, uuid.UUID]]) -> int:
    """Recompute ``lesson_progress`` of the lessons holding the videos of ``(student_id, video_id)`` pairs
    for those students; returns how many rows changed."""
    if not pairs:
        return 0
    result = session.execute(
        _UPSERT,
        {
            "t": session.info[TENANT_KEY],
            "students": [p[0] for p in pairs],
            "videos": [p[1] for p in pairs],
        },
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def get_lesson_progress(
    session: Session, *, student_id: uuid.UUID, lesson_id: uuid.UUID
) -> LessonProgressView | None:
    row = session.execute(
        text(
            "SELECT student_id, lesson_id, videos_completed, videos_total, is_completed, completed_at "
            "FROM lesson_progress WHERE tenant_id = :t AND student_id = :s AND lesson_id = :l"
        ),
        {"t": session.info[TENANT_KEY], "s": student_id, "l": lesson_id},
    ).first()
    return LessonProgressView(*row) if row is not None else None
