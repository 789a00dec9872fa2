"""A shortcut through validation for the commonest event shapes, with exactly the models' outcome.

Heartbeats, plays, pauses, seeks and completes are nearly all of what a player sends, and almost always in
one plain shape: canonical UUID strings, an ISO 8601 time with an offset, numbers for positions, at most a
user agent and an app version as context. :func:`fast_event` recognises exactly that shape with cheap
checks and builds the event with ``model_construct`` plus its ``data``/``context`` JSON text directly,
about five times faster than validating through pydantic. It answers ``None`` for anything else (an extra
key, an unusual time format, a bool where a number goes, a NUL character, ...), and the caller validates
that item with :func:`event_parsing.parse_event` as usual: the shortcut only ever takes items the models
accept, and gives the same event and the same stored JSON (``tests/activity_db/test_activity_fastpath.py``
checks both on generated input).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any, Final
from uuid import UUID

from platform_core.activity.events import (
    EventBase,
    EventContext,
    VideoCompleteData,
    VideoCompleteEvent,
    VideoPauseData,
    VideoPauseEvent,
    VideoPlayData,
    VideoPlayEvent,
    VideoProgressData,
    VideoProgressEvent,
    VideoSeekData,
    VideoSeekEvent,
    VideoStartData,
    VideoStartEvent,
)

_ENVELOPE: Final = frozenset({"id", "type", "occurred_at", "user_id", "session_id", "data", "context"})
_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?(?:Z|[+-]\d{2}:\d{2})")
_CACHE_LIMIT: Final = 50_000
_uuids: dict[str, UUID] = {}
_contexts: dict[tuple[str | None, str | None], tuple[EventContext, str]] = {}


_allows_extra: dict[type[Any], bool] = {}


def _construct(cls: type[Any], values: dict[str, Any], fields_set: set[str]) -> Any:
    """What ``cls.model_construct(**values)`` builds when ``values`` holds every field, without its
    per-call bookkeeping (the models here have no private attributes and no validators on construct)."""
    allow = _allows_extra.get(cls)
    if allow is None:
        allow = _allows_extra[cls] = cls.model_config.get("extra") == "allow"
    obj = cls.__new__(cls)
    setattr_ = object.__setattr__
    setattr_(obj, "__dict__", values)
    setattr_(obj, "__pydantic_fields_set__", fields_set)
    setattr_(obj, "__pydantic_extra__", {} if allow else None)
    setattr_(obj, "__pydantic_private__", None)
    return obj


def _uuid(value: Any, cache: bool = False) -> UUID | None:
    if type(value) is not str or len(value) != 36 or value[8] != "-" or value[23] != "-":
        return None
    if cache and (known := _uuids.get(value)) is not None:
        return known
    try:
        parsed = UUID(value)
    except ValueError:
        return None
    if cache:
        if len(_uuids) >= _CACHE_LIMIT:
            _uuids.clear()
        _uuids[value] = parsed
    return parsed


def _seconds(value: Any) -> float | None:
    if type(value) is not float and type(value) is not int:
        return None
    number = float(value)
    return number if math.isfinite(number) and number >= 0 else None


def _plain_text(value: Any, limit: int) -> bool:
    return type(value) is str and 0 < len(value) <= limit and "\x00" not in value and value.isprintable()


def _context(raw: Any) -> tuple[EventContext, str] | None:
    """Context of at most a user agent and an app version, both strings (a key that is present with
    ``null`` takes the models' path). Devices repeat theirs, so the checked result is cached."""
    if type(raw) is not dict:
        return None
    agent, version = raw.get("user_agent"), raw.get("app_version")
    if (type(agent) is not str and agent is not None) or (type(version) is not str and version is not None):
        return None
    if len(raw) != (agent is not None) + (version is not None):  # other keys, or an explicit null
        return None
    key = (agent, version)
    known = _contexts.get(key)
    if known is None:
        if (agent is not None and not _plain_text(agent, 1024)) or (
            version is not None and not _plain_text(version, 64)
        ):
            return None
        given = {k: v for k, v in (("user_agent", agent), ("app_version", version)) if v is not None}
        known = (
            EventContext.model_construct(**given),
            json.dumps(given, ensure_ascii=False, separators=(",", ":")),
        )
        if len(_contexts) >= 1024:
            _contexts.clear()
        _contexts[key] = known
    return known


def _position(data: dict[str, Any], video: str) -> tuple[dict[str, Any], str] | None:
    if data.keys() != {"video_id", "position"}:
        return None
    position = _seconds(data["position"])
    if position is None:
        return None
    return {"position": position}, f'{{"video_id":"{video}","position":{position!r}}}'


def _progress(data: dict[str, Any], video: str) -> tuple[dict[str, Any], str] | None:
    if data.keys() != {"video_id", "position", "playback_rate"}:
        return None
    position, rate = _seconds(data["position"]), _seconds(data["playback_rate"])
    if position is None or rate is None or not 0 < rate <= 16:
        return None
    text = f'{{"video_id":"{video}","position":{position!r},"playback_rate":{rate!r}}}'
    return {"position": position, "playback_rate": rate}, text


def _seek(data: dict[str, Any], video: str) -> tuple[dict[str, Any], str] | None:
    if data.keys() != {"video_id", "from", "to"}:
        return None
    start, end = _seconds(data["from"]), _seconds(data["to"])
    if start is None or end is None:
        return None
    return {"from": start, "to": end}, f'{{"video_id":"{video}","from":{start!r},"to":{end!r}}}'


def _start(data: dict[str, Any], video: str) -> tuple[dict[str, Any], str] | None:
    return ({}, f'{{"video_id":"{video}"}}') if data.keys() == {"video_id"} else None


_FIELD_NAMES: Final = {"from": "from_"}  # wire name -> field name
_Shape = Callable[[dict[str, Any], str], tuple[dict[str, Any], str] | None]
_TYPES: Final[dict[str, tuple[type[EventBase], type[Any], _Shape]]] = {
    "video_progress": (VideoProgressEvent, VideoProgressData, _progress),
    "video_play": (VideoPlayEvent, VideoPlayData, _position),
    "video_pause": (VideoPauseEvent, VideoPauseData, _position),
    "video_complete": (VideoCompleteEvent, VideoCompleteData, _position),
    "video_seek": (VideoSeekEvent, VideoSeekData, _seek),
    "video_start": (VideoStartEvent, VideoStartData, _start),
}


def fast_event(raw: Any) -> tuple[EventBase, str, str | None] | None:
    """``(event, data JSON, context JSON)`` for a raw event of a plain common shape, else ``None``."""
    if type(raw) is not dict or not raw.keys() <= _ENVELOPE:
        return None
    kind = _TYPES.get(raw.get("type"))  # type: ignore[arg-type]
    data = raw.get("data")
    occurred = raw.get("occurred_at")
    if kind is None or type(data) is not dict or type(occurred) is not str or not _TIME.fullmatch(occurred):
        return None
    event_id, user_id = _uuid(raw.get("id")), _uuid(raw.get("user_id"), cache=True)
    video_id = _uuid(data.get("video_id"), cache=True)
    if event_id is None or user_id is None or video_id is None:
        return None
    session = raw.get("session_id")
    session_id = None if session is None else _uuid(session, cache=True)
    if session is not None and session_id is None:
        return None
    context = None
    if raw.get("context") is not None:
        context = _context(raw["context"])
        if context is None:
            return None
    event_model, data_model, shape = kind
    shaped = shape(data, str(video_id))
    if shaped is None:
        return None
    values, data_text = shaped
    try:
        moment = datetime.fromisoformat(occurred)
    except ValueError:
        return None
    data_values = {"video_id": video_id, **{_FIELD_NAMES.get(k, k): v for k, v in values.items()}}
    event = _construct(
        event_model,
        {
            "id": event_id,
            "type": raw["type"],
            "occurred_at": moment,
            "user_id": user_id,
            "session_id": session_id,
            "data": _construct(data_model, data_values, set(data_values)),
            "context": context[0] if context else None,
        },
        set(raw),
    )
    return event, data_text, context[1] if context else None
