"""Business metrics of one tenant: engagement, completion, AI generation success, error rates, video
processing errors. Computed by the owner with the tenant set (so Row-Level Security holds for a
non-superuser owner) and an explicit tenant filter (so it also holds for a superuser, who bypasses RLS).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, text

BUSINESS_SQL = text(
    """
    WITH students AS (
        SELECT id FROM users WHERE tenant_id = :t AND role = 'student' AND is_active
    ),
    events AS (
        SELECT user_id, occurred_at, type FROM analytics_events
        WHERE tenant_id = :t AND occurred_at >= :since_14d AND occurred_at < :now
    ),
    jobs AS (
        SELECT status FROM ai_generation_jobs WHERE tenant_id = :t AND created_at >= :since_7d
    ),
    calls AS (
        SELECT status FROM ai_usage WHERE tenant_id = :t AND created_at >= :since_24h
    )
    SELECT
        (SELECT count(*) FROM students) AS students,
        (SELECT count(DISTINCT e.user_id) FROM events e JOIN students s ON s.id = e.user_id
          WHERE e.occurred_at >= :since_7d) AS active_students_7d,
        (SELECT count(DISTINCT e.user_id) FROM events e JOIN students s ON s.id = e.user_id
          WHERE e.occurred_at < :since_7d) AS active_students_prev_7d,
        (SELECT count(*) FROM events WHERE occurred_at >= :since_24h) AS events_24h,
        (SELECT count(*) FROM events WHERE occurred_at >= :since_24h AND type = 'error_occurred')
            AS error_events_24h,
        (SELECT count(*) FROM student_progress WHERE tenant_id = :t) AS video_progress,
        (SELECT count(*) FROM student_progress WHERE tenant_id = :t AND is_completed) AS videos_completed,
        (SELECT count(*) FROM lesson_progress WHERE tenant_id = :t) AS lesson_progress,
        (SELECT count(*) FROM lesson_progress WHERE tenant_id = :t AND is_completed) AS lessons_completed,
        (SELECT count(*) FROM jobs WHERE status = 'succeeded') AS ai_jobs_succeeded_7d,
        (SELECT count(*) FROM jobs WHERE status = 'failed') AS ai_jobs_failed_7d,
        (SELECT count(*) FROM calls WHERE status = 'ok') AS ai_calls_ok_24h,
        (SELECT count(*) FROM calls WHERE status IN ('error', 'invalid')) AS ai_calls_failed_24h,
        (SELECT count(*) FROM videos WHERE tenant_id = :t) AS videos,
        (SELECT count(*) FROM videos WHERE tenant_id = :t AND processing_status = 'failed') AS videos_failed
    """
)


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 6) if whole else None


def tenant_business_metrics(conn: Connection, tenant_id: uuid.UUID, now: datetime) -> dict[str, Any]:
    """The tenant's business figures at ``now`` (counts, and ratios that are None when undefined)."""
    conn.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(tenant_id)})
    row = dict(
        conn.execute(
            BUSINESS_SQL,
            {
                "t": tenant_id,
                "now": now,
                "since_24h": now - timedelta(hours=24),
                "since_7d": now - timedelta(days=7),
                "since_14d": now - timedelta(days=14),
            },
        )
        .mappings()
        .one()
    )
    jobs = row["ai_jobs_succeeded_7d"] + row["ai_jobs_failed_7d"]
    calls = row["ai_calls_ok_24h"] + row["ai_calls_failed_24h"]
    row.update(
        engagement_rate_7d=_ratio(row["active_students_7d"], row["students"]),
        engagement_change_7d=_ratio(row["active_students_7d"], row["active_students_prev_7d"]),
        error_rate_24h=_ratio(row["error_events_24h"], row["events_24h"]),
        video_completion_rate=_ratio(row["videos_completed"], row["video_progress"]),
        lesson_completion_rate=_ratio(row["lessons_completed"], row["lesson_progress"]),
        ai_jobs_7d=jobs,
        ai_success_rate_7d=_ratio(row["ai_jobs_succeeded_7d"], jobs),
        ai_calls_24h=calls,
        ai_call_failure_rate_24h=_ratio(row["ai_calls_failed_24h"], calls),
    )
    return row
