"""Transcript windows: the stretches of a video's timed transcript that questions are generated from.

With milestones, each milestone gets the window that ends at it (the learner has just watched that part
when the player stops there). Without milestones the transcript is cut into consecutive windows of
``window_seconds``; when there are more than ``max_windows`` of them, evenly spaced ones are kept.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from platform_core.content.schemas import Transcript, TranscriptCue
from platform_core.validation import validate_as

MIN_WINDOW_CHARS = 40


@dataclass(frozen=True)
class Window:
    index: int
    start: float
    end: float
    cues: tuple[TranscriptCue, ...]
    milestone_id: uuid.UUID | None = None

    @property
    def text(self) -> str:
        """The window's words as one string (what a source quote must be found in)."""
        return " ".join(cue.text.strip() for cue in self.cues)

    def timed_lines(self) -> str:
        """The window as ``[mm:ss] text`` lines, for prompts."""
        return "\n".join(f"[{clock(cue.start)}] {cue.text.strip()}" for cue in self.cues)


def clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def parse_transcript(raw: list[Any] | dict[str, Any] | None) -> list[TranscriptCue]:
    """Validate a stored transcript (``[{start, end, text}]``, or ``{cues: [...]}``) into cues."""
    if raw is None:
        return []
    payload = raw if isinstance(raw, dict) else {"cues": raw}
    return list(validate_as(Transcript, payload, root="transcript").cues)


def _cues_between(cues: list[TranscriptCue], start: float, end: float) -> tuple[TranscriptCue, ...]:
    return tuple(cue for cue in cues if cue.end > start and cue.start < end)


def _evenly_pick(items: list[Any], count: int) -> list[Any]:
    if len(items) <= count:
        return items
    step = len(items) / count
    return [items[int(i * step + step / 2)] for i in range(count)]


def build_windows(
    cues: list[TranscriptCue],
    *,
    milestones: list[tuple[uuid.UUID, float]],
    window_seconds: float,
    max_windows: int,
    duration_seconds: float | None = None,
) -> list[Window]:
    """Windows with enough text to ask about, in time order, re-indexed from 0."""
    if not cues:
        return []
    end_of_talk = max(cue.end for cue in cues)
    spans: list[tuple[float, float, uuid.UUID | None]] = []
    if milestones:
        for milestone_id, at in sorted(milestones, key=lambda m: m[1]):
            spans.append((max(0.0, at - window_seconds), at, milestone_id))
    else:
        horizon = max(end_of_talk, duration_seconds or 0.0)
        start = min(cue.start for cue in cues)
        while start < end_of_talk:
            spans.append((start, min(start + window_seconds, horizon), None))
            start += window_seconds
    candidates = [
        (start, end, milestone_id, _cues_between(cues, start, end)) for start, end, milestone_id in spans
    ]
    candidates = [c for c in candidates if len(" ".join(cue.text for cue in c[3])) >= MIN_WINDOW_CHARS]
    chosen = _evenly_pick(candidates, max_windows)
    return [
        Window(index=i, start=start, end=end, cues=window_cues, milestone_id=milestone_id)
        for i, (start, end, milestone_id, window_cues) in enumerate(chosen)
    ]
