"""The simulated player (pure, with the in-memory backend): valid EVENTS.md streams, following the platform's
next step, cross-device resume, realistic timing and determinism."""

from __future__ import annotations

import dataclasses
import random
import uuid
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

import pytest

from platform_core.activity.event_parsing import check_positions, parse_event
from platform_core.activity.segments import track
from platform_core.simulation.backends import AttemptResult, LocalBackend
from platform_core.simulation.content_plan import SCALES, TenantPlan, plan_tenant
from platform_core.simulation.learners import Sitting, make_profile, plan_sittings
from platform_core.simulation.player import Player

NOW = datetime(2026, 3, 2, 18, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def plan() -> TenantPlan:
    return plan_tenant(9, SCALES["small"], 0, now=NOW, slug="t")


def _minutes(plan: TenantPlan, lesson_id: uuid.UUID) -> float:
    lesson = next(lesson for lesson in plan.lessons if lesson.id == lesson_id)
    return sum(plan.videos[v].duration for v in lesson.video_ids) / 60


def _simulate(plan: TenantPlan, students: range, backend=None) -> list[dict]:
    events: list[dict] = []
    backend = backend or LocalBackend()
    lessons = {lesson.id: lesson.video_ids for lesson in plan.lessons}
    experiments = [(e.key, e.variants) for e in plan.experiments]
    for index in students:
        student = plan.students[index]
        klass = next(c for c in plan.classes if index in c.student_indexes)
        rng = random.Random(student.seed)
        profile = make_profile(rng, student.id, start=plan.start, now=NOW, experiments=experiments)
        work = [
            (a.lesson_id, a.assigned_at, a.due_at, _minutes(plan, a.lesson_id)) for a in klass.assignments
        ]
        sittings = plan_sittings(rng, profile, work, now=NOW)
        Player(profile=profile, videos=plan.videos, lessons=lessons, backend=backend, sink=events.append,
               rng=rng, now=NOW).run(sittings)  # fmt: skip
    return events


def test_a_population_produces_valid_event_streams(plan) -> None:
    events = _simulate(plan, range(25))
    assert len(events) > 3000
    last_at: dict[str, datetime] = {}
    for raw in events:
        event = parse_event(raw)  # raises on anything EVENTS.md does not allow
        assert plan.start <= event.occurred_at <= NOW
        assert last_at.get(raw["user_id"], plan.start) < event.occurred_at, "strictly increasing per learner"
        last_at[raw["user_id"]] = event.occurred_at
        video_id = getattr(event.data, "video_id", None)
        if video_id is not None:
            assert check_positions(event, plan.videos[video_id].duration) is None
            if event.type != "video_start" or raw.get("session_id"):
                assert raw["session_id"], f"{event.type} belongs to a session"
        if event.context is not None and event.context.experiment is not None:
            assert event.context.experiment.key in {"retry-hints", "speed-nudge"}
    kinds = Counter(raw["type"] for raw in events)
    expected = set(
        [
            "login",
            "logout",
            "page_view",
            "click",
            "load_time",
            "video_start",
            "video_play",
            "video_pause",
            "video_seek",
            "video_progress",
            "video_complete",
            "milestone_reached",
            "question_attempt",
            "lesson_complete",
            "session_timeout",
            "buffering",
        ]
    )
    assert expected <= set(kinds), expected - set(kinds)
    assert kinds["video_progress"] > kinds["video_play"], "heartbeats dominate, as in a real player"


def test_heartbeats_are_credited_and_completed_videos_are_covered(plan) -> None:
    events = _simulate(plan, range(12))
    by_pair: dict[tuple[str, str], list] = defaultdict(list)
    for raw in events:
        event = parse_event(raw)
        video_id = getattr(event.data, "video_id", None)
        if video_id is not None:
            by_pair[(raw["user_id"], str(video_id))].append(event)
    completed = skipped = 0
    for (_, video_id), pair_events in by_pair.items():
        types = {e.type for e in pair_events}
        seeks_forward = any(e.type == "video_seek" and e.data.to > e.data.from_ for e in pair_events)
        if "video_complete" not in types or seeks_forward:
            skipped += "video_complete" in types
            continue
        completed += 1
        tracker = track(sorted(pair_events, key=lambda e: (e.occurred_at, e.id)))
        assert tracker.coverage(plan.videos[uuid.UUID(video_id)].duration) >= 0.95
    assert completed > 20


class _Scripted(LocalBackend):
    """Grades nothing: answers each submission with the next scripted step."""

    def __init__(self, steps: list[tuple[str, object]]) -> None:
        super().__init__()
        self.steps = steps
        self.submitted: list[uuid.UUID] = []

    def submit(self, *, question, **kwargs) -> AttemptResult:
        self.submitted.append(question.id)
        action, target = self.steps.pop(0) if self.steps else ("continue", None)
        return AttemptResult(uuid.uuid4(), 1.0 if action == "continue" else 0.0, action == "continue", None,
                             action, target)  # fmt: skip


def _one_video_learner(
    plan: TenantPlan, backend, *, minutes: float = 90, devices=None
) -> tuple[list[dict], object]:
    lesson = plan.lessons[0]
    video = plan.videos[lesson.video_ids[0]]
    rng = random.Random(1)
    profile = make_profile(rng, uuid.uuid4(), start=plan.start, now=NOW)
    profile = dataclasses.replace(
        profile, skipper=0.0, rewatcher=0.0, focus=1.0, diligence=1.0, playback_rate=1.0
    )
    if devices is not None:
        profile = dataclasses.replace(profile, devices=devices, device_weights=(1.0,) * len(devices))
    events: list[dict] = []
    player = Player(profile=profile, videos=plan.videos, lessons={lesson.id: [video.id]}, backend=backend,
                    sink=events.append, rng=rng, now=NOW)  # fmt: skip
    player._dropoff_point = lambda viewing: None  # type: ignore[method-assign]
    player._pause_break = lambda viewing: None  # type: ignore[method-assign]
    sittings = [Sitting(NOW - timedelta(days=3), lesson.id, minutes, 0)]
    if devices is not None and len(devices) > 1:
        sittings.append(Sitting(NOW - timedelta(days=2), lesson.id, 120, 1))
    player.run(sittings)
    return events, video


def _types_for(events: list[dict], video_id) -> list[tuple[str, dict]]:
    return [(e["type"], e["data"]) for e in events if e["data"].get("video_id") == str(video_id)
            or e["type"] == "question_attempt"]  # fmt: skip


def test_player_follows_retry_seek_and_jump(plan) -> None:
    remedial = next(v for v in plan.videos.values() if v.remedial)
    lesson = plan.lessons[0]
    video = plan.videos[lesson.video_ids[0]]
    first = video.milestones[0]
    backend = _Scripted([("retry", None), ("seek", 3.5), ("jump", remedial.id)])
    events, _ = _one_video_learner(plan, backend)
    stream = [(e["type"], e["data"]) for e in events]
    attempts = [i for i, (kind, _) in enumerate(stream) if kind == "question_attempt"]
    assert len(attempts) >= 4
    # retry: the next thing after the first answer is another answer
    assert stream[attempts[0] + 1][0] == "question_attempt"
    # seek: the player seeks from the milestone back to the target and plays from there
    after_seek = stream[attempts[1] + 1 : attempts[1] + 3]
    assert after_seek[0] == ("video_seek", {"video_id": str(video.id), "from": first.timestamp, "to": 3.5})
    assert after_seek[1][0] == "video_play" and after_seek[1][1]["position"] == 3.5
    # jump: the remedial video is watched to the end, then the learner comes back to the milestone
    tail = stream[attempts[2] + 1 :]
    starts = [i for i, (kind, data) in enumerate(tail) if kind == "video_start"]
    assert tail[starts[0]][1]["video_id"] == str(remedial.id)
    remedial_end = next(
        i for i, (k, d) in enumerate(tail) if k == "video_complete" and d["video_id"] == str(remedial.id)
    )
    back = tail[remedial_end + 1 :]
    resumed = next(d for k, d in back if k == "video_play")
    assert resumed["video_id"] == str(video.id) and resumed["position"] == pytest.approx(
        back_position(stream, attempts[2])
    )
    assert any(k == "video_complete" and d["video_id"] == str(video.id) for k, d in back)


def back_position(stream, attempt_index) -> float:
    """Where the milestone answered at ``attempt_index`` sits."""
    return next(d["position"] for k, d in reversed(stream[:attempt_index]) if k == "milestone_reached")


def test_second_device_resumes_where_the_first_stopped(plan) -> None:
    base = make_profile(random.Random(3), uuid.uuid4(), start=plan.start, now=NOW)
    desktop, phone = base.devices[0], dataclasses.replace(base.devices[0], fingerprint="fp-phone")
    backend = LocalBackend()
    events, video = _one_video_learner(plan, backend, minutes=3, devices=(desktop, phone))
    logins = [i for i, e in enumerate(events) if e["type"] == "login"]
    assert len(logins) == 2
    first, second = events[: logins[1]], events[logins[1] :]
    stopped = [e for e in first if e["type"] == "video_pause" and e["data"]["video_id"] == str(video.id)][-1]
    resumed = next(e for e in second if e["type"] == "video_play")
    assert 0 < stopped["data"]["position"] < video.duration
    assert resumed["data"]["position"] == stopped["data"]["position"]
    assert resumed["context"]["device"]["fingerprint"] == "fp-phone"
    assert stopped["context"]["device"]["fingerprint"] == desktop.fingerprint


def test_study_times_follow_school_and_evening_rhythms(plan) -> None:
    logins = [parse_event(e).occurred_at for e in _simulate(plan, range(60)) if e["type"] == "login"]
    assert len(logins) > 100
    assert sum(8 <= t.hour <= 23 for t in logins) / len(logins) > 0.95
    weekdays = Counter(t.weekday() for t in logins)
    assert weekdays[5] < weekdays[0], "Saturdays are quieter than Mondays"
    assert sum(17 <= t.hour <= 21 for t in logins) > sum(t.hour < 12 for t in logins)


def test_same_seed_same_events(plan) -> None:
    first = _simulate(plan, range(5))
    again = _simulate(plan, range(5))
    assert [e["id"] for e in first] == [e["id"] for e in again]
    assert first == again
    other = _simulate(plan_tenant(10, SCALES["small"], 0, now=NOW, slug="t"), range(5))
    assert not {e["id"] for e in first} & {e["id"] for e in other}
