"""Parsing and checking raw events against the models in :mod:`platform_core.activity.events`.

``parse_event`` validates one raw JSON object and raises :class:`InvalidEvent` naming the field and the
reason; ``validate_batch`` splits a batch into valid events and :class:`Rejected` entries for the
quarantine. Checks that need the database (user of the tenant, video duration) live in the ingest
service; :func:`check_positions` is the pure half of the duration check.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from platform_core.activity.events import (
    EVENT_MODELS,
    POSITION_TOLERANCE_SECONDS,
    Event,
    EventBase,
    InvalidEvent,
    VideoPositionData,
    VideoSeekData,
)


def _num(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _reason(err: ErrorDetails) -> str:
    kind, ctx = err["type"], err.get("ctx") or {}
    simple = {
        "missing": "required",
        "extra_forbidden": "unexpected field (put additional information in data or context)",
        "float_type": "must be a number",
        "int_type": "must be an integer",
        "finite_number": "must be a finite number",
        "string_type": "must be a string",
        "string_too_short": "must not be empty",
        "uuid_parsing": "must be a UUID",
        "uuid_type": "must be a UUID",
        "uuid_version": "must be a UUID",
        "timezone_aware": "must include a timezone offset (e.g. 2025-01-31T12:00:00Z), naive is ambiguous",
        "datetime_parsing": "must be an ISO 8601 datetime with a timezone offset",
        "datetime_from_date_parsing": "must be an ISO 8601 datetime with a timezone offset",
        "datetime_type": "must be an ISO 8601 datetime with a timezone offset",
        "model_type": "must be an object",
        "model_attributes_type": "must be an object",
        "dict_type": "must be an object",
    }
    if kind in simple:
        return simple[kind]
    bounds = {
        "greater_than_equal": ("ge", ">="),
        "greater_than": ("gt", ">"),
        "less_than_equal": ("le", "<="),
        "less_than": ("lt", "<"),
    }
    if kind in bounds:
        key, op = bounds[kind]
        return f"must be {op} {_num(ctx.get(key))}"
    if kind == "string_too_long":
        return f"must be at most {ctx.get('max_length')} characters"
    msg = str(ctx["error"]) if kind == "value_error" and "error" in ctx else err["msg"]
    return msg[:1].lower() + msg[1:]


def _field(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or "$"


def _first_error(exc: ValidationError) -> InvalidEvent:
    details: list[tuple[str, str]] = []
    for err in exc.errors():
        field = _field(tuple(err["loc"]))
        if field not in (f for f, _ in details):
            details.append((field, _reason(err)))
    field, reason = details[0]
    return InvalidEvent(field, reason, details)


def parse_event(raw: Mapping[str, Any]) -> Event:
    """Validate one raw event (a decoded JSON object). Raises :class:`InvalidEvent` on the first problem."""
    if not isinstance(raw, Mapping):
        raise InvalidEvent("$", f"an event must be a JSON object, not {type(raw).__name__}")
    if "tenant_id" in raw:
        raise InvalidEvent("tenant_id", "not accepted: the tenant is the one the batch is ingested for")
    if "type" not in raw:
        raise InvalidEvent("type", "required")
    kind = raw["type"]
    if not isinstance(kind, str):
        raise InvalidEvent("type", "must be a string")
    model = EVENT_MODELS.get(kind)
    if model is None:
        raise InvalidEvent("type", f"unknown event type {kind!r}")
    try:
        return model.model_validate(dict(raw))  # type: ignore[return-value]
    except ValidationError as exc:
        raise _first_error(exc) from None


@dataclass(frozen=True, slots=True)
class Rejected:
    """An event that failed validation, kept verbatim for the quarantine."""

    index: int
    raw: Any
    field: str
    reason: str

    @property
    def event_id(self) -> str | None:
        """The client's ``id`` as sent (possibly not a valid UUID), when there is one."""
        if isinstance(self.raw, Mapping) and self.raw.get("id") is not None:
            return str(self.raw["id"])
        return None


def validate_batch(raws: Iterable[Mapping[str, Any]]) -> tuple[list[Event], list[Rejected]]:
    """Validate a batch event by event, keeping input order in both lists.

    An identical resend of an event inside the batch is kept (the store is idempotent on ``id``); an
    ``id`` reused with a *different* payload is rejected, because storing either copy would be a guess.
    """
    accepted: list[Event] = []
    rejected: list[Rejected] = []
    seen: dict[UUID, EventBase] = {}
    for index, raw in enumerate(raws):
        try:
            event = parse_event(raw)
        except InvalidEvent as exc:
            rejected.append(Rejected(index, raw, exc.field, exc.reason))
            continue
        earlier = seen.get(event.id)
        if earlier is not None and earlier != event:
            rejected.append(Rejected(index, raw, "id", "reused in this batch for a different event"))
            continue
        seen[event.id] = event
        accepted.append(event)
    return accepted, rejected


def positions_of(event: EventBase) -> dict[str, float]:
    """Playhead positions carried by an event, keyed by their ``data.*`` field name."""
    data = event.data
    if isinstance(data, VideoSeekData):
        return {"data.from": data.from_, "data.to": data.to}
    if isinstance(data, VideoPositionData):
        return {"data.position": data.position}
    return {}


def check_positions(event: EventBase, duration_seconds: float) -> str | None:
    """Reason why a position/from/to lies outside ``[0, duration]`` (0.5 s tolerance), else ``None``."""
    limit = duration_seconds + POSITION_TOLERANCE_SECONDS
    for field, value in positions_of(event).items():
        if value < 0:
            return f"{field}: must be >= 0"
        if value > limit:
            return f"{field}: {value:.3f} s is past the end of the video ({duration_seconds:.3f} s)"
    return None
