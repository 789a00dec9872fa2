"""Video Profile rules that a generic xAPI validator (such as ralph) does not check.

:func:`check_statement` lists what a statement breaks: a video statement without ``session-id``, or a
time, progress, length, threshold, played-segments or session-id extension of the wrong shape.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any, Final
from uuid import UUID

from platform_core.activity.segments import parse_played_segments
from platform_core.activity.xapi import (
    ACTIVITY_VIDEO,
    EXT_COMPLETION_THRESHOLD,
    EXT_LENGTH,
    EXT_PLAYED_SEGMENTS,
    EXT_PROGRESS,
    EXT_SESSION_ID,
    EXT_TIME,
    EXT_TIME_FROM,
    EXT_TIME_TO,
    VERB_PAUSED,
    VERB_PLAYED,
    VERB_SEEKED,
    _get,
)

_PROFILE_VERBS: Final = frozenset({VERB_PLAYED, VERB_PAUSED, VERB_SEEKED})


def _non_negative(value: Any) -> str | None:
    ok = (
        isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) and value >= 0
    )
    return None if ok else f"must be a non-negative number, got {value!r}"


def _unit_interval(value: Any) -> str | None:
    return None if _non_negative(value) is None and value <= 1 else f"must be in [0, 1], got {value!r}"


def _segments_grammar(value: Any) -> str | None:
    if not isinstance(value, str):
        return f"must be a string, got {value!r}"
    try:
        parse_played_segments(value)
    except ValueError as exc:
        return str(exc)
    return None


def _uuid_text(value: Any) -> str | None:
    try:
        UUID(str(value))
    except ValueError:
        return f"must be a UUID, got {value!r}"
    return None


_CHECKS: Final[tuple[tuple[str, str, Callable[[Any], str | None]], ...]] = (
    ("result", EXT_TIME, _non_negative),
    ("result", EXT_TIME_FROM, _non_negative),
    ("result", EXT_TIME_TO, _non_negative),
    ("result", EXT_PROGRESS, _unit_interval),
    ("result", EXT_PLAYED_SEGMENTS, _segments_grammar),
    ("context", EXT_LENGTH, _non_negative),
    ("context", EXT_COMPLETION_THRESHOLD, _unit_interval),
    ("context", EXT_SESSION_ID, _uuid_text),
)


def check_statement(stmt: Mapping[str, Any]) -> list[str]:
    """Video Profile rules a generic xAPI validator does not check; an empty list means none broken."""
    problems: list[str] = []
    verb_id = _get(stmt, "verb", "id")
    is_video = _get(stmt, "object", "definition", "type") == ACTIVITY_VIDEO or verb_id in _PROFILE_VERBS
    if is_video and _get(stmt, "context", "extensions", EXT_SESSION_ID) is None:
        problems.append(f"context.extensions[{EXT_SESSION_ID}]: required on video statements")
    for where, iri, check in _CHECKS:
        value = _get(stmt, where, "extensions", iri)
        reason = check(value) if value is not None else None
        if reason is not None:
            problems.append(f"{where}.extensions[{iri}]: {reason}")
    return problems
