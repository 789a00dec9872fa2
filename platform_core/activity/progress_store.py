"""The ``student_progress`` rows the fold reads and writes, and the stored events a refold reads back.

Table access only; what to fold and when is :mod:`platform_core.activity.progress`.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from platform_core.activity.event_parsing import parse_event
from platform_core.activity.events import EventBase, InvalidEvent
from platform_core.activity.fold import PLAYBACK_TYPES, ProgressFold, VideoInfo
from platform_core.db.session import TENANT_KEY

log = logging.getLogger(__name__)
Pair = tuple[uuid.UUID, uuid.UUID]  # (student_id, video_id)

VIEW_COLUMNS = """student_id, video_id, watched_segments, watched_seconds, total_watch_seconds, coverage,
    completion_threshold, is_completed, completed_at, last_position_seconds, last_event_at, tracker_state"""


def session_tenant(session: Session) -> uuid.UUID:
    tenant_id = session.info.get(TENANT_KEY)
    if tenant_id is None:
        raise ValueError("a tenant session is required (platform_core.db.session.tenant_session)")
    return tenant_id


def load_videos(session: Session, video_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, VideoInfo]:
    """Duration and completion threshold of the tenant's videos among ``video_ids``."""
    ids = sorted(set(video_ids))
    if not ids:
        return {}
    rows = session.execute(
        text(
            "SELECT id, duration_seconds, completion_threshold FROM videos "
            "WHERE tenant_id = :t AND id = ANY(CAST(:ids AS uuid[]))"
        ),
        {"t": session_tenant(session), "ids": ids},
    )
    return {r.id: VideoInfo(r.duration_seconds, r.completion_threshold) for r in rows}


# LATERAL: one index scan per (student, video) whatever the statistics say (a hash join over all of the
# tenant's events is what a planner with stale statistics picks otherwise).
_STORED = """
    SELECT e.id, e.type, e.occurred_at, e.user_id, e.session_id, e.data, e.context
    FROM unnest(CAST(:students AS uuid[]), CAST(:videos AS text[])) AS p(student_id, video_id)
    CROSS JOIN LATERAL (
        SELECT * FROM analytics_events e
        WHERE e.tenant_id = :t AND e.user_id = p.student_id
          AND e.data ? 'video_id' AND e.data ->> 'video_id' = p.video_id
          AND e.type = ANY(CAST(:types AS text[])) {exclude}
    ) e
"""
_NOT_LISTED = _STORED.format(exclude="AND NOT (e.id = ANY(CAST(:exclude AS uuid[])))")
# The ingest staging table holds exactly the ids of the events being applied: no need to send them
# (NOT IN over a subquery becomes a hashed subplan, fine without statistics on the temporary table).
_NOT_STAGED = _STORED.format(exclude="AND e.id NOT IN (SELECT s.id FROM ilp_ingest_stage s)")


def stored_events(
    session: Session,
    tenant_id: uuid.UUID,
    pairs: Sequence[Pair],
    exclude: Sequence[uuid.UUID],
    *,
    staged: bool = False,
) -> dict[Pair, list[EventBase]]:
    """The stored playback events of ``pairs``, except the ids in ``exclude`` (already in memory; with
    ``staged``, the ids in the ingest staging table)."""
    params: dict[str, Any] = {
        "t": tenant_id,
        "students": [p[0] for p in pairs],
        "videos": [str(p[1]) for p in pairs],
        "types": sorted(PLAYBACK_TYPES),
    }
    if not staged:
        params["exclude"] = list(exclude)
    rows = session.execute(text(_NOT_STAGED if staged else _NOT_LISTED), params).mappings()
    found: dict[Pair, list[EventBase]] = defaultdict(list)
    for row in rows:
        raw = {k: v for k, v in row.items() if v is not None}
        try:
            event = parse_event(raw)  # what ingest stored passes; a row written some other way may not
        except InvalidEvent as exc:
            log.warning("stored event %s skipped in the progress fold: %s", row["id"], exc)
            continue
        found[(event.user_id, event.data.video_id)].append(event)  # type: ignore[attr-defined]
    return found


def _keys(pairs: Iterable[Pair]) -> str:
    return json.dumps([{"student_id": str(s), "video_id": str(v)} for s, v in pairs])


def lock_rows(session: Session, tenant_id: uuid.UUID, pairs: Sequence[Pair]) -> dict[Pair, Mapping[str, Any]]:
    """Lock the existing progress rows of ``pairs`` in key order and return them (pairs without a row are
    left out: :func:`insert_progress` creates those)."""
    rows = session.execute(
        text(
            f"""
            SELECT sp.id, {VIEW_COLUMNS}
            FROM student_progress sp
            WHERE sp.tenant_id = :t AND (sp.student_id, sp.video_id) IN (
                SELECT * FROM jsonb_to_recordset(CAST(:keys AS jsonb)) AS p(student_id uuid, video_id uuid))
            ORDER BY sp.student_id, sp.video_id
            FOR UPDATE
            """  # noqa: S608 - constant column list
        ),
        {"t": tenant_id, "keys": _keys(pairs)},
    ).mappings()
    return {(r["student_id"], r["video_id"]): r for r in rows}


_INSERT_PROGRESS = text(
    """
    INSERT INTO student_progress AS sp (tenant_id, student_id, video_id, watched_segments, watched_seconds,
        total_watch_seconds, coverage, completion_threshold, is_completed, completed_at,
        last_position_seconds, last_event_at, tracker_state)
    SELECT :t, u.student_id, u.video_id, u.watched_segments, u.watched_seconds, u.total_watch_seconds,
           u.coverage, u.completion_threshold, u.completed_at IS NOT NULL, u.completed_at,
           u.last_position_seconds, u.last_event_at, u.tracker_state
    FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS u(
        student_id uuid, video_id uuid, watched_segments jsonb, watched_seconds float8,
        total_watch_seconds float8, coverage float8, completion_threshold float8, completed_at timestamptz,
        last_position_seconds float8, last_event_at timestamptz, tracker_state jsonb)
    ORDER BY u.student_id, u.video_id
    ON CONFLICT (tenant_id, student_id, video_id) DO NOTHING
    RETURNING sp.student_id, sp.video_id
    """
)


def insert_progress(session: Session, tenant_id: uuid.UUID, rows_json: str) -> set[Pair]:
    """Create progress rows from the JSON list of :func:`progress_update` values; returns the pairs created
    (a pair whose row another transaction created meanwhile is not)."""
    if rows_json == "[]":
        return set()
    created = session.execute(_INSERT_PROGRESS, {"t": tenant_id, "rows": rows_json})
    return {(r.student_id, r.video_id) for r in created}


# One JSON document for all the rows: cheaper to send than eleven arrays, and the segments and the fold
# state are JSON already.
_UPDATE_PROGRESS = text(
    """
    UPDATE student_progress sp SET
        watched_segments = u.watched_segments,
        watched_seconds = u.watched_seconds,
        total_watch_seconds = u.total_watch_seconds,
        coverage = u.coverage,
        completion_threshold = u.completion_threshold,
        is_completed = u.completed_at IS NOT NULL,
        completed_at = u.completed_at,
        last_position_seconds = u.last_position_seconds,
        last_event_at = u.last_event_at,
        tracker_state = u.tracker_state,
        updated_at = now()
    FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS u(
        id uuid, watched_segments jsonb, watched_seconds float8, total_watch_seconds float8, coverage float8,
        completion_threshold float8, completed_at timestamptz, last_position_seconds float8,
        last_event_at timestamptz, tracker_state jsonb)
    WHERE sp.tenant_id = :t AND sp.id = u.id
    """
)


def write_progress(session: Session, tenant_id: uuid.UUID, rows_json: str) -> None:
    """Store the JSON list of :func:`progress_update` values into their existing rows."""
    if rows_json != "[]":
        session.execute(_UPDATE_PROGRESS, {"t": tenant_id, "rows": rows_json})


def progress_update(
    pair: Pair, row: Mapping[str, Any] | None, fold: ProgressFold, video: VideoInfo
) -> dict[str, Any]:
    """The new values of the ``student_progress`` row of ``pair`` (``row``, or none yet), as JSON (see
    :func:`write_progress` and :func:`insert_progress`)."""
    summary = fold.summary(video)
    completed_at, last_event_at = summary["completed_at"], summary["last_event_at"]
    return {
        **summary,
        "id": str(row["id"]) if row is not None else None,
        "student_id": str(pair[0]),
        "video_id": str(pair[1]),
        "completed_at": completed_at.isoformat() if completed_at else None,
        "last_event_at": last_event_at.isoformat() if last_event_at else None,
        "tracker_state": fold.to_json(),
    }
