"""Pure mapping between our events and xAPI 1.0.3 statements (xAPI Video Profile, cmi.interaction).

Exported statements are shaped to pass ralph's video statement models (``ralph validate -f xapi``):
verbs carry the profile IRIs, the object is a video Activity, ``contextActivities.category`` holds the
Video Profile activity, and every video statement has the ``session-id`` context extension. Statement
``id`` is the event (or attempt) UUID, so exporting twice yields the same statements.

Reading statements back into events is :mod:`platform_core.activity.xapi_import`, the Video Profile rules
a generic validator misses are :mod:`platform_core.activity.xapi_checks`.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Final
from uuid import UUID

from platform_core.activity.events import EventBase, VideoPositionData, VideoSeekData
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
EXPORTABLE_EVENT_TYPES: Final[frozenset[str]] = frozenset(EVENT_VERBS)
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


def _get(stmt: Mapping[str, Any], *path: str) -> Any:
    """``stmt[path[0]][path[1]]...``, or ``None`` where a key is missing or a node is not an object."""
    node: Any = stmt
    for key in path:
        if not isinstance(node, Mapping):
            return None
        node = node.get(key)
    return node


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
