"""Analytics event envelope and per-type ``data`` models (the contract in EVENTS.md).

``parse_event`` validates one raw JSON object and raises :class:`InvalidEvent` naming the field and the
reason; ``validate_batch`` splits a batch into valid events and :class:`Rejected` entries for the
quarantine. Checks that need the database (user of the tenant, video duration) live in the ingest
service; :func:`check_positions` is the pure half of the duration check.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Final, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import ErrorDetails

EventCategory = Literal["learning", "navigation", "performance", "system"]

#: Player rounding: a position may exceed the stored duration by this much and still be accepted.
POSITION_TOLERANCE_SECONDS: Final = 0.5

Seconds = Annotated[float, Field(ge=0, strict=True, allow_inf_nan=False)]
Millis = Annotated[float, Field(ge=0, strict=True, allow_inf_nan=False)]
PlaybackRate = Annotated[float, Field(gt=0, le=16, strict=True, allow_inf_nan=False)]


def _text(max_length: int) -> Any:
    return Field(min_length=1, max_length=max_length, strict=True)


class InvalidEvent(ValueError):
    """A raw event that does not satisfy the contract. ``field`` is a dotted path (``data.position``)."""

    def __init__(self, field: str, reason: str, details: list[tuple[str, str]] | None = None) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason
        #: every (field, reason) found, the first being ``(field, reason)``
        self.details = details if details is not None else [(field, reason)]


# --------------------------------------------------------------------------------------------- data
class EventData(BaseModel):
    """Base of every ``data`` model: unknown keys are kept (``extra="allow"``). A NaN or infinity in an
    unknown key stays one when dumped (not ``null``), so the store can refuse it instead of altering it."""

    model_config = ConfigDict(extra="allow", frozen=True, ser_json_inf_nan="constants")


class EmptyData(EventData):
    """``login``, ``logout``, ``session_timeout``: no required keys."""


class VideoStartData(EventData):
    video_id: UUID


class VideoPositionData(EventData):
    video_id: UUID
    position: Seconds


class VideoPlayData(VideoPositionData):
    pass


class VideoPauseData(VideoPositionData):
    pass


class VideoCompleteData(VideoPositionData):
    pass


class VideoSeekData(EventData):
    video_id: UUID
    from_: Seconds = Field(alias="from")
    to: Seconds


class VideoProgressData(VideoPositionData):
    playback_rate: PlaybackRate


class MilestoneReachedData(VideoPositionData):
    milestone_id: UUID


class QuestionAttemptData(EventData):
    question_id: UUID
    attempt_id: UUID


class LessonCompleteData(EventData):
    lesson_id: UUID


class PageViewData(EventData):
    path: str = _text(2048)
    referrer: str | None = Field(default=None, max_length=2048, strict=True)


class ClickData(EventData):
    target: str = _text(512)
    path: str | None = Field(default=None, max_length=2048, strict=True)


class LoadTimeData(EventData):
    resource: str = _text(2048)
    ms: Millis


class ErrorOccurredData(EventData):
    code: str = _text(128)
    message: str = Field(max_length=8000, strict=True)

    @field_validator("code", mode="before")
    @classmethod
    def _integer_code(cls, value: Any) -> Any:
        """HTTP-style integer codes are accepted and stored as strings, so the column has one type."""
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise ValueError("must be a string or an integer")
        return str(value) if isinstance(value, int) else value


class BufferingData(EventData):
    video_id: UUID
    ms: Millis


# ------------------------------------------------------------------------------------------ context
class Experiment(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str = _text(64)
    variant: str = _text(64)


class EventContext(BaseModel):
    """Optional device and experiment context; unknown keys are kept."""

    model_config = ConfigDict(extra="allow", frozen=True, ser_json_inf_nan="constants")

    user_agent: str | None = Field(default=None, max_length=1024, strict=True)
    app_version: str | None = Field(default=None, max_length=64, strict=True)
    device: Any = None
    experiment: Experiment | None = None

    @field_validator("device")
    @classmethod
    def _device_shape(cls, value: Any) -> Any:
        if value is None or isinstance(value, str | dict):
            return value
        raise ValueError("must be a string or an object")


# ----------------------------------------------------------------------------------------- envelope
class EventBase(BaseModel):
    """The envelope shared by every event type. Unknown top-level keys are rejected."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: UUID
    type: str
    occurred_at: AwareDatetime
    user_id: UUID
    session_id: UUID | None = None
    data: EventData
    context: EventContext | None = None

    @property
    def category(self) -> EventCategory:
        return CATEGORIES[self.type]

    def data_json(self) -> dict[str, Any]:
        """``data`` as a JSON-ready dict with the wire names (``from``, not ``from_``)."""
        return self.data.model_dump(mode="json", by_alias=True)

    def to_payload(self) -> dict[str, Any]:
        """The event as a JSON-ready dict that :func:`parse_event` accepts again."""
        dumped = self.model_dump(mode="json", by_alias=True)
        return {key: value for key, value in dumped.items() if value is not None}


class VideoStartEvent(EventBase):
    type: Literal["video_start"]
    data: VideoStartData


class VideoPlayEvent(EventBase):
    type: Literal["video_play"]
    data: VideoPlayData


class VideoPauseEvent(EventBase):
    type: Literal["video_pause"]
    data: VideoPauseData


class VideoSeekEvent(EventBase):
    type: Literal["video_seek"]
    data: VideoSeekData


class VideoProgressEvent(EventBase):
    type: Literal["video_progress"]
    data: VideoProgressData


class VideoCompleteEvent(EventBase):
    type: Literal["video_complete"]
    data: VideoCompleteData


class MilestoneReachedEvent(EventBase):
    type: Literal["milestone_reached"]
    data: MilestoneReachedData


class QuestionAttemptEvent(EventBase):
    type: Literal["question_attempt"]
    data: QuestionAttemptData


class LessonCompleteEvent(EventBase):
    type: Literal["lesson_complete"]
    data: LessonCompleteData


class PageViewEvent(EventBase):
    type: Literal["page_view"]
    data: PageViewData


class ClickEvent(EventBase):
    type: Literal["click"]
    data: ClickData


class LoadTimeEvent(EventBase):
    type: Literal["load_time"]
    data: LoadTimeData


class ErrorOccurredEvent(EventBase):
    type: Literal["error_occurred"]
    data: ErrorOccurredData


class BufferingEvent(EventBase):
    type: Literal["buffering"]
    data: BufferingData


class LoginEvent(EventBase):
    type: Literal["login"]
    data: EmptyData


class LogoutEvent(EventBase):
    type: Literal["logout"]
    data: EmptyData


class SessionTimeoutEvent(EventBase):
    type: Literal["session_timeout"]
    data: EmptyData


Event = Annotated[
    VideoStartEvent
    | VideoPlayEvent
    | VideoPauseEvent
    | VideoSeekEvent
    | VideoProgressEvent
    | VideoCompleteEvent
    | MilestoneReachedEvent
    | QuestionAttemptEvent
    | LessonCompleteEvent
    | PageViewEvent
    | ClickEvent
    | LoadTimeEvent
    | ErrorOccurredEvent
    | BufferingEvent
    | LoginEvent
    | LogoutEvent
    | SessionTimeoutEvent,
    Field(discriminator="type"),
]

EVENT_MODELS: Final[Mapping[str, type[EventBase]]] = {
    "video_start": VideoStartEvent,
    "video_play": VideoPlayEvent,
    "video_pause": VideoPauseEvent,
    "video_seek": VideoSeekEvent,
    "video_progress": VideoProgressEvent,
    "video_complete": VideoCompleteEvent,
    "milestone_reached": MilestoneReachedEvent,
    "question_attempt": QuestionAttemptEvent,
    "lesson_complete": LessonCompleteEvent,
    "page_view": PageViewEvent,
    "click": ClickEvent,
    "load_time": LoadTimeEvent,
    "error_occurred": ErrorOccurredEvent,
    "buffering": BufferingEvent,
    "login": LoginEvent,
    "logout": LogoutEvent,
    "session_timeout": SessionTimeoutEvent,
}
EVENT_TYPES: Final[frozenset[str]] = frozenset(EVENT_MODELS)

_LEARNING = "video_start video_play video_pause video_seek video_progress video_complete milestone_reached"
CATEGORIES: Final[Mapping[str, EventCategory]] = {
    **dict.fromkeys(f"{_LEARNING} question_attempt lesson_complete".split(), "learning"),
    **dict.fromkeys(("page_view", "click"), "navigation"),
    **dict.fromkeys(("load_time", "error_occurred", "buffering"), "performance"),
    **dict.fromkeys(("login", "logout", "session_timeout"), "system"),
}
#: Event types whose ``data`` names a video (``video_id``).
VIDEO_EVENT_TYPES: Final[frozenset[str]] = frozenset([*_LEARNING.split(), "buffering"])


def events_of_category(category: EventCategory) -> frozenset[str]:
    return frozenset(t for t, c in CATEGORIES.items() if c == category)


# ------------------------------------------------------------------------------------------ parsing
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
