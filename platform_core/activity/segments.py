"""Watched segments: interval union, coverage, and the played-segments fold over video events.

A :class:`Segment` is a closed interval of video time in seconds. :func:`merge` returns the union as
sorted, disjoint segments (touching or overlapping intervals merge, zero-length ones vanish). Only
comparisons and ``max`` build the union, so its end points are exactly the input floats; lengths are
summed with :func:`math.fsum`.

:class:`PlaybackTracker` follows the xAPI Video Profile's played-segments idea for one (student, video):
a segment opens at ``video_play`` (or at a heartbeat when nothing is open) and closes at
``video_pause``, ``video_seek`` (at ``from``; playback continues at ``to``), ``video_complete``, or at a
heartbeat that went backwards without a seek. A heartbeat that jumps further ahead than the wall-clock
time since the last observed position allows (at its playback rate), or that comes after a silence
longer than ``max_heartbeat_gap`` (the app was killed), is not credited as playback: the segment closes
at the last observed position and a new one opens. Events are de-duplicated by ``id``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final
from uuid import UUID

from platform_core.activity.events import (
    EventBase,
    MilestoneReachedData,
    VideoCompleteData,
    VideoPauseData,
    VideoPlayData,
    VideoProgressData,
    VideoSeekData,
)

DEFAULT_COMPLETION_THRESHOLD: Final = 0.95
_EPSILON: Final = 1e-9
#: a heartbeat may run ahead of wall-clock time x playback rate by this factor plus these seconds
JUMP_FACTOR: Final = 1.25
JUMP_SLACK_SECONDS: Final = 2.0
#: longest silence between position reports that still counts as continuous playback
DEFAULT_MAX_HEARTBEAT_GAP_SECONDS: Final = 60.0


@dataclass(frozen=True, slots=True, order=True)
class Segment:
    """Closed interval ``[start, end]`` of video time in seconds (finite, ``start <= end``)."""

    start: float
    end: float

    def __post_init__(self) -> None:
        start, end = float(self.start), float(self.end)
        if not (math.isfinite(start) and math.isfinite(end)):
            raise ValueError(f"segment bounds must be finite, got [{start}, {end}]")
        if start > end:
            raise ValueError(f"segment start must be <= end, got [{start}, {end}]")
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "end", end)

    @property
    def length(self) -> float:
        return self.end - self.start

    def clip(self, low: float, high: float) -> Segment | None:
        """The part of the segment inside ``[low, high]``, or ``None`` when nothing is left."""
        start, end = max(self.start, low), min(self.end, high)
        return Segment(start, end) if start < end else None


def merge(segments: Iterable[Segment]) -> list[Segment]:
    """Union of the segments: sorted, pairwise disjoint and non-touching, no zero-length segment."""
    result: list[Segment] = []
    for seg in sorted(s for s in segments if s.end > s.start):
        if result and seg.start <= result[-1].end:
            last = result[-1]
            if seg.end > last.end:
                result[-1] = Segment(last.start, seg.end)
        else:
            result.append(seg)
    return result


def add(segments: Iterable[Segment], new: Segment) -> list[Segment]:
    """Union of ``segments`` and ``new``."""
    return merge([*segments, new])


def covered_seconds(segments: Iterable[Segment]) -> float:
    """Length of the union (overlaps counted once)."""
    return math.fsum(s.length for s in merge(segments))


def coverage(segments: Iterable[Segment], duration: float) -> float:
    """Share of ``[0, duration]`` covered by the union, in ``[0, 1]``; 0 for a non-positive duration."""
    if not math.isfinite(duration) or duration <= 0:
        return 0.0
    clipped = [c for s in segments if (c := s.clip(0.0, duration)) is not None]
    return min(1.0, max(0.0, covered_seconds(clipped) / duration))


def is_complete(coverage: float, threshold: float = DEFAULT_COMPLETION_THRESHOLD) -> bool:
    """Whether ``coverage`` reaches ``threshold`` (with a 1e-9 margin for float division)."""
    if not 0 < threshold <= 1:
        raise ValueError(f"completion threshold must be in (0, 1], got {threshold}")
    return coverage >= threshold - _EPSILON


# ------------------------------------------------------------------------------ xAPI played-segments
_NUMBER = r"(?:\d+(?:\.\d+)?|\.\d+)"
_PART = re.compile(rf"^({_NUMBER})\[\.\]({_NUMBER})$")


def format_played_segments(segments: Iterable[Segment]) -> str:
    """xAPI Video Profile grammar: ``"0.000[.]30.000[,]60.000[.]90.000"`` (three decimals, given order)."""
    return "[,]".join(f"{s.start:.3f}[.]{s.end:.3f}" for s in segments)


def parse_played_segments(text: str) -> list[Segment]:
    """Inverse of :func:`format_played_segments` (``""`` is no segment); ``ValueError`` names the bad part."""
    if text == "":
        return []
    result: list[Segment] = []
    for index, part in enumerate(text.split("[,]")):
        match = _PART.match(part)
        if match is None:
            raise ValueError(f"played-segments part {index} {part!r} is not 'start[.]end' (seconds)")
        start, end = float(match.group(1)), float(match.group(2))
        if start > end:
            raise ValueError(f"played-segments part {index} {part!r} ends before it starts")
        result.append(Segment(start, end))
    return result


def segments_to_json(segments: Iterable[Segment]) -> list[list[float]]:
    """``[[start, end], ...]`` for JSONB columns."""
    return [[s.start, s.end] for s in segments]


def segments_from_json(value: Iterable[Sequence[float]]) -> list[Segment]:
    return [Segment(float(pair[0]), float(pair[1])) for pair in value]


# ------------------------------------------------------------------------------------------ tracker
class PlaybackTracker:
    """Folds one (student, video) stream of video events, in ``occurred_at`` order, into played segments.

    ``played`` lists segments chronologically as watched (rewatches included, like the xAPI
    ``played-segments`` extension); ``merged`` is their union. An open segment counts up to the last
    position observed while playing (``head``). Re-applying an event with an ``id`` already applied is
    a no-op, and duplicated content (a second pause, the same heartbeat twice) changes nothing either.
    """

    def __init__(
        self,
        segments: Iterable[Segment] = (),
        *,
        video_id: UUID | None = None,
        max_heartbeat_gap: float = DEFAULT_MAX_HEARTBEAT_GAP_SECONDS,
    ) -> None:
        self.video_id = video_id
        self.max_heartbeat_gap = max_heartbeat_gap
        self._closed: list[Segment] = [s for s in segments if s.length > 0]
        self._start: float | None = None
        self._head: float | None = None
        self._head_at: datetime | None = None  # when ``_head`` was observed
        self._rate = 1.0  # last playback rate a heartbeat reported
        self._applied: set[UUID] = set()
        #: last playhead position reported by any positional event
        self.last_position: float | None = None

    # -- state --------------------------------------------------------------------------------
    @property
    def playing(self) -> bool:
        return self._start is not None

    @property
    def played(self) -> list[Segment]:
        opened = []
        if self._start is not None and self._head is not None and self._head > self._start:
            opened = [Segment(self._start, self._head)]
        return [*self._closed, *opened]

    @property
    def merged(self) -> list[Segment]:
        return merge(self.played)

    def covered_seconds(self) -> float:
        return covered_seconds(self.played)

    def total_played_seconds(self) -> float:
        """Sum of played lengths, rewatches counted each time."""
        return math.fsum(s.length for s in self.played)

    def coverage(self, duration: float) -> float:
        return coverage(self.played, duration)

    def played_segments(self) -> str:
        """The xAPI ``played-segments`` string (chronological)."""
        return format_played_segments(self.played)

    def seen(self, event_id: UUID) -> bool:
        return event_id in self._applied

    # -- folding ------------------------------------------------------------------------------
    def _open(self, position: float, at: datetime | None) -> None:
        self._start = self._head = position
        self._head_at = at

    def _plausible(self, position: float, at: datetime, rate: float, *, heartbeat: bool) -> bool:
        """Whether continuous playback since the last observed position explains reaching ``position``."""
        if self._head is None or self._head_at is None:
            return True
        elapsed = max((at - self._head_at).total_seconds(), 0.0)
        if heartbeat and elapsed > self.max_heartbeat_gap:
            return False
        return position - self._head <= elapsed * max(rate, self._rate) * JUMP_FACTOR + JUMP_SLACK_SECONDS

    def _close(self, end: float | None = None) -> None:
        """Close the open segment at ``max(end, head)``: what a heartbeat already saw stays watched."""
        if self._start is None or self._head is None:
            return
        stop = self._head if end is None else max(end, self._head)
        if stop > self._start:
            self._closed.append(Segment(self._start, stop))
        self._start = self._head = self._head_at = None

    def apply(self, event: EventBase) -> bool:
        """Apply one event; returns ``False`` for an ``id`` already applied or a non-playback event."""
        if event.id in self._applied:
            return False
        data = event.data
        video_id = getattr(data, "video_id", None)
        if video_id is not None:
            if self.video_id is None:
                self.video_id = video_id
            elif video_id != self.video_id:
                raise ValueError(f"event {event.id} is for video {video_id}, tracker is for {self.video_id}")
        self._applied.add(event.id)
        if isinstance(data, VideoPlayData):
            self._close()  # play while playing: another device took over, or a pause was lost
            self._open(data.position, event.occurred_at)
        elif isinstance(data, VideoPauseData | VideoCompleteData):
            self._close(data.position)
        elif isinstance(data, VideoSeekData):
            if self.playing:
                self._close(data.from_)
                self._open(data.to, event.occurred_at)
            self.last_position = data.to
            return True
        elif isinstance(data, VideoProgressData):
            if self._head is None:
                self._open(data.position, event.occurred_at)  # nothing open: the app was reopened
            elif data.position >= self._head and self._plausible(
                data.position, event.occurred_at, data.playback_rate, heartbeat=True
            ):
                self._head, self._head_at = data.position, event.occurred_at
            else:  # backwards without a seek, or a jump or silence (app killed, seek not reported)
                self._close()
                self._open(data.position, event.occurred_at)
            self._rate = data.playback_rate
        elif isinstance(data, MilestoneReachedData):
            playing_forward = self._head is not None and data.position > self._head
            if playing_forward and self._plausible(
                data.position, event.occurred_at, self._rate, heartbeat=False
            ):
                self._head, self._head_at = data.position, event.occurred_at
        else:
            return False
        self.last_position = data.position
        return True

    def apply_all(self, events: Iterable[EventBase]) -> int:
        """Apply events in the given order; returns how many changed the fold."""
        return sum(self.apply(e) for e in events)

    # -- persistence --------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """JSON-ready state (without the applied ids: the event store is the idempotency key)."""
        return {
            "video_id": str(self.video_id) if self.video_id else None,
            "segments": segments_to_json(self._closed),
            "open": [self._start, self._head] if self._start is not None else None,
            "open_at": self._head_at.isoformat() if self._head_at else None,
            "playback_rate": self._rate,
            "last_position": self.last_position,
        }

    @classmethod
    def from_dict(cls, state: Mapping[str, Any]) -> PlaybackTracker:
        video_id = UUID(state["video_id"]) if state.get("video_id") else None
        tracker = cls(segments_from_json(state.get("segments") or []), video_id=video_id)
        opened = state.get("open")
        if opened:
            tracker._start, tracker._head = float(opened[0]), float(opened[1])
            at = state.get("open_at")
            tracker._head_at = datetime.fromisoformat(at) if at else None
        tracker._rate = float(state.get("playback_rate") or 1.0)
        last = state.get("last_position")
        tracker.last_position = float(last) if last is not None else None
        return tracker


def track(events: Iterable[EventBase], tracker: PlaybackTracker | None = None) -> PlaybackTracker:
    """Fold events sorted by ``occurred_at`` (stable for ties) into ``tracker`` (a new one by default)."""
    tracker = tracker if tracker is not None else PlaybackTracker()
    tracker.apply_all(sorted(events, key=lambda e: e.occurred_at))
    return tracker
