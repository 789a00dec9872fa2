"""xAPI Video Profile statements back to raw events (what ``ilp xapi import`` reads).

:func:`statement_to_event` maps one statement to an event payload that :func:`parse_event` accepts; the
vocabulary (verb and extension IRIs) is the one :mod:`platform_core.activity.xapi` exports with.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Callable, Mapping
from typing import Any, Final
from uuid import UUID

from platform_core.activity.event_parsing import parse_event
from platform_core.activity.events import InvalidEvent
from platform_core.activity.xapi import (
    ACTIVITY_VIDEO,
    EVENT_VERBS,
    EXT_PLAYED_SEGMENTS,
    EXT_PROGRESS,
    EXT_SESSION_ID,
    EXT_TIME,
    EXT_TIME_FROM,
    EXT_TIME_TO,
    EXT_USER_AGENT,
    SESSION_NAMESPACE,
    _get,
)

_VERB_EVENTS: Final = {verb: kind for kind, (verb, _) in EVENT_VERBS.items()}


def _seconds(stmt: Mapping[str, Any], iri: str) -> float:
    value = _get(stmt, "result", "extensions", iri)
    field = f"result.extensions[{iri}]"
    if value is None:
        raise InvalidEvent(field, "required for this verb")
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise InvalidEvent(field, f"must be a non-negative number of seconds, got {value!r}")
    return float(value)


def _uuid_from(value: Any, field: str, reason: str) -> UUID:
    try:
        return UUID(str(value))
    except ValueError:
        raise InvalidEvent(field, reason) from None


def statement_to_event(
    stmt: Mapping[str, Any],
    *,
    base_iri: str,
    resolve_user: Callable[[Mapping[str, Any]], UUID | None] | None = None,
    resolve_video: Callable[[str], UUID | None] | None = None,
) -> dict[str, Any]:
    """Raw event payload (accepted by :func:`parse_event`) for a Video Profile statement.

    The user comes from ``resolve_user(actor)`` or a UUID ``actor.account.name``; the video from
    ``resolve_video(object.id)`` or an object id ``<base_iri>/videos/<uuid>``. ``session-id`` becomes
    ``session_id``; ``progress`` and ``played-segments`` are kept in ``data``. Raises
    :class:`InvalidEvent` naming the statement field for anything it cannot map.
    """
    if not isinstance(stmt, Mapping):
        raise InvalidEvent("$", "a statement must be a JSON object")
    verb_id = _get(stmt, "verb", "id")
    kind = _VERB_EVENTS.get(verb_id) if isinstance(verb_id, str) else None
    if kind is None:
        raise InvalidEvent(
            "verb.id", f"no event type for verb {verb_id!r} (importable: {sorted(_VERB_EVENTS)})"
        )
    if _get(stmt, "object", "definition", "type") != ACTIVITY_VIDEO:
        raise InvalidEvent("object.definition.type", f"must be {ACTIVITY_VIDEO}")
    object_id = _get(stmt, "object", "id")
    video_id = resolve_video(object_id) if resolve_video and isinstance(object_id, str) else None
    prefix = f"{base_iri.rstrip('/')}/videos/"
    if video_id is None:
        if not (isinstance(object_id, str) and object_id.startswith(prefix)):
            raise InvalidEvent("object.id", f"not a video of this platform (expected {prefix}<uuid>)")
        video_id = _uuid_from(
            object_id[len(prefix) :], "object.id", f"must end with a video UUID: {object_id}"
        )
    actor = stmt.get("actor")
    user_id = resolve_user(actor) if resolve_user and isinstance(actor, Mapping) else None
    if user_id is None:
        user_id = _uuid_from(
            _get(stmt, "actor", "account", "name"), "actor.account.name", "must be a user UUID"
        )
    timestamp = stmt.get("timestamp")
    if not isinstance(timestamp, str):
        raise InvalidEvent("timestamp", "required: an event needs the time it occurred")
    statement_id = stmt.get("id")
    if statement_id is None:  # stable id for a statement without one, so re-import stays idempotent
        canonical = json.dumps(stmt, sort_keys=True, separators=(",", ":"), default=str)
        event_id = uuid.uuid5(SESSION_NAMESPACE, canonical)
    else:
        event_id = _uuid_from(statement_id, "id", "must be a UUID")
    data: dict[str, Any] = {"video_id": str(video_id)}
    if kind == "video_seek":
        data["from"], data["to"] = _seconds(stmt, EXT_TIME_FROM), _seconds(stmt, EXT_TIME_TO)
    elif kind != "video_start":
        data["position"] = _seconds(stmt, EXT_TIME)
    for iri, key in ((EXT_PROGRESS, "progress"), (EXT_PLAYED_SEGMENTS, "played_segments")):
        value = _get(stmt, "result", "extensions", iri)
        if value is not None:
            data[key] = value
    raw: dict[str, Any] = {
        "id": str(event_id),
        "type": kind,
        "occurred_at": timestamp,
        "user_id": str(user_id),
        "data": data,
    }
    session = _get(stmt, "context", "extensions", EXT_SESSION_ID)
    if session is not None:
        field = f"context.extensions[{EXT_SESSION_ID}]"
        raw["session_id"] = str(_uuid_from(session, field, "must be a UUID"))
    user_agent = _get(stmt, "context", "extensions", EXT_USER_AGENT)
    if isinstance(user_agent, str) and user_agent:
        raw["context"] = {"user_agent": user_agent}
    parse_event(raw)  # anything still wrong is reported with the event's field names
    return raw
