"""The validation shortcut takes only what the models accept, and gives the same event and JSON (pure)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, timedelta, timezone
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from platform_core.activity.event_parsing import parse_event
from platform_core.activity.events import InvalidEvent
from platform_core.activity.fastpath import fast_event
from platform_core.activity.ingest_prepare import _stage_row

ID = str(uuid.uuid4())


def mostly(valid: st.SearchStrategy[Any], odd: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Usually a value of the plain shape, sometimes an odd one: both sides of the shortcut get tested."""
    return st.integers(0, 24).flatmap(lambda k: odd if k == 0 else valid)


uuids = mostly(
    st.uuids().map(str),
    st.one_of(
        st.uuids().map(lambda u: str(u).upper()),
        st.uuids().map(lambda u: "{" + str(u) + "}"),
        st.uuids().map(lambda u: u.hex),
        st.just("not-a-uuid-but-thirty-six-characters"),
        st.just(ID[:8] + "-" + ID[9:]),  # 35 characters
        st.integers(),
        st.none(),
    ),
)
zones = st.one_of(
    st.sampled_from([UTC, timezone(timedelta(hours=1)), timezone(-timedelta(hours=5, minutes=30))]),
    st.timezones(),
)
times = mostly(
    st.datetimes(timezones=zones).map(lambda d: d.isoformat()),
    st.one_of(
        st.datetimes().map(lambda d: d.isoformat()),  # naive
        st.sampled_from(
            [
                "2025-03-01T10:00:00Z",
                "2025-03-01T10:00:00.123456789+01:00",
                "2025-03-01 10:00:00+01:00",
                "2025-03-01T24:00:00+00:00",
                "2025-02-30T10:00:00+00:00",
                "2025-03-01T10:00:00+25:00",
                "20250301T100000Z",
                "yesterday",
            ]
        ),
        st.integers(min_value=0, max_value=2**32),
    ),
)
numbers = mostly(
    st.one_of(st.floats(min_value=0, max_value=1e7), st.integers(min_value=0, max_value=10**7)),
    st.one_of(
        st.floats(allow_nan=True, allow_infinity=True),
        st.integers(min_value=-(10**20), max_value=10**20),
        st.booleans(),
        st.sampled_from(["12", None, 0, 16, 16.0001, 1e-300, 1e300]),
    ),
)
texts = mostly(
    st.one_of(
        st.sampled_from(["Mozilla/5.0 (X11; Linux x86_64)", "2.4.1"]), st.text(min_size=1, max_size=80)
    ),
    st.one_of(
        st.text(max_size=80),
        st.text(min_size=1020, max_size=1030),
        st.sampled_from(["a\x00b", "\ud800", "x\ty"]),
    ),
)
contexts = mostly(
    st.fixed_dictionaries({}, optional={"user_agent": texts, "app_version": texts}),
    st.one_of(
        st.fixed_dictionaries(
            {}, optional={"user_agent": st.integers(), "app_version": st.text(min_size=60)}
        ),
        st.fixed_dictionaries({"device": st.just("phone")}),
        st.fixed_dictionaries({"user_agent": texts, "app_version": st.none()}),
        st.fixed_dictionaries({"user_agent": st.none()}),
        st.just([]),
    ),
)


@st.composite
def raw_events(draw: Any) -> dict[str, Any]:
    kinds = ["video_progress", "video_play", "video_pause", "video_complete", "video_seek", "video_start"]
    kind = draw(mostly(st.sampled_from(kinds), st.sampled_from(["login", "bogus", "page_view"])))
    data: dict[str, Any] = {"video_id": draw(uuids)}
    if kind in ("video_progress", "video_play", "video_pause", "video_complete"):
        data["position"] = draw(numbers)
    if kind == "video_progress":
        data["playback_rate"] = draw(mostly(st.floats(min_value=0.01, max_value=16), numbers))
    if kind == "video_seek":
        data["from"], data["to"] = draw(numbers), draw(numbers)
    if draw(st.integers(0, 9)) == 0:
        data[draw(st.sampled_from(["quality", "position", "extra"]))] = draw(numbers)
    raw: dict[str, Any] = {"id": draw(uuids), "type": kind, "occurred_at": draw(times)}
    raw.update(user_id=draw(uuids), data=data)
    if draw(st.booleans()):
        raw["session_id"] = draw(st.one_of(st.none(), uuids))
    if draw(st.booleans()):
        raw["context"] = draw(st.one_of(st.none(), contexts))
    if draw(st.integers(0, 20)) == 0:
        raw[draw(st.sampled_from(["tenant_id", "colour"]))] = "x"
    if draw(st.integers(0, 20)) == 0:
        raw.pop(draw(st.sampled_from(sorted(raw))))
    return raw


@settings(max_examples=1500, deadline=None)
@given(raw_events())
def test_the_shortcut_agrees_with_the_models(raw: dict[str, Any]) -> None:
    fast = fast_event(raw)
    if fast is None:
        return
    event, data_text, context_text = fast
    try:
        slow = parse_event(raw)
    except InvalidEvent as exc:  # pragma: no cover - the failure this test exists to catch
        raise AssertionError(f"the shortcut accepted what the models refuse: {exc}") from exc
    assert event.model_dump() == slow.model_dump()
    assert type(event) is type(slow) and type(event.data) is type(slow.data)
    assert event == slow
    row = _stage_row(slow)
    assert json.loads(data_text) == json.loads(row[5])
    assert (json.loads(context_text) if context_text else None) == (json.loads(row[6]) if row[6] else None)


@settings(max_examples=300, deadline=None)
@given(
    st.uuids(),
    st.uuids(),
    st.datetimes(timezones=st.timezones()),
    st.floats(min_value=0, max_value=1e6),
    st.floats(min_value=0.1, max_value=16),
)
def test_the_plain_shape_takes_the_shortcut(
    event_id: uuid.UUID, user: uuid.UUID, moment: Any, position: float, rate: float
) -> None:
    raw = {
        "id": str(event_id),
        "type": "video_progress",
        "occurred_at": moment.replace(microsecond=moment.microsecond).isoformat(timespec="microseconds"),
        "user_id": str(user),
        "session_id": None,
        "data": {"video_id": str(user), "position": position, "playback_rate": rate},
        "context": {"user_agent": "Mozilla/5.0", "app_version": "2.4.1"},
    }
    offset = moment.utcoffset()
    if offset is not None and offset.total_seconds() % 60:
        return  # offsets with seconds (old local mean times) are not ISO 8601 offsets the shortcut reads
    assert fast_event(raw) is not None
