"""Progress from events: watched segments, coverage, completion, milestones reached, lesson completion.

:func:`apply_events` is what ingest calls, in the same transaction, with the events it has just stored
(each event exactly once, which is what makes the fold idempotent: a resent event is never stored again,
so it is never folded again). For every affected (student, video) the progress row is locked; when all the
new events come after the ones already folded (the common case), they extend the stored fold
(``tracker_state``); when some come earlier (late or out-of-order delivery) the pair is refolded from all
its stored events. Either way the result equals a fold of all the pair's events in ``(occurred_at, id)``
order. A pair without a stored fold has had no event stored through ingest (events and fold commit
together), so its fold starts empty without reading the store: events written into ``analytics_events``
some other way are folded by :func:`recompute_progress`. Completion is the moment coverage first reached
the video's threshold in that fold: extending the fold never takes it back (a threshold raised later does
not revoke it), while a refold is exact (late events that show a segment was not watched after all can).

The session rows follow the events under the same rule as :func:`sessions.sync_session` (the newest device
time wins), and ``lesson_progress`` is recomputed for the lessons holding the affected videos: a lesson is
complete when all its videos are.

Only these ``student_progress`` columns are written here: ``milestone_details`` and ``remedial_detours``
belong to :mod:`platform_core.activity.milestones`.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from platform_core.activity.events import EventBase, InvalidEvent, parse_event
from platform_core.activity.fold import (
    PLAYBACK_TYPES,
    SESSION_TYPES,
    ProgressFold,
    VideoInfo,
    session_move,
)
from platform_core.activity.lessons import update_lesson_progress
from platform_core.activity.segments import Segment, segments_from_json
from platform_core.activity.sessions import DEFAULT_IDLE_AFTER, apply_session_moves
from platform_core.db.session import TENANT_KEY
from platform_core.validation import InvalidInput

__all__ = [
    "ProgressReport",
    "ProgressView",
    "apply_events",
    "get_progress",
    "load_videos",
    "recompute_progress",
]

log = logging.getLogger(__name__)
Pair = tuple[uuid.UUID, uuid.UUID]  # (student_id, video_id)


@dataclass(frozen=True, slots=True)
class ProgressView:
    student_id: uuid.UUID
    video_id: uuid.UUID
    watched_segments: list[Segment]
    watched_seconds: float
    total_watch_seconds: float
    coverage: float
    completion_threshold: float
    is_completed: bool
    completed_at: datetime | None
    last_position_seconds: float
    last_event_at: datetime | None
    #: milestone id -> when the student first reached it (``milestone_reached`` events)
    milestones_reached: dict[uuid.UUID, datetime]


@dataclass
class ProgressReport:
    pairs: int = 0
    #: pairs refolded from all their stored events (late or out-of-order events)
    refolded: int = 0
    sessions: int = 0
    lessons: int = 0


_VIEW_COLUMNS = """student_id, video_id, watched_segments, watched_seconds, total_watch_seconds, coverage,
    completion_threshold, is_completed, completed_at, last_position_seconds, last_event_at, tracker_state"""


def _tenant(session: Session) -> uuid.UUID:
    tenant_id = session.info.get(TENANT_KEY)
    if tenant_id is None:
        raise ValueError("a tenant session is required (platform_core.db.session.tenant_session)")
    return tenant_id


def _view(row: Mapping[str, Any]) -> ProgressView:
    fold = ProgressFold.from_json(row["tracker_state"])
    reached = {uuid.UUID(k): v for k, v in fold.milestones.items()} if fold else {}
    return ProgressView(
        student_id=row["student_id"],
        video_id=row["video_id"],
        watched_segments=segments_from_json(row["watched_segments"] or []),
        watched_seconds=row["watched_seconds"],
        total_watch_seconds=row["total_watch_seconds"],
        coverage=row["coverage"],
        completion_threshold=row["completion_threshold"],
        is_completed=row["is_completed"],
        completed_at=row["completed_at"],
        last_position_seconds=row["last_position_seconds"],
        last_event_at=row["last_event_at"],
        milestones_reached=reached,
    )


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
        {"t": _tenant(session), "ids": ids},
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


def _stored_events(
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


def _lock_rows(
    session: Session, tenant_id: uuid.UUID, pairs: Sequence[Pair]
) -> dict[Pair, Mapping[str, Any]]:
    """Create missing progress rows, then lock all of them in key order and return them."""
    students = [p[0] for p in pairs]
    video_ids = [p[1] for p in pairs]
    session.execute(
        text(
            """
            INSERT INTO student_progress (tenant_id, student_id, video_id, completion_threshold)
            SELECT :t, p.student_id, p.video_id, v.completion_threshold
            FROM unnest(CAST(:students AS uuid[]), CAST(:videos AS uuid[])) AS p(student_id, video_id)
            JOIN videos v ON v.tenant_id = :t AND v.id = p.video_id
            ORDER BY p.student_id, p.video_id
            ON CONFLICT (tenant_id, student_id, video_id) DO NOTHING
            """
        ),
        {"t": tenant_id, "students": students, "videos": video_ids},
    )
    rows = session.execute(
        text(
            f"""
            SELECT sp.id, {_VIEW_COLUMNS}
            FROM student_progress sp
            WHERE sp.tenant_id = :t AND (sp.student_id, sp.video_id) IN (
                SELECT * FROM unnest(CAST(:students AS uuid[]), CAST(:videos AS uuid[])))
            ORDER BY sp.student_id, sp.video_id
            FOR UPDATE
            """  # noqa: S608 - constant column list
        ),
        {"t": tenant_id, "students": students, "videos": video_ids},
    ).mappings()
    return {(r["student_id"], r["video_id"]): r for r in rows}


_UPDATE_PROGRESS = text(
    """
    UPDATE student_progress sp SET
        watched_segments = CAST(u.segments AS jsonb),
        watched_seconds = u.watched_seconds,
        total_watch_seconds = u.total_watch_seconds,
        coverage = u.coverage,
        completion_threshold = u.threshold,
        is_completed = u.is_completed,
        completed_at = u.completed_at,
        last_position_seconds = u.last_position,
        last_event_at = u.last_event_at,
        tracker_state = CAST(u.state AS jsonb),
        updated_at = now()
    FROM unnest(
        CAST(:ids AS uuid[]), CAST(:segments AS text[]), CAST(:watched AS float8[]), CAST(:total AS float8[]),
        CAST(:coverage AS float8[]), CAST(:threshold AS float8[]), CAST(:completed AS boolean[]),
        CAST(:completed_at AS timestamptz[]), CAST(:last_position AS float8[]),
        CAST(:last_event_at AS timestamptz[]), CAST(:state AS text[])
    ) AS u(id, segments, watched_seconds, total_watch_seconds, coverage, threshold, is_completed,
           completed_at, last_position, last_event_at, state)
    WHERE sp.tenant_id = :t AND sp.id = u.id
    """
)


def _write_progress(session: Session, tenant_id: uuid.UUID, updates: list[dict[str, Any]]) -> None:
    if not updates:
        return
    columns = {
        "ids": "id",
        "segments": "segments",
        "watched": "watched_seconds",
        "total": "total_watch_seconds",
        "coverage": "coverage",
        "threshold": "completion_threshold",
        "completed": "is_completed",
        "completed_at": "completed_at",
        "last_position": "last_position_seconds",
        "last_event_at": "last_event_at",
        "state": "state",
    }
    params: dict[str, Any] = {name: [u[key] for u in updates] for name, key in columns.items()}
    session.execute(_UPDATE_PROGRESS, {"t": tenant_id, **params})


def _progress_update(row: Mapping[str, Any], fold: ProgressFold, video: VideoInfo) -> dict[str, Any]:
    summary = fold.summary(video)
    return {
        **summary,
        "id": row["id"],
        "segments": json.dumps(summary["watched_segments"]),
        "is_completed": summary["completed_at"] is not None,
        "state": json.dumps(fold.to_json()),
    }


def _fold_pairs(
    session: Session,
    tenant_id: uuid.UUID,
    new_events: Mapping[Pair, list[EventBase]],
    videos: Mapping[uuid.UUID, VideoInfo],
    *,
    refold_all: bool = False,
    staged: bool = False,
) -> tuple[list[dict[str, Any]], int]:
    pairs = sorted(new_events)
    rows = _lock_rows(session, tenant_id, pairs)
    folds: dict[Pair, ProgressFold] = {}
    refold: list[Pair] = []
    for pair in pairs:
        state = rows[pair]["tracker_state"]
        stored = ProgressFold.from_json(state)
        if refold_all or (state and (stored is None or not stored.can_extend(new_events[pair]))):
            refold.append(pair)  # late events, or a fold stored by another version
        else:  # no fold yet: no event of the pair was stored through ingest before, start empty
            folds[pair] = stored if stored is not None else ProgressFold()
    if refold:
        exclude = [] if staged else [e.id for pair in refold for e in new_events[pair]]
        older = _stored_events(session, tenant_id, refold, exclude, staged=staged)
        for pair in refold:
            fold = ProgressFold()
            fold.apply([*older.get(pair, []), *new_events[pair]], videos[pair[1]])
            folds[pair] = fold
    updates = []
    for pair in pairs:
        if pair not in refold:
            folds[pair].apply(new_events[pair], videos[pair[1]])
        updates.append(_progress_update(rows[pair], folds[pair], videos[pair[1]]))
    _write_progress(session, tenant_id, updates)
    return updates, len(refold)


def apply_events(
    session: Session,
    *,
    events: Iterable[EventBase],
    videos: Mapping[uuid.UUID, VideoInfo] | None = None,
    idle_after: timedelta = DEFAULT_IDLE_AFTER,
    staged: bool = False,
) -> ProgressReport:
    """Fold newly stored events into progress, sessions and lessons (each event must be passed once).

    ``events`` may hold any types; those without a video are ignored. ``videos`` (duration and threshold
    by id) saves a query when the caller already has them. Sessions whose newest event is older than
    ``idle_after`` are not made active by a backfill. ``staged`` (ingest only): the temporary table
    ``ilp_ingest_stage`` holds exactly the ids of ``events``.
    """
    tenant_id = _tenant(session)
    by_pair: dict[Pair, list[EventBase]] = defaultdict(list)
    for event in events:
        if event.type in SESSION_TYPES:
            by_pair[(event.user_id, event.data.video_id)].append(event)  # type: ignore[attr-defined]
    if not by_pair:
        return ProgressReport()
    known = dict(videos or {})
    missing = {v for _, v in by_pair if v not in known}
    known.update(load_videos(session, missing))
    unknown = sorted({v for _, v in by_pair if v not in known})
    if unknown:
        raise InvalidInput("data.video_id", f"no video {unknown[0]} in this tenant")
    playback = {p: [e for e in es if e.type in PLAYBACK_TYPES] for p, es in by_pair.items()}
    playback = {p: es for p, es in playback.items() if es}
    report = ProgressReport()
    if playback:
        updates, report.refolded = _fold_pairs(session, tenant_id, playback, known, staged=staged)
        report.pairs = len(updates)
    moves = {p: m for p, es in by_pair.items() if (m := session_move(es, known[p[1]])) is not None}
    report.sessions = apply_session_moves(session, moves=moves, idle_after=idle_after)
    report.lessons = update_lesson_progress(session, pairs=sorted(by_pair))
    return report


def recompute_progress(session: Session, *, student_id: uuid.UUID, video_id: uuid.UUID) -> ProgressView:
    """Refold (student, video) from all its stored events, store the result and return it.

    For repairs and audits: the result equals what incremental ingest maintains. Lesson progress of the
    video's lessons is recomputed too.
    """
    tenant_id = _tenant(session)
    videos = load_videos(session, [video_id])
    if video_id not in videos:
        raise InvalidInput("video_id", f"no video {video_id} in this tenant")
    pair = (student_id, video_id)
    exists = session.execute(
        text("SELECT EXISTS (SELECT FROM users WHERE tenant_id = :t AND id = :s)"),
        {"t": tenant_id, "s": student_id},
    ).scalar()
    if not exists:
        raise InvalidInput("student_id", f"no user {student_id} in this tenant")
    _fold_pairs(session, tenant_id, {pair: []}, videos, refold_all=True)
    update_lesson_progress(session, pairs=[pair])
    view = get_progress(session, student_id=student_id, video_id=video_id)
    assert view is not None  # the row was just written
    return view


def get_progress(session: Session, *, student_id: uuid.UUID, video_id: uuid.UUID) -> ProgressView | None:
    """The stored progress of (student, video), or ``None``."""
    row = (
        session.execute(
            text(
                f"SELECT {_VIEW_COLUMNS} FROM student_progress "  # noqa: S608 - constant column list
                "WHERE tenant_id = :t AND student_id = :s AND video_id = :v"
            ),
            {"t": _tenant(session), "s": student_id, "v": video_id},
        )
        .mappings()
        .first()
    )
    return _view(row) if row is not None else None
