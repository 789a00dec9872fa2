"""Pure mapping between our events and xAPI 1.0.3 statements (xAPI Video Profile, cmi.interaction).

Exported statements are shaped to pass ralph's video statement models (``ralph validate -f xapi``):
verbs carry the profile IRIs, the object is a video Activity, ``contextActivities.category`` holds the
Video Profile activity, and every video statement has the ``session-id`` context extension. Statement
``id`` is the event (or attempt) UUID, so exporting twice yields the same statements.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, Final
from uuid import UUID

from platform_core.activity.events import (
    EventBase,
    InvalidEvent,
    VideoPositionData,
    VideoSeekData,
    parse_event,
)
from platform_core.activity.segments import parse_played_segments

XAPI_VERSION: Final = "1.0.3"
_ADL_VERBS: Final = "http://adlnet.gov/expapi/verbs/"
_VIDEO: Final = "https://w3id.org/xapi/video"
VERB_INITIALIZED: Final = _ADL_VERBS + "initialized"
VERB_PLAYED: Final = f"{_VIDEO}/verbs/played"
VERB_PAUSED: Final = f"{_VIDEO}/verbs/paused"
VERB_SEEKED: Final = f"{_VIDEO}/verbs/seeked"
VERB_COMPLETED: Final = _ADL_VERBS + "completed"
VERB_TERMINATED: Final = _ADL_VERBS + "terminated"
VERB_ANSWERED: Final = _ADL_VERBS + "answered"
VIDEO_PROFILE: Final = _VIDEO
ACTIVITY_VIDEO: Final = f"{_VIDEO}/activity-type/video"
ACTIVITY_PROFILE: Final = "http://adlnet.gov/expapi/activities/profile"
ACTIVITY_INTERACTION: Final = "http://adlnet.gov/expapi/activities/cmi.interaction"
EXT_TIME: Final = f"{_VIDEO}/extensions/time"
EXT_TIME_FROM: Final = f"{_VIDEO}/extensions/time-from"
EXT_TIME_TO: Final = f"{_VIDEO}/extensions/time-to"
EXT_PROGRESS: Final = f"{_VIDEO}/extensions/progress"
EXT_PLAYED_SEGMENTS: Final = f"{_VIDEO}/extensions/played-segments"
EXT_SESSION_ID: Final = f"{_VIDEO}/extensions/session-id"
EXT_LENGTH: Final = f"{_VIDEO}/extensions/length"
EXT_COMPLETION_THRESHOLD: Final = f"{_VIDEO}/extensions/completion-threshold"
EXT_USER_AGENT: Final = f"{_VIDEO}/extensions/user-agent"

#: our event type -> (verb id, verb display)
EVENT_VERBS: Final[Mapping[str, tuple[str, str]]] = {
    "video_start": (VERB_INITIALIZED, "initialized"),
    "video_play": (VERB_PLAYED, "played"),
    "video_pause": (VERB_PAUSED, "paused"),
    "video_seek": (VERB_SEEKED, "seeked"),
    "video_complete": (VERB_COMPLETED, "completed"),
}
_VERB_EVENTS: Final = {verb: kind for kind, (verb, _) in EVENT_VERBS.items()}
EXPORTABLE_EVENT_TYPES: Final[frozenset[str]] = frozenset(EVENT_VERBS)
_PROFILE_VERBS: Final = frozenset({VERB_PLAYED, VERB_PAUSED, VERB_SEEKED})
#: question type -> cmi.interaction ``interactionType``
INTERACTION_TYPES: Final[Mapping[str, str]] = {
    "multiple_choice": "choice",
    "true_false": "true-false",
    "short_answer": "fill-in",
    "numeric": "numeric",
    "matching": "matching",
    "ordering": "sequencing",
    "fill_in_blanks": "fill-in",
}
#: namespace for session ids derived from (user, video) when an event has none
SESSION_NAMESPACE: Final = uuid.UUID("5b0c7e0e-9d7c-4f61-a3a8-6a8c3f7b1e42")


def _t(seconds: float) -> float:
    """Video time code with the profile's three decimals."""
    return round(float(seconds), 3)


def _aware_iso(moment: datetime) -> str:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("occurred_at must be timezone-aware")
    return moment.isoformat()


def _actor(home_page: str, name: str) -> dict[str, Any]:
    return {"objectType": "Agent", "account": {"homePage": home_page, "name": name}}


def _verb(verb_id: str, display: str) -> dict[str, Any]:
    return {"id": verb_id, "display": {"en-US": display}}


def activity_iri(base_iri: str, kind: str, object_id: UUID) -> str:
    """``<base>/<kind>/<uuid>``, e.g. ``https://ilp.example/xapi/videos/<uuid>``."""
    return f"{base_iri.rstrip('/')}/{kind}/{object_id}"


def derived_session_id(user_id: UUID, video_id: UUID) -> UUID:
    """Stable session id for (user, video): the ``student_sessions`` row is one per student and video."""
    return uuid.uuid5(SESSION_NAMESPACE, f"{user_id}:{video_id}")


def _video_statement(
    *,
    statement_id: UUID,
    verb: tuple[str, str],
    user: str,
    actor_home_page: str,
    video_iri: str,
    occurred_at: datetime,
    session_id: UUID,
    result_ext: dict[str, Any],
    context_ext: dict[str, Any],
    completion: bool = False,
) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "id": str(statement_id),
        "actor": _actor(actor_home_page, user),
        "verb": _verb(*verb),
        "object": {"objectType": "Activity", "id": video_iri, "definition": {"type": ACTIVITY_VIDEO}},
        "context": {
            "contextActivities": {
                "category": [
                    {"objectType": "Activity", "id": VIDEO_PROFILE, "definition": {"type": ACTIVITY_PROFILE}}
                ]
            },
            "extensions": {EXT_SESSION_ID: str(session_id), **context_ext},
        },
        "timestamp": _aware_iso(occurred_at),
        "version": XAPI_VERSION,
    }
    if result_ext or completion:
        result: dict[str, Any] = {"completion": True} if completion else {}
        if result_ext:
            result["extensions"] = result_ext
        statement["result"] = result
    return statement


def _context_extensions(
    video_length: float | None, completion_threshold: float | None, user_agent: str | None = None
) -> dict[str, Any]:
    ext: dict[str, Any] = {}
    if video_length is not None:
        if not (math.isfinite(video_length) and video_length >= 0):
            raise ValueError(f"video_length must be a non-negative number, got {video_length}")
        ext[EXT_LENGTH] = _t(video_length)
    if completion_threshold is not None:
        if not 0 < completion_threshold <= 1:
            raise ValueError(f"completion_threshold must be in (0, 1], got {completion_threshold}")
        ext[EXT_COMPLETION_THRESHOLD] = completion_threshold
    if user_agent:
        ext[EXT_USER_AGENT] = user_agent
    return ext


def _progress_ext(progress: float | None, played_segments: str | None) -> dict[str, Any]:
    ext: dict[str, Any] = {}
    if progress is not None:
        if not 0 <= progress <= 1:
            raise ValueError(f"progress must be in [0, 1], got {progress}")
        ext[EXT_PROGRESS] = round(float(progress), 3)
    if played_segments is not None:
        parse_played_segments(played_segments)  # raises ValueError on bad grammar
        if played_segments:
            ext[EXT_PLAYED_SEGMENTS] = played_segments
    return ext


def event_to_statement(
    event: EventBase,
    *,
    actor_home_page: str,
    base_iri: str,
    video_length: float | None = None,
    played_segments: str | None = None,
    progress: float | None = None,
    session_id: UUID | None = None,
    completion_threshold: float | None = None,
    actor_name: str | None = None,
) -> dict[str, Any]:
    """xAPI statement for a video event (types in :data:`EXPORTABLE_EVENT_TYPES`).

    ``video_length`` is required for ``video_start``/``video_pause``/``video_complete`` and ``progress``
    (coverage in [0, 1]) for ``video_complete``: the Video Profile requires them there. The session id is
    ``session_id``, else the event's, else :func:`derived_session_id`. ``actor_name`` replaces the user
    id in ``actor.account.name`` (a pseudonym); an e-mail address is never used.
    """
    verb = EVENT_VERBS.get(event.type)
    if verb is None:
        raise ValueError(f"event type {event.type!r} has no xAPI Video Profile statement")
    video_id: UUID = event.data.video_id  # type: ignore[attr-defined]
    needs_length = event.type in {"video_start", "video_pause", "video_complete"}
    if needs_length and video_length is None:
        raise ValueError(f"video_length is required to export {event.type}")
    if event.type == "video_complete" and progress is None:
        raise ValueError("progress is required to export video_complete")
    user_agent = event.context.user_agent if event.context and event.type == "video_start" else None
    context_ext = _context_extensions(video_length, completion_threshold, user_agent)
    result_ext: dict[str, Any] = {}
    data = event.data
    if isinstance(data, VideoSeekData):
        result_ext = {EXT_TIME_FROM: _t(data.from_), EXT_TIME_TO: _t(data.to)}
    elif isinstance(data, VideoPositionData):
        result_ext = {EXT_TIME: _t(data.position), **_progress_ext(progress, played_segments)}
    return _video_statement(
        statement_id=event.id,
        verb=verb,
        user=actor_name or str(event.user_id),
        actor_home_page=actor_home_page,
        video_iri=activity_iri(base_iri, "videos", video_id),
        occurred_at=event.occurred_at,
        session_id=session_id or event.session_id or derived_session_id(event.user_id, video_id),
        result_ext=result_ext,
        context_ext=context_ext,
        completion=event.type == "video_complete",
    )


def terminated_statement(
    *,
    statement_id: UUID,
    user_id: UUID,
    video_id: UUID,
    occurred_at: datetime,
    position: float,
    progress: float,
    video_length: float,
    actor_home_page: str,
    base_iri: str,
    played_segments: str | None = None,
    session_id: UUID | None = None,
    completion_threshold: float | None = None,
    actor_name: str | None = None,
) -> dict[str, Any]:
    """``terminated`` for the end of a viewing session (logout, timeout, player closed)."""
    return _video_statement(
        statement_id=statement_id,
        verb=(VERB_TERMINATED, "terminated"),
        user=actor_name or str(user_id),
        actor_home_page=actor_home_page,
        video_iri=activity_iri(base_iri, "videos", video_id),
        occurred_at=occurred_at,
        session_id=session_id or derived_session_id(user_id, video_id),
        result_ext={EXT_TIME: _t(position), **_progress_ext(progress, played_segments)},
        context_ext=_context_extensions(video_length, completion_threshold),
    )


def format_response(interaction_type: str, response: Any) -> str | None:
    """The learner's response in the xAPI response-pattern grammar of ``interaction_type``.

    choice/sequencing: ids joined by ``[,]``; true-false: ``true``/``false``; fill-in: the text, or the
    blanks' answers joined by ``[,]``; numeric: the number as written; matching: ``pair[.]answer``
    joined by ``[,]``. Shapes that do not fit are kept as compact JSON. ``None`` for an empty response.
    """
    if response is None or response == "" or response == [] or response == {}:
        return None
    if isinstance(response, bool):
        return "true" if response else "false"
    if interaction_type in {"choice", "sequencing"} and isinstance(response, list | str):
        items = [response] if isinstance(response, str) else response
        if all(isinstance(i, str) for i in items):
            return "[,]".join(items)
    if interaction_type == "fill-in" and isinstance(response, Mapping):
        return "[,]".join(str(v) for v in response.values())
    if interaction_type == "matching" and isinstance(response, Mapping):
        return "[,]".join(f"{k}[.]{v}" for k, v in response.items())
    if isinstance(response, str | int | float):
        return str(response)
    return json.dumps(response, separators=(",", ":"), ensure_ascii=False, sort_keys=True)


def attempt_to_statement(
    *,
    attempt_id: UUID,
    user_id: UUID,
    question_id: UUID,
    question_type: str,
    fraction: float,
    points: float,
    max_points: float,
    response: Any,
    occurred_at: datetime,
    actor_home_page: str,
    base_iri: str,
    success: bool | None = None,
    prompt: str | None = None,
    language: str = "en",
    attempt_number: int | None = None,
    duration_seconds: float | None = None,
    video_id: UUID | None = None,
    correct_responses_pattern: Sequence[str] | None = None,
    actor_name: str | None = None,
) -> dict[str, Any]:
    """``answered`` statement for a graded attempt: cmi.interaction object and a scored result.

    ``score.scaled`` is ``fraction``; ``success`` defaults to a full score. The parent context activity
    is the video when ``video_id`` is given; ``attempt_number`` goes to a context extension under
    ``<base>/extensions/attempt-number``.
    """
    interaction = INTERACTION_TYPES.get(question_type)
    if interaction is None:
        raise ValueError(f"unknown question type {question_type!r}; known: {', '.join(INTERACTION_TYPES)}")
    if not 0 <= fraction <= 1:
        raise ValueError(f"fraction must be in [0, 1], got {fraction}")
    if max_points < 0 or not -1e-9 <= points <= max_points + 1e-9:
        raise ValueError(f"points must be in [0, max_points={max_points}], got {points}")
    definition: dict[str, Any] = {"type": ACTIVITY_INTERACTION, "interactionType": interaction}
    if prompt:
        definition["name"] = {language: prompt}
    if correct_responses_pattern:
        definition["correctResponsesPattern"] = list(correct_responses_pattern)
    result: dict[str, Any] = {
        "score": {"scaled": fraction, "raw": min(max(points, 0.0), max_points), "min": 0, "max": max_points},
        "success": success if success is not None else fraction >= 1 - 1e-9,
    }
    text = format_response(interaction, response)
    if text is not None:
        result["response"] = text
    if duration_seconds is not None:
        result["duration"] = f"PT{max(duration_seconds, 0.0):.3f}S"
    statement: dict[str, Any] = {
        "id": str(attempt_id),
        "actor": _actor(actor_home_page, actor_name or str(user_id)),
        "verb": _verb(VERB_ANSWERED, "answered"),
        "object": {
            "objectType": "Activity",
            "id": activity_iri(base_iri, "questions", question_id),
            "definition": definition,
        },
        "result": result,
        "timestamp": _aware_iso(occurred_at),
        "version": XAPI_VERSION,
    }
    context: dict[str, Any] = {}
    if video_id is not None:
        parent = {"objectType": "Activity", "id": activity_iri(base_iri, "videos", video_id)}
        context["contextActivities"] = {"parent": [parent]}
    if attempt_number is not None:
        context["extensions"] = {f"{base_iri.rstrip('/')}/extensions/attempt-number": attempt_number}
    if context:
        statement["context"] = context
    return statement


# -------------------------------------------------------------------------------------------- import
def _get(stmt: Mapping[str, Any], *path: str) -> Any:
    node: Any = stmt
    for key in path:
        if not isinstance(node, Mapping):
            return None
        node = node.get(key)
    return node


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


# ------------------------------------------------------------------------------------------- checks
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
