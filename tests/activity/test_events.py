"""Event envelope and per-type data validation (pure, no database)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from platform_core.activity.event_parsing import check_positions, parse_event, validate_batch
from platform_core.activity.events import (
    CATEGORIES,
    EVENT_TYPES,
    VIDEO_EVENT_TYPES,
    InvalidEvent,
    VideoSeekEvent,
    events_of_category,
)

VIDEO = str(uuid.uuid4())

SAMPLE_DATA: dict[str, dict[str, Any]] = {
    "video_start": {"video_id": VIDEO},
    "video_play": {"video_id": VIDEO, "position": 0},
    "video_pause": {"video_id": VIDEO, "position": 12.5},
    "video_seek": {"video_id": VIDEO, "from": 12.5, "to": 60},
    "video_progress": {"video_id": VIDEO, "position": 70, "playback_rate": 1.5},
    "video_complete": {"video_id": VIDEO, "position": 120},
    "milestone_reached": {"video_id": VIDEO, "milestone_id": str(uuid.uuid4()), "position": 45},
    "question_attempt": {"question_id": str(uuid.uuid4()), "attempt_id": str(uuid.uuid4())},
    "lesson_complete": {"lesson_id": str(uuid.uuid4())},
    "page_view": {"path": "/lessons/1", "referrer": "/"},
    "click": {"target": "button#next"},
    "load_time": {"resource": "/video.mp4", "ms": 230.5},
    "error_occurred": {"code": "E_NETWORK", "message": "timeout"},
    "buffering": {"video_id": VIDEO, "ms": 800},
    "login": {},
    "logout": {},
    "session_timeout": {},
}


def raw_event(kind: str = "video_play", **overrides: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "type": kind,
        "occurred_at": "2025-03-01T10:00:00+01:00",
        "user_id": str(uuid.uuid4()),
        "session_id": None,
        "data": dict(SAMPLE_DATA[kind]),
    }
    raw.update(overrides)
    return raw


def reject(raw: Any) -> InvalidEvent:
    with pytest.raises(InvalidEvent) as info:
        parse_event(raw)
    return info.value


def test_sample_data_covers_the_contract() -> None:
    assert set(SAMPLE_DATA) == EVENT_TYPES
    assert set(CATEGORIES) == EVENT_TYPES
    assert events_of_category("navigation") == {"page_view", "click"}
    assert events_of_category("system") == {"login", "logout", "session_timeout"}
    assert events_of_category("performance") == {"load_time", "error_occurred", "buffering"}
    assert {t for t, d in SAMPLE_DATA.items() if "video_id" in d} == VIDEO_EVENT_TYPES


@pytest.mark.parametrize("kind", sorted(EVENT_TYPES))
def test_every_type_parses_and_round_trips(kind: str) -> None:
    event = parse_event(raw_event(kind))
    assert event.type == kind
    assert event.category == CATEGORIES[kind]
    assert parse_event(event.to_payload()) == event


def test_envelope_fields_and_context_are_typed() -> None:
    raw = raw_event(
        context={
            "user_agent": "Mozilla/5.0",
            "app_version": "2.3.1",
            "device": {"kind": "phone", "os": "iOS"},
            "experiment": {"key": "autoplay", "variant": "B"},
            "locale": "fr-FR",
        },
        session_id=str(uuid.uuid4()),
    )
    event = parse_event(raw)
    assert isinstance(event.id, uuid.UUID) and isinstance(event.session_id, uuid.UUID)
    assert event.occurred_at.utcoffset() is not None
    assert event.context is not None and event.context.experiment is not None
    assert event.context.experiment.variant == "B"
    assert event.to_payload()["context"]["locale"] == "fr-FR"  # extra context keys kept


def test_extra_data_keys_are_kept() -> None:
    raw = raw_event("video_pause")
    raw["data"]["quality"] = "720p"
    event = parse_event(raw)
    assert event.data_json()["quality"] == "720p"
    assert parse_event(raw_event("login", data={"method": "sso"})).data_json() == {"method": "sso"}


def test_seek_uses_wire_name_from() -> None:
    event = parse_event(raw_event("video_seek"))
    assert isinstance(event, VideoSeekEvent)
    assert (event.data.from_, event.data.to) == (12.5, 60.0)
    assert event.data_json()["from"] == 12.5


def test_naive_datetime_is_rejected_with_a_clear_reason() -> None:
    error = reject(raw_event(occurred_at="2025-03-01T10:00:00"))
    assert error.field == "occurred_at"
    assert "timezone" in error.reason
    assert reject(raw_event(occurred_at="last tuesday")).field == "occurred_at"


@pytest.mark.parametrize(
    ("kind", "data", "field", "reason"),
    [
        ("video_play", {"video_id": VIDEO, "position": -1}, "data.position", "must be >= 0"),
        ("video_play", {"video_id": VIDEO}, "data.position", "required"),
        ("video_play", {"video_id": VIDEO, "position": "12"}, "data.position", "must be a number"),
        ("video_play", {"video_id": VIDEO, "position": True}, "data.position", "must be a number"),
        ("video_play", {"video_id": "abc", "position": 1}, "data.video_id", "must be a UUID"),
        ("video_seek", {"video_id": VIDEO, "from": 3, "to": -0.5}, "data.to", "must be >= 0"),
        (
            "video_progress",
            {"video_id": VIDEO, "position": 1, "playback_rate": 0},
            "data.playback_rate",
            "must be > 0",
        ),
        (
            "video_progress",
            {"video_id": VIDEO, "position": 1, "playback_rate": 17},
            "data.playback_rate",
            "must be <= 16",
        ),
        ("video_progress", {"video_id": VIDEO, "position": 1}, "data.playback_rate", "required"),
        ("load_time", {"resource": "x", "ms": -3}, "data.ms", "must be >= 0"),
        ("buffering", {"video_id": VIDEO, "ms": -1}, "data.ms", "must be >= 0"),
        ("page_view", {"path": ""}, "data.path", "must not be empty"),
        ("error_occurred", {"code": 1.5, "message": "x"}, "data.code", "must be a string or an integer"),
    ],
)
def test_data_is_validated_per_type(kind: str, data: dict[str, Any], field: str, reason: str) -> None:
    error = reject(raw_event(kind, data=data))
    assert (error.field, error.reason) == (field, reason)
    assert str(error) == f"{field}: {reason}"
    assert isinstance(error, ValueError)


def test_playback_rate_bounds_are_inclusive_at_16() -> None:
    data = {"video_id": VIDEO, "position": 1, "playback_rate": 16}
    assert parse_event(raw_event("video_progress", data=data)).data_json()["playback_rate"] == 16


def test_positions_must_be_finite() -> None:
    assert reject(raw_event(data={"video_id": VIDEO, "position": float("inf")})).field == "data.position"


def test_integer_error_codes_are_stored_as_strings() -> None:
    event = parse_event(raw_event("error_occurred", data={"code": 503, "message": "unavailable"}))
    assert event.data_json()["code"] == "503"


@pytest.mark.parametrize(
    ("raw", "field", "needle"),
    [
        ({**raw_event(), "type": "foo"}, "type", "unknown event type 'foo'"),
        ({k: v for k, v in raw_event().items() if k != "type"}, "type", "required"),
        ({**raw_event(), "type": 3}, "type", "must be a string"),
        ({**raw_event(), "data": [1]}, "data", "must be an object"),
        ({k: v for k, v in raw_event().items() if k != "data"}, "data", "required"),
        ({**raw_event(), "user_id": "someone"}, "user_id", "must be a UUID"),
        ({**raw_event(), "id": None}, "id", "must be a UUID"),
        ({**raw_event(), "tenant_id": str(uuid.uuid4())}, "tenant_id", "tenant"),
        ({**raw_event(), "colour": "red"}, "colour", "unexpected field"),
        ({**raw_event(), "context": {"experiment": {"key": "k"}}}, "context.experiment.variant", "required"),
        ({**raw_event(), "context": {"device": 7}}, "context.device", "must be a string or an object"),
    ],
)
def test_envelope_errors_name_the_field(raw: dict[str, Any], field: str, needle: str) -> None:
    error = reject(raw)
    assert error.field == field
    assert needle in error.reason


def test_non_object_payload_is_rejected() -> None:
    error = reject(["not", "an", "object"])
    assert error.field == "$"


def test_all_problems_are_listed_in_details() -> None:
    error = reject({**raw_event(data={"video_id": VIDEO, "position": -1}), "user_id": "x"})
    assert {f for f, _ in error.details} == {"user_id", "data.position"}


def test_validate_batch_splits_valid_and_rejected_in_order() -> None:
    good1, good2 = raw_event(), raw_event("login")
    bad = raw_event(data={"video_id": VIDEO, "position": -2})
    junk = {"id": "not-a-uuid", "type": "bogus"}
    events, rejected = validate_batch([good1, bad, good2, junk, 42])  # type: ignore[list-item]
    assert [str(e.id) for e in events] == [good1["id"], good2["id"]]
    assert [(r.index, r.field, r.reason) for r in rejected] == [
        (1, "data.position", "must be >= 0"),
        (3, "type", "unknown event type 'bogus'"),
        (4, "$", "an event must be a JSON object, not int"),
    ]
    assert rejected[0].raw is bad
    assert rejected[0].event_id == bad["id"]
    assert rejected[1].event_id == "not-a-uuid"
    assert rejected[2].event_id is None


def test_validate_batch_keeps_identical_resends_and_rejects_conflicting_ids() -> None:
    first = raw_event()
    same = dict(first)
    conflicting = {**first, "data": {"video_id": VIDEO, "position": 99}}
    events, rejected = validate_batch([first, same, conflicting])
    assert len(events) == 2 and events[0] == events[1]
    assert [(r.index, r.field) for r in rejected] == [(2, "id")]


def test_check_positions_uses_the_duration_with_tolerance() -> None:
    def at(position: float) -> Any:
        return parse_event(raw_event(data={"video_id": VIDEO, "position": position}))

    assert check_positions(at(0), 120) is None
    assert check_positions(at(120.4), 120) is None  # player rounding
    reason = check_positions(at(121), 120)
    assert reason is not None and reason.startswith("data.position:")
    seek = parse_event(raw_event("video_seek", data={"video_id": VIDEO, "from": 10, "to": 130}))
    seek_reason = check_positions(seek, 120)
    assert seek_reason is not None and seek_reason.startswith("data.to:")
    assert check_positions(parse_event(raw_event("login")), 120) is None
    assert check_positions(parse_event(raw_event("video_start")), 120) is None
