"""Progress from events: watched segments, coverage, completion, milestones reached, lesson completion.

:func:`apply_events` is what ingest calls, in the same transaction, with the events it has just stored
(each event exactly once, which is what makes the fold idempotent: a resent event is never stored again,
so it is never folded again). For every affected (student, video) the progress row is locked (or, when
there is none yet, created with the fold when it is written); when all the new events come after the ones
already folded (the common case), they extend the stored fold (``tracker_state``); when some come earlier
(late or out-of-order delivery) the pair is refolded from all its stored events. Either way the result
equals a fold of all the pair's events in ``(occurred_at, id)`` order. A pair without a stored fold has
had no event stored through ingest (events and fold commit together), so its fold starts empty without
reading the store: events written into ``analytics_events`` some other way are folded by
:func:`recompute_progress`. Completion is the moment coverage first reached the video's threshold in that
fold: extending the fold never takes it back (a threshold raised later does not revoke it), while a refold
is exact (late events that show a segment was not watched after all can).

The session rows follow the events under the same rule as :func:`sessions.sync_session` (the newest device
time wins), and ``lesson_progress`` is recomputed for the lessons holding the affected videos: a lesson is
complete when all its videos are.

:func:`apply_events` runs in three steps that ingest calls separately (:func:`begin_fold`, then
:meth:`PendingFold.compute` while the server inserts the batch, then
:meth:`PendingFold.finish`): the rows are locked before the events are inserted, the fold is computed
from memory on the assumption that every event is new, and it is computed again only when some turned out
to be stored already.

Only these ``student_progress`` columns are written here: ``milestone_details`` and ``remedial_detours``
belong to :mod:`platform_core.activity.milestones`.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from platform_core.activity.events import EventBase
from platform_core.activity.fold import (
    PLAYBACK_TYPES,
    SESSION_TYPES,
    ProgressFold,
    SessionMove,
    VideoInfo,
    session_move,
)
from platform_core.activity.lessons import update_lesson_progress
from platform_core.activity.progress_store import (
    VIEW_COLUMNS,
    Pair,
    insert_progress,
    load_videos,
    lock_rows,
    progress_update,
    session_tenant,
    stored_events,
    write_progress,
)
from platform_core.activity.segments import Segment, segments_from_json
from platform_core.activity.sessions import DEFAULT_IDLE_AFTER, apply_session_moves
from platform_core.validation import InvalidInput

__all__ = [
    "Folded",
    "PendingFold",
    "ProgressReport",
    "ProgressView",
    "apply_events",
    "begin_fold",
    "get_progress",
    "load_videos",
    "recompute_progress",
]


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


@dataclass
class Folded:
    """What :meth:`PendingFold.compute` found: the new ``student_progress`` values of the pairs that could be
    extended from memory, the pairs to refold from their stored events, and the session moves."""

    updates: dict[Pair, dict[str, Any]]
    refold: list[Pair]
    moves: dict[Pair, SessionMove]
    #: ``updates`` as the JSON the writes send (rows to update, rows to create), when nothing is left to
    #: refold: encoding is part of what ingest computes while the server inserts
    encoded: tuple[str, str] | None = None


@dataclass
class PendingFold:
    """Events to fold, grouped by (student, video), with the progress rows already locked.

    :meth:`compute` touches no database (ingest runs it while the server inserts the batch);
    :meth:`finish` writes, in the session that :func:`begin_fold` locked the rows in.
    """

    tenant_id: uuid.UUID
    #: session-relevant events by pair (the session rows follow them)
    by_pair: dict[Pair, list[EventBase]]
    #: playback events by pair (the progress rows fold them)
    playback: dict[Pair, list[EventBase]]
    videos: Mapping[uuid.UUID, VideoInfo]
    rows: dict[Pair, Mapping[str, Any]]
    idle_after: timedelta = DEFAULT_IDLE_AFTER

    def without(self, skipped: Collection[uuid.UUID]) -> PendingFold:
        """The same fold without the events in ``skipped`` (found stored already)."""

        def keep(groups: dict[Pair, list[EventBase]]) -> dict[Pair, list[EventBase]]:
            kept = {p: [e for e in es if e.id not in skipped] for p, es in groups.items()}
            return {p: es for p, es in kept.items() if es}

        return replace(self, by_pair=keep(self.by_pair), playback=keep(self.playback))

    def compute(self, *, refold_all: bool = False) -> Folded:
        """Extend the stored folds with the new events, in memory; pairs whose new events do not all come
        after the stored fold (late delivery, or a fold stored by another version) are left to refold."""
        updates: dict[Pair, dict[str, Any]] = {}
        refold: list[Pair] = []
        for pair, new in sorted(self.playback.items()):
            row = self.rows.get(pair)
            state = row["tracker_state"] if row is not None else None
            stored = ProgressFold.from_json(state)
            if refold_all or (state and (stored is None or not stored.can_extend(new))):
                refold.append(pair)
                continue
            fold = stored if stored is not None else ProgressFold()  # no fold yet: nothing stored before
            fold.apply(new, self.videos[pair[1]])
            updates[pair] = progress_update(pair, row, fold, self.videos[pair[1]])
        moves = {
            p: m for p, es in self.by_pair.items() if (m := session_move(es, self.videos[p[1]])) is not None
        }
        return Folded(updates, refold, moves, None if refold else self._encode(updates))

    def _encode(self, updates: Mapping[Pair, dict[str, Any]]) -> tuple[str, str]:
        """The rows to update and the rows to create, each as one JSON list in key order."""
        ordered = sorted(updates.items())
        existing = json.dumps([u for p, u in ordered if p in self.rows])
        return existing, json.dumps([u for p, u in ordered if p not in self.rows])

    def finish(
        self, session: Session, folded: Folded, *, skipped: Collection[uuid.UUID] = (), staged: bool = False
    ) -> ProgressReport:
        """Write what :meth:`compute` found (recomputed without ``skipped`` when some events were stored
        already), refold the late pairs from their stored events, and update sessions and lessons."""
        if skipped:
            pending = self.without(skipped)
            return pending.finish(session, pending.compute(), staged=staged)
        report = ProgressReport(refolded=len(folded.refold))
        _refold(session, self, folded, staged=staged)
        existing, fresh = folded.encoded or self._encode(folded.updates)
        write_progress(session, self.tenant_id, existing)
        created = insert_progress(session, self.tenant_id, fresh)
        raced = sorted(p for p in folded.updates if p not in self.rows and p not in created)
        if raced:  # rows created by another transaction since begin_fold: lock them, refold exactly
            rows = lock_rows(session, self.tenant_id, raced)
            again = replace(self, playback={p: self.playback[p] for p in raced}, rows=rows)
            refolded = again.compute(refold_all=True)
            _refold(session, again, refolded, staged=staged)
            write_progress(session, self.tenant_id, again._encode(refolded.updates)[0])
            report.refolded += len(raced)
        report.pairs = len(folded.updates)
        report.sessions = apply_session_moves(session, moves=folded.moves, idle_after=self.idle_after)
        report.lessons = update_lesson_progress(session, pairs=sorted(self.by_pair))
        return report


def _refold(session: Session, pending: PendingFold, folded: Folded, *, staged: bool) -> None:
    """Fold ``folded.refold`` from all their stored events plus the new ones, into ``folded.updates``."""
    if not folded.refold:
        return
    exclude = [] if staged else [e.id for pair in folded.refold for e in pending.playback[pair]]
    older = stored_events(session, pending.tenant_id, folded.refold, exclude, staged=staged)
    for pair in folded.refold:
        fold = ProgressFold()
        video = pending.videos[pair[1]]
        fold.apply([*older.get(pair, []), *pending.playback[pair]], video)
        folded.updates[pair] = progress_update(pair, pending.rows.get(pair), fold, video)


def begin_fold(
    session: Session,
    *,
    events: Iterable[EventBase],
    videos: Mapping[uuid.UUID, VideoInfo] | None = None,
    idle_after: timedelta = DEFAULT_IDLE_AFTER,
) -> PendingFold | None:
    """Group ``events`` by (student, video) and lock the existing progress rows they fold into (the
    missing ones are created by :meth:`PendingFold.finish`); ``None`` when no event concerns a video. See
    :func:`apply_events` for the arguments."""
    tenant_id = session_tenant(session)
    by_pair: dict[Pair, list[EventBase]] = defaultdict(list)
    for event in events:
        if event.type in SESSION_TYPES:
            by_pair[(event.user_id, event.data.video_id)].append(event)  # type: ignore[attr-defined]
    if not by_pair:
        return None
    known = dict(videos or {})
    missing = {v for _, v in by_pair if v not in known}
    known.update(load_videos(session, missing))
    unknown = sorted({v for _, v in by_pair if v not in known})
    if unknown:
        raise InvalidInput("data.video_id", f"no video {unknown[0]} in this tenant")
    playback = {p: [e for e in es if e.type in PLAYBACK_TYPES] for p, es in by_pair.items()}
    playback = {p: es for p, es in playback.items() if es}
    rows = lock_rows(session, tenant_id, sorted(playback)) if playback else {}
    return PendingFold(tenant_id, dict(by_pair), playback, known, rows, idle_after)


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
    pending = begin_fold(session, events=events, videos=videos, idle_after=idle_after)
    if pending is None:
        return ProgressReport()
    return pending.finish(session, pending.compute(), staged=staged)


def recompute_progress(session: Session, *, student_id: uuid.UUID, video_id: uuid.UUID) -> ProgressView:
    """Refold (student, video) from all its stored events, store the result and return it.

    For repairs and audits: the result equals what incremental ingest maintains. Lesson progress of the
    video's lessons is recomputed too.
    """
    tenant_id = session_tenant(session)
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
    rows = lock_rows(session, tenant_id, [pair])
    pending = PendingFold(tenant_id, by_pair={pair: []}, playback={pair: []}, videos=videos, rows=rows)
    pending.finish(session, pending.compute(refold_all=True))
    view = get_progress(session, student_id=student_id, video_id=video_id)
    assert view is not None  # the row was just written
    return view


def get_progress(session: Session, *, student_id: uuid.UUID, video_id: uuid.UUID) -> ProgressView | None:
    """The stored progress of (student, video), or ``None``."""
    row = (
        session.execute(
            text(
                f"SELECT {VIEW_COLUMNS} FROM student_progress "  # noqa: S608 - constant column list
                "WHERE tenant_id = :t AND student_id = :s AND video_id = :v"
            ),
            {"t": session_tenant(session), "s": student_id, "v": video_id},
        )
        .mappings()
        .first()
    )
    return _view(row) if row is not None else None
