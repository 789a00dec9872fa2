"""Analytics event envelope and per-type ``data`` models (the contract in EVENTS.md).

The models, the type tables and :class:`InvalidEvent` live here; validating raw events against them
(``parse_event``, ``validate_batch``, :class:`Rejected`, ``check_positions``) is
:mod:`platform_core.activity.event_parsing`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Final, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

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
