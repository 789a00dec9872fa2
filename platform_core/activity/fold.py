"""The per-(student, video) progress fold, pure: tracker state, milestones reached and completion.

:class:`ProgressFold` wraps a :class:`PlaybackTracker` with what progress needs besides the segments: the
milestones reached (from ``milestone_reached`` events), the moment coverage first reached the completion
threshold, and the newest event folded. Events are folded in the total order ``(occurred_at, id)``, so a
fold of the same events is the same whether it ran at once or batch by batch; ``can_extend`` says whether
new events all come after everything folded so far (otherwise the caller refolds from the stored events).
Its JSON form is the ``student_progress.tracker_state`` column.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from platform_core.activity.events import EventBase, MilestoneReachedData, VideoPositionData, VideoSeekData
from platform_core.activity.segments import (
    DEFAULT_COMPLETION_THRESHOLD,
    PlaybackTracker,
    Segment,
    covered_seconds,
    is_complete,
    merge,
)

STATE_VERSION: Final = 1
#: Event types folded into watched segments (``video_start`` only opens the session).
PLAYBACK_TYPES: Final = frozenset(
    {"video_play", "video_pause", "video_seek", "video_progress", "video_complete", "milestone_reached"}
)
#: Event types that move a student's session of a video.
SESSION_TYPES: Final = PLAYBACK_TYPES | {"video_start"}

OrderKey = tuple[datetime, uuid.UUID]


def order_key(event: EventBase) -> OrderKey:
    """The total order of folding: time on the device, then the event id for simultaneous events."""
    return (event.occurred_at, event.id)


@dataclass(frozen=True, slots=True)
class VideoInfo:
    duration_seconds: float
    completion_threshold: float = DEFAULT_COMPLETION_THRESHOLD


@dataclass
class ProgressFold:
    """Fold of one (student, video) event stream; see the module docstring."""

    tracker: PlaybackTracker = field(default_factory=PlaybackTracker)
    milestones: dict[str, datetime] = field(default_factory=dict)
    completed_at: datetime | None = None
    last_key: OrderKey | None = None
    events_folded: int = 0

    # -- folding ------------------------------------------------------------------------------
    def can_extend(self, events: Iterable[EventBase]) -> bool:
        """Whether every event comes strictly after the newest one folded (then no refold is needed)."""
        if self.last_key is None:
            return self.events_folded == 0
        return all(order_key(e) > self.last_key for e in events)

    def apply(self, events: Iterable[EventBase], video: VideoInfo) -> None:
        """Fold events (sorted here) that all come after ``last_key``; raises ``ValueError`` otherwise.

        Coverage never shrinks in a time-ordered fold, so completion is checked once at the end; only when
        it was reached is the batch replayed from a snapshot to find the event that reached it.
        """
        ordered = sorted(events, key=order_key)
        if not ordered:
            return
        if self.last_key is not None and order_key(ordered[0]) <= self.last_key:
            raise ValueError(f"event {ordered[0].id} is not after the events already folded; refold instead")
        snapshot = self.to_json() if self.completed_at is None else None
        for event in ordered:
            self._apply_one(event)
        if snapshot is not None and self._complete(video):
            replay = ProgressFold.from_json(snapshot)
            assert replay is not None
            for event in ordered:
                replay._apply_one(event)
                if replay._complete(video):
                    self.completed_at = event.occurred_at
                    break

    def _apply_one(self, event: EventBase) -> None:
        self.tracker.apply(event)
        if isinstance(event.data, MilestoneReachedData):
            self.milestones.setdefault(str(event.data.milestone_id), event.occurred_at)
        self.last_key = order_key(event)
        self.events_folded += 1

    def _complete(self, video: VideoInfo) -> bool:
        return is_complete(self.tracker.coverage(video.duration_seconds), video.completion_threshold)

    # -- results ------------------------------------------------------------------------------
    def watched(self, video: VideoInfo) -> list[Segment]:
        """The union of watched segments inside ``[0, duration]``."""
        clipped = (s.clip(0.0, video.duration_seconds) for s in self.tracker.played)
        return merge(s for s in clipped if s is not None)

    def summary(self, video: VideoInfo) -> dict[str, Any]:
        """The ``student_progress`` columns the fold determines (completion not yet made sticky)."""
        watched = self.watched(video)
        return {
            "watched_segments": [[s.start, s.end] for s in watched],
            "watched_seconds": covered_seconds(watched),
            "total_watch_seconds": self.tracker.total_played_seconds(),
            "coverage": self.tracker.coverage(video.duration_seconds),
            "completion_threshold": video.completion_threshold,
            "completed_at": self.completed_at,
            "last_position_seconds": self.tracker.last_position or 0.0,
            "last_event_at": self.last_key[0] if self.last_key else None,
        }

    # -- persistence --------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        return {
            "version": STATE_VERSION,
            "tracker": self.tracker.to_dict(),
            "milestones": {k: v.isoformat() for k, v in self.milestones.items()},
            "completed_at": self.completed_at.isoformat() if self.completed_at else None,
            "last_event_at": self.last_key[0].isoformat() if self.last_key else None,
            "last_event_id": str(self.last_key[1]) if self.last_key else None,
            "events_folded": self.events_folded,
        }

    @classmethod
    def from_json(cls, state: Mapping[str, Any] | None) -> ProgressFold | None:
        """The stored fold, or ``None`` when there is none (or it is of another version): refold then."""
        if not state or state.get("version") != STATE_VERSION:
            return None
        last_at, last_id = state.get("last_event_at"), state.get("last_event_id")
        completed = state.get("completed_at")
        return cls(
            tracker=PlaybackTracker.from_dict(state.get("tracker") or {}),
            milestones={k: datetime.fromisoformat(v) for k, v in (state.get("milestones") or {}).items()},
            completed_at=datetime.fromisoformat(completed) if completed else None,
            last_key=(datetime.fromisoformat(last_at), uuid.UUID(last_id)) if last_at and last_id else None,
            events_folded=int(state.get("events_folded") or 0),
        )


@dataclass(frozen=True, slots=True)
class SessionMove:
    """What a stream of new events says about a session: its newest position and the furthest point."""

    client_at: datetime
    first_at: datetime
    position: float | None
    furthest: float | None


def session_move(events: Iterable[EventBase], video: VideoInfo) -> SessionMove | None:
    """Summarise new session-relevant events (any order) of one (student, video) for the session row."""
    ordered = sorted((e for e in events if e.type in SESSION_TYPES), key=order_key)
    if not ordered:
        return None
    position: float | None = None
    furthest: float | None = None
    for event in ordered:
        data = event.data
        if isinstance(data, VideoSeekData):
            current, top = data.to, max(data.from_, data.to)
        elif isinstance(data, VideoPositionData):
            current = top = data.position
        else:
            continue
        position = min(current, video.duration_seconds)
        top = min(top, video.duration_seconds)
        furthest = top if furthest is None else max(furthest, top)
    return SessionMove(ordered[-1].occurred_at, ordered[0].occurred_at, position, furthest)
