"""Watched-segment arithmetic and the played-segments fold (pure, no database)."""

from __future__ import annotations

import itertools
import json
import math
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from platform_core.activity.event_parsing import parse_event
from platform_core.activity.events import EventBase
from platform_core.activity.segments import (
    PlaybackTracker,
    Segment,
    add,
    coverage,
    covered_seconds,
    format_played_segments,
    is_complete,
    merge,
    parse_played_segments,
    segments_from_json,
    segments_to_json,
    track,
)

VIDEO = uuid.uuid4()
STUDENT = uuid.uuid4()
T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


class Player:
    """Builds a (student, video) stream of parsed events; the clock advances 10 s per event by default."""

    def __init__(self, session: uuid.UUID | None = None) -> None:
        self.session = session or uuid.uuid4()
        self.clock = 0.0
        self.events: list[EventBase] = []

    def _emit(self, kind: str, at: float | None = None, **data: Any) -> EventBase:
        self.clock = self.clock + 10 if at is None else at
        raw = {
            "id": str(uuid.uuid4()),
            "type": kind,
            "occurred_at": (T0 + timedelta(seconds=self.clock)).isoformat(),
            "user_id": str(STUDENT),
            "session_id": str(self.session),
            "data": {"video_id": str(VIDEO), **data},
        }
        event = parse_event(raw)
        self.events.append(event)
        return event

    def play(self, position: float, at: float | None = None) -> EventBase:
        return self._emit("video_play", at, position=position)

    def pause(self, position: float, at: float | None = None) -> EventBase:
        return self._emit("video_pause", at, position=position)

    def seek(self, start: float, to: float, at: float | None = None) -> EventBase:
        return self._emit("video_seek", at, **{"from": start, "to": to})

    def beat(self, position: float, at: float | None = None, rate: float = 1.0) -> EventBase:
        return self._emit("video_progress", at, position=position, playback_rate=rate)

    def complete(self, position: float, at: float | None = None) -> EventBase:
        return self._emit("video_complete", at, position=position)


def seg(*pairs: tuple[float, float]) -> list[Segment]:
    return [Segment(a, b) for a, b in pairs]


# ---------------------------------------------------------------------------------------- segments
def test_segment_validation() -> None:
    assert Segment(1, 2).length == 1.0
    assert isinstance(Segment(1, 2).start, float)
    with pytest.raises(ValueError, match="start must be <= end"):
        Segment(3, 2)
    with pytest.raises(ValueError, match="finite"):
        Segment(0, math.inf)
    with pytest.raises(AttributeError):
        Segment(0, 1).start = 5  # type: ignore[misc]


def test_merge_unions_touching_and_overlapping_and_drops_zero_length() -> None:
    assert merge(seg((10, 20), (0, 10), (5, 7), (30, 30), (25, 40), (35, 38))) == seg((0, 20), (25, 40))
    assert merge([]) == []
    assert merge(seg((4, 4))) == []
    assert add(seg((0, 10)), Segment(10, 15)) == seg((0, 15))
    assert add(seg((0, 10)), Segment(11, 15)) == seg((0, 10), (11, 15))


def test_covered_seconds_and_coverage_clip_to_the_video() -> None:
    assert covered_seconds(seg((0, 30), (10, 20), (60, 90))) == 60.0
    assert coverage(seg((0, 30), (60, 90)), 120) == 0.5
    assert coverage(seg((100, 130)), 120) == pytest.approx(20 / 120)
    assert coverage(seg((0, 500)), 120) == 1.0
    assert coverage(seg((0, 10)), 0) == 0.0


def test_is_complete_threshold() -> None:
    assert is_complete(0.95)
    assert is_complete(114 / 120)
    assert not is_complete(0.9499)
    assert is_complete(0.5, threshold=0.5)
    with pytest.raises(ValueError):
        is_complete(0.5, threshold=0)


def test_played_segments_grammar_round_trip() -> None:
    segments = seg((0, 30), (60, 90.5), (10, 20))
    text = format_played_segments(segments)
    assert text == "0.000[.]30.000[,]60.000[.]90.500[,]10.000[.]20.000"
    assert parse_played_segments(text) == segments
    assert format_played_segments([]) == "" and parse_played_segments("") == []
    assert format_played_segments(seg((1 / 3, 2 / 3))) == "0.333[.]0.667"


@pytest.mark.parametrize("bad", ["0[.]", "a[.]b", "0.0[.]1.0[,]", "5[.]3", "-1[.]2", "0,1", "0[.]1[.]2"])
def test_played_segments_parse_rejects_bad_grammar(bad: str) -> None:
    with pytest.raises(ValueError, match="played-segments"):
        parse_played_segments(bad)


def test_json_helpers() -> None:
    segments = seg((0, 1.5), (3, 4))
    assert segments_to_json(segments) == [[0.0, 1.5], [3.0, 4.0]]
    assert segments_from_json([[0, 1.5], [3, 4]]) == segments


# ------------------------------------------------------------------------------------ acceptance
def acceptance_stream() -> tuple[Player, Player]:
    phone, laptop = Player(), Player()
    phone.play(0, at=0)
    phone.pause(30, at=30)
    phone.seek(30, 60, at=31)
    phone.play(60, at=32)
    phone.pause(90, at=62)
    phone.seek(90, 10, at=63)  # rewatch 10 -> 20
    phone.play(10, at=64)
    phone.pause(20, at=74)
    laptop.play(90, at=200)  # a second device resumes at 90 ...
    laptop.complete(120, at=230)  # ... and plays to the end
    return phone, laptop


def test_acceptance_two_devices_rewatch_not_complete() -> None:
    phone, laptop = acceptance_stream()
    tracker = track([*laptop.events, *phone.events])  # arrival order does not matter: sorted by time
    assert tracker.played == seg((0, 30), (60, 90), (10, 20), (90, 120))
    assert tracker.merged == seg((0, 30), (60, 120))
    assert tracker.covered_seconds() == 90.0
    assert tracker.coverage(120) == 0.75
    assert not is_complete(tracker.coverage(120), 0.95)
    assert tracker.total_played_seconds() == 100.0
    assert (
        tracker.played_segments() == "0.000[.]30.000[,]60.000[.]90.000[,]10.000[.]20.000[,]90.000[.]120.000"
    )
    assert not tracker.playing
    assert tracker.last_position == 120.0


def test_acceptance_filling_the_gap_completes() -> None:
    phone, laptop = acceptance_stream()
    phone.seek(20, 30, at=300)
    phone.play(30, at=301)
    phone.pause(60, at=331)
    tracker = track([*phone.events, *laptop.events])
    assert tracker.merged == seg((0, 120))
    assert tracker.coverage(120) == 1.0
    assert is_complete(tracker.coverage(120))


def test_completion_at_threshold_without_the_credits() -> None:
    player = Player()
    player.play(0)
    for position in range(10, 111, 10):
        player.beat(position)
    player.pause(114)  # stops before the closing credits
    tracker = track(player.events)
    assert tracker.coverage(120) == 0.95
    assert is_complete(tracker.coverage(120), 0.95)


# ----------------------------------------------------------------------------------- tracker rules
def test_seek_while_playing_ends_at_from_and_continues_at_to() -> None:
    p = Player()
    p.play(0), p.seek(15, 50), p.pause(70)
    assert track(p.events).played == seg((0, 15), (50, 70))


def test_seek_while_paused_opens_nothing() -> None:
    p = Player()
    p.play(0), p.pause(10), p.seek(10, 50), p.complete(120)
    tracker = track(p.events)
    assert tracker.played == seg((0, 10))
    assert tracker.last_position == 120.0


def test_heartbeats_extend_the_open_segment() -> None:
    p = Player()
    p.play(0), p.beat(10), p.beat(20)
    tracker = track(p.events)
    assert tracker.playing and tracker.played == seg((0, 20))


def test_heartbeat_when_not_playing_starts_tracking_again() -> None:
    q = Player()
    q.play(0), q.pause(10), q.beat(40), q.beat(50), q.pause(60)
    assert track(q.events).played == seg((0, 10), (40, 60))


def test_heartbeat_jumping_ahead_of_the_clock_is_a_skip_not_playback() -> None:
    p = Player()
    p.play(0, at=0), p.beat(10, at=10)  # the app is killed here: no pause
    p.beat(40, at=300), p.beat(55, at=315)  # reopened minutes later at 40, no play or seek reported
    tracker = track(p.events)
    assert tracker.played == seg((0, 10), (40, 55))
    fast = Player()
    fast.play(0, at=0), fast.beat(20, at=10, rate=2.0), fast.beat(40, at=20, rate=2.0)
    assert track(fast.events).played == seg((0, 40))  # double speed is playback
    skip = Player()
    skip.play(0, at=0), skip.beat(10, at=10), skip.beat(100, at=20), skip.pause(105, at=25)
    assert track(skip.events).played == seg((0, 10), (100, 105))  # 90 s of video in 10 s: a skip
    patient = track(p.events, PlaybackTracker(max_heartbeat_gap=600))
    assert patient.played == seg((0, 55))  # with a 10-minute tolerance the silence counts as playback


def test_backwards_heartbeat_without_seek_closes_and_restarts() -> None:
    p = Player()
    p.play(30), p.beat(40), p.beat(5), p.beat(15), p.pause(20)
    assert track(p.events).played == seg((30, 40), (5, 20))


def test_play_while_playing_closes_at_the_last_seen_position() -> None:
    p = Player()
    p.play(0), p.beat(10), p.play(90), p.complete(120)
    assert track(p.events).played == seg((0, 10), (90, 120))


def test_pause_before_last_heartbeat_keeps_what_was_seen() -> None:
    p = Player()
    p.play(0), p.beat(12), p.pause(8)
    assert track(p.events).played == seg((0, 12))


def test_reapplying_events_is_a_no_op() -> None:
    phone, laptop = acceptance_stream()
    tracker = track(phone.events + laptop.events)
    before = (tracker.played, tracker.last_position, tracker.playing)
    assert tracker.apply_all(phone.events + laptop.events) == 0
    assert all(tracker.seen(e.id) for e in phone.events)
    assert (tracker.played, tracker.last_position, tracker.playing) == before


def test_duplicate_content_with_new_ids_changes_nothing() -> None:
    p = Player()
    p.play(0), p.play(0), p.beat(10), p.beat(10), p.pause(30), p.pause(30), p.complete(30)
    assert track(p.events).played == seg((0, 30))


def test_non_playback_events_are_ignored_and_other_videos_refused() -> None:
    p = Player()
    start = p._emit("video_start")
    tracker = PlaybackTracker()
    assert tracker.apply(start) is False and tracker.video_id == VIDEO
    other = parse_event(
        {
            "id": str(uuid.uuid4()),
            "type": "video_play",
            "occurred_at": T0.isoformat(),
            "user_id": str(STUDENT),
            "data": {"video_id": str(uuid.uuid4()), "position": 0},
        }
    )
    with pytest.raises(ValueError, match="tracker is for"):
        tracker.apply(other)


def test_state_round_trips_through_json() -> None:
    p = Player()
    p.play(0), p.pause(30), p.play(60), p.beat(70)
    tracker = track(p.events)
    restored = PlaybackTracker.from_dict(json.loads(json.dumps(tracker.to_dict())))
    assert restored.played == tracker.played == seg((0, 30), (60, 70))
    assert restored.to_dict() == tracker.to_dict()
    assert restored.playing and restored.video_id == VIDEO
    q = Player()
    restored.apply(q.pause(80))
    assert restored.merged == seg((0, 30), (60, 80))


# -------------------------------------------------------------------------------------- properties
bounds = st.floats(min_value=0, max_value=1e4, allow_nan=False, allow_infinity=False)
segments_st = st.lists(st.tuples(bounds, bounds).map(lambda ab: Segment(min(ab), max(ab))), max_size=25)


@given(segments_st)
def test_merge_is_idempotent(segments: list[Segment]) -> None:
    merged = merge(segments)
    assert merge(merged) == merged


@given(segments_st, st.randoms(use_true_random=False))
def test_merge_is_order_independent(segments: list[Segment], rnd: Any) -> None:
    shuffled = list(segments)
    rnd.shuffle(shuffled)
    assert merge(shuffled) == merge(segments)


@given(segments_st)
def test_merged_segments_are_sorted_disjoint_and_cover_every_input(segments: list[Segment]) -> None:
    merged = merge(segments)
    for left, right in itertools.pairwise(merged):
        assert left.end < right.start
    assert all(s.length > 0 for s in merged)
    for s in segments:
        if s.length > 0:
            assert any(m.start <= s.start and s.end <= m.end for m in merged)


@given(segments_st)
def test_union_length_is_at_most_the_sum(segments: list[Segment]) -> None:
    assert covered_seconds(segments) <= math.fsum(s.length for s in segments) + 1e-6
    assert covered_seconds(segments) <= max((s.end for s in segments), default=0) + 1e-6


@given(segments_st, st.floats(min_value=-10, max_value=2e4, allow_nan=False))
def test_coverage_is_a_fraction(segments: list[Segment], duration: float) -> None:
    assert 0.0 <= coverage(segments, duration) <= 1.0


actions = st.lists(
    st.tuples(st.sampled_from(["play", "pause", "seek", "beat", "complete"]), bounds, bounds), max_size=30
)


@settings(max_examples=200, deadline=None)
@given(actions)
def test_tracker_is_idempotent_and_insensitive_to_duplicates(steps: list[tuple[str, float, float]]) -> None:
    p = Player()
    for kind, a, b in steps:
        if kind == "seek":
            p.seek(a, b)
        else:
            getattr(p, kind)(a)
    once = track(p.events)
    twice = track([e for e in p.events for _ in (0, 1)])  # every event delivered twice in a row
    assert twice.played == once.played
    assert once.apply_all(p.events) == 0
    assert once.played == twice.played
    assert 0.0 <= once.coverage(1e4) <= 1.0
