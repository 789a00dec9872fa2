"""Progress from ingested events: the acceptance viewing end to end, idempotency, order independence,
completion, milestones and lesson completion."""

from __future__ import annotations

import random
import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text

from platform_core.activity.ingest import ingest_events
from platform_core.activity.lessons import get_lesson_progress
from platform_core.activity.milestones import record_milestone_answer
from platform_core.activity.progress import ProgressView, get_progress, recompute_progress
from platform_core.activity.segments import Segment
from platform_core.activity.sessions import get_session, resume_position, sync_session
from tests.activity_db.conftest import T0, Player, School, make_school, scripted_viewing


def progress(school: School, student: uuid.UUID, video: uuid.UUID) -> ProgressView:
    with school.session() as s:
        view = get_progress(s, student_id=student, video_id=video)
    assert view is not None
    return view


def sync_from(school: School, events: list[dict[str, Any]], device: str) -> None:
    """What the player does besides sending events: a session update at every positional event."""
    from datetime import datetime

    with school.session() as s:
        for e in events:
            data = e["data"]
            position = data.get("position", data.get("to"))
            if position is None:
                continue
            sync_session(
                s,
                student_id=uuid.UUID(e["user_id"]),
                video_id=uuid.UUID(data["video_id"]),
                position=position,
                client_at=datetime.fromisoformat(e["occurred_at"]),
                device_fingerprint=device,
                device_info={"kind": "phone" if device == "phone" else "desktop"},
            )


def test_acceptance_viewing_through_ingest_and_session_sync(school: School) -> None:
    student = school.students[0]
    phone, laptop = scripted_viewing(school)

    report = ingest_events(school.tenant_id, events=phone.events, batch_size=4)
    assert (report.stored, report.duplicates, report.quarantined) == (len(phone.events), 0, 0)
    sync_from(school, phone.events, "phone")

    with school.session() as s:  # the laptop opens the video: where did the phone get to?
        assert resume_position(s, student_id=student, video_id=school.video_id) == 20.0  # last: the rewatch
        resume_at = resume_position(s, student_id=student, video_id=school.video_id, prefer="furthest")
    assert resume_at == 90.0
    assert laptop.events[1]["data"]["position"] == resume_at

    report = ingest_events(school.tenant_id, events=laptop.events)
    assert report.stored == len(laptop.events)
    sync_from(school, laptop.events, "laptop")

    view = progress(school, student, school.video_id)
    assert view.watched_segments == [Segment(0, 30), Segment(60, 120)]
    assert view.watched_seconds == 90.0
    assert view.total_watch_seconds == 100.0  # 30 + 30 + 10 (rewatch) + 30
    assert view.coverage == 0.75
    assert view.completion_threshold == 0.95
    assert (view.is_completed, view.completed_at) == (False, None)
    assert view.last_position_seconds == 120.0
    assert view.last_event_at == T0 + timedelta(seconds=631)
    with school.session() as s:
        session_view = get_session(s, student_id=student, video_id=school.video_id)
    assert session_view is not None
    assert (session_view.position_seconds, session_view.furthest_position_seconds) == (120.0, 120.0)
    assert session_view.device_fingerprint == "laptop" and session_view.device_info == {"kind": "desktop"}

    # Replaying everything (events and session updates) changes nothing.
    replay = ingest_events(school.tenant_id, events=[*laptop.events, *phone.events])
    assert (replay.stored, replay.duplicates) == (0, len(phone.events) + len(laptop.events))
    sync_from(school, phone.events, "phone")
    assert progress(school, student, school.video_id) == view
    with school.session() as s:
        assert get_session(s, student_id=student, video_id=school.video_id).position_seconds == 120.0  # type: ignore[union-attr]
    assert school.count("SELECT count(*) FROM analytics_events") == len(phone.events) + len(laptop.events)

    # The incremental fold equals a fold of all stored events.
    with school.session() as s:
        assert recompute_progress(s, student_id=student, video_id=school.video_id) == view


def test_watching_the_gap_completes_the_video_and_then_the_lessons(school: School) -> None:
    student = school.students[0]
    phone, laptop = scripted_viewing(school)
    ingest_events(school.tenant_id, events=[*phone.events, *laptop.events])
    gap = Player(student, school.video_id)
    gap.watch(30, 60, at=1000)  # play 30, beats 40 and 50, pause 60
    ingest_events(school.tenant_id, events=gap.events)
    view = progress(school, student, school.video_id)
    assert view.watched_segments == [Segment(0, 120)] and view.coverage == 1.0
    assert view.is_completed
    # after the beat at 50 coverage is 110/120 < 0.95; the pause at 60 (t=1030) completes it
    assert view.completed_at == T0 + timedelta(seconds=1030)
    with school.session() as s:
        lesson = get_lesson_progress(s, student_id=student, lesson_id=school.lesson_id)
        other = get_lesson_progress(s, student_id=student, lesson_id=school.other_lesson_id)
    assert lesson is not None and other is not None
    assert (lesson.videos_completed, lesson.videos_total, lesson.is_completed) == (1, 2, False)
    assert (other.videos_completed, other.videos_total, other.is_completed) == (1, 1, True)
    assert other.completed_at == view.completed_at

    short = Player(student, school.short_video_id)
    short.watch(0, 58, at=2000)  # 58/60 = 0.967 >= 0.95
    ingest_events(school.tenant_id, events=short.events)
    with school.session() as s:
        lesson = get_lesson_progress(s, student_id=student, lesson_id=school.lesson_id)
    assert lesson is not None and (lesson.videos_completed, lesson.is_completed) == (2, True)
    assert lesson.completed_at == T0 + timedelta(seconds=2058)
    # the other student has no lesson progress at all
    others = school.count("SELECT count(*) FROM lesson_progress WHERE student_id = :s", s=school.students[1])
    assert others == 0


def test_completion_uses_the_video_threshold_and_a_raised_threshold_keeps_it(school: School) -> None:
    student = school.students[1]
    with school.session() as s:
        s.execute(text("UPDATE videos SET completion_threshold = 0.5 WHERE id = :v"), {"v": school.video_id})
    p = Player(student, school.video_id)
    p.watch(0, 70, at=0)
    ingest_events(school.tenant_id, events=p.events)
    view = progress(school, student, school.video_id)
    assert view.completion_threshold == 0.5 and view.is_completed
    assert view.completed_at == T0 + timedelta(seconds=60)  # the beat at 60 reached 60/120
    with school.session() as s:  # the teacher raises the threshold: what was completed stays completed
        s.execute(text("UPDATE videos SET completion_threshold = 0.95 WHERE id = :v"), {"v": school.video_id})
    q = Player(student, school.video_id)
    q.watch(70, 80, at=500)
    ingest_events(school.tenant_id, events=q.events)
    later = progress(school, student, school.video_id)
    assert later.completion_threshold == 0.95 and later.is_completed
    assert later.completed_at == view.completed_at


def test_late_events_are_folded_in_time_order(school: School) -> None:
    """The laptop's events arrive first, the phone's (older) afterwards: same result as in order."""
    phone, laptop = scripted_viewing(school, student=1)
    report = ingest_events(school.tenant_id, events=laptop.events)
    assert report.refolded_pairs == 0  # the pair's first events: a fold starting empty
    first = progress(school, school.students[1], school.video_id)
    assert first.watched_segments == [Segment(90, 120)]
    report = ingest_events(school.tenant_id, events=phone.events)
    assert report.refolded_pairs == 1  # older than what was folded: refold from all stored events
    view = progress(school, school.students[1], school.video_id)
    assert view.watched_segments == [Segment(0, 30), Segment(60, 120)]
    assert view.coverage == 0.75 and view.last_event_at == T0 + timedelta(seconds=631)
    more = Player(school.students[1], school.video_id)
    more.watch(30, 40, at=5000)
    report = ingest_events(school.tenant_id, events=more.events)
    assert report.refolded_pairs == 0  # newer than everything folded: extends the stored fold
    assert progress(school, school.students[1], school.video_id).watched_segments == [
        Segment(0, 40),
        Segment(60, 120),
    ]


def _random_viewing(rng: random.Random, player: Player, steps: int) -> None:
    at, position = 0.0, 0.0
    for _ in range(steps):
        at += rng.choice([1, 5, 10, 10, 10, 30, 120])
        kind = rng.choice(["play", "beat", "beat", "beat", "pause", "seek", "complete", "start"])
        target = round(rng.uniform(0, 120), 1)
        if kind == "beat":
            position = min(120.0, position + rng.choice([5, 10, 10, 40]))
            player.beat(position, at)
        elif kind == "seek":
            player.seek(position, target, at)
            position = target
        elif kind == "start":
            player.start(at)
        else:
            position = target if kind == "play" else min(120.0, position + rng.uniform(0, 20))
            getattr(player, kind)(position, at)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_any_batching_and_arrival_order_gives_the_fold_of_all_events(database, seed: int) -> None:
    school = make_school("order")
    rng = random.Random(seed)
    player = Player(school.students[0], school.video_id)
    _random_viewing(rng, player, 80)
    shuffled = list(player.events)
    rng.shuffle(shuffled)
    cut = sorted(rng.sample(range(1, len(shuffled)), 5))
    chunks = [shuffled[a:b] for a, b in zip([0, *cut], [*cut, len(shuffled)], strict=True)]
    for chunk in chunks:  # out of order across batches, and again with duplicates
        ingest_events(school.tenant_id, events=chunk + chunk[:3], batch_size=rng.choice([7, 50]))
    incremental = progress(school, school.students[0], school.video_id)
    reference = make_school("ref")  # one batch, in order, elsewhere
    moved = [
        {
            **e,
            "user_id": str(reference.students[0]),
            "data": {**e["data"], "video_id": str(reference.video_id)},
        }
        for e in player.events
    ]
    ingest_events(reference.tenant_id, events=moved)
    expected = progress(reference, reference.students[0], reference.video_id)
    fields = ("watched_segments", "watched_seconds", "total_watch_seconds", "coverage", "is_completed",
              "completed_at", "last_position_seconds", "last_event_at")  # fmt: skip
    assert {f: getattr(incremental, f) for f in fields} == {f: getattr(expected, f) for f in fields}
    with school.session() as s:
        assert recompute_progress(s, student_id=school.students[0], video_id=school.video_id) == incremental


def test_milestones_reached_and_milestone_details_are_left_alone(school: School) -> None:
    student = school.students[0]
    with school.session() as s:  # grading records an answer at the milestone first
        record_milestone_answer(
            s,
            student_id=student,
            video_id=school.video_id,
            milestone_id=school.milestone_id,
            fraction=0.0,
            is_correct=False,
            branch="onWrong",
            action="seek",
        )
    p = Player(student, school.video_id)
    p.play(0, 0)
    p.beat(10, 10)
    p.emit("milestone_reached", 45, milestone_id=str(school.milestone_id), position=45)
    p.emit("milestone_reached", 50, milestone_id=str(school.milestone_id), position=45)
    p.pause(45, 51)
    ingest_events(school.tenant_id, events=p.events)
    view = progress(school, student, school.video_id)
    assert view.milestones_reached == {school.milestone_id: T0 + timedelta(seconds=45)}
    assert view.watched_segments == [Segment(0, 45)]
    with school.session() as s:
        details, detours = s.execute(
            text("SELECT milestone_details, remedial_detours FROM student_progress WHERE student_id = :s"),
            {"s": student},
        ).one()
    assert details["milestones"][str(school.milestone_id)]["answered"] == 1
    assert detours == 1


def test_progress_of_one_tenant_is_invisible_to_another(school: School) -> None:
    phone, _laptop = scripted_viewing(school)
    ingest_events(school.tenant_id, events=phone.events)
    other = make_school("other")
    with other.session() as s:
        assert get_progress(s, student_id=school.students[0], video_id=school.video_id) is None
        assert s.execute(text("SELECT count(*) FROM student_progress")).scalar_one() == 0
        assert s.execute(text("SELECT count(*) FROM student_sessions")).scalar_one() == 0


def test_events_stored_some_other_way_are_folded_by_recompute(school: School) -> None:
    from datetime import datetime

    from platform_core.models import AnalyticsEvent

    student = school.students[0]
    direct = Player(student, school.video_id)
    direct.watch(0, 30, at=0)
    with school.session() as s:  # written straight into the table, not through ingest
        s.add_all(
            AnalyticsEvent(
                tenant_id=school.tenant_id,
                id=uuid.UUID(e["id"]),
                occurred_at=datetime.fromisoformat(e["occurred_at"]),
                user_id=student,
                type=e["type"],
                data=e["data"],
            )
            for e in direct.events
        )
    with school.session() as s:
        assert get_progress(s, student_id=student, video_id=school.video_id) is None
        assert recompute_progress(s, student_id=student, video_id=school.video_id).watched_segments == [
            Segment(0, 30)
        ]
    later = Player(student, school.video_id)
    later.watch(30, 60, at=100)
    report = ingest_events(school.tenant_id, events=later.events)
    assert report.refolded_pairs == 0
    assert progress(school, student, school.video_id).watched_segments == [Segment(0, 60)]


def test_a_fold_stored_by_another_version_is_refolded(school: School) -> None:
    student = school.students[0]
    first = Player(student, school.video_id)
    first.watch(0, 30, at=0)
    ingest_events(school.tenant_id, events=first.events)
    with school.session() as s:
        s.execute(text("UPDATE student_progress SET tracker_state = '{\"version\": 0}'"))
    second = Player(student, school.video_id)
    second.watch(60, 70, at=100)
    report = ingest_events(school.tenant_id, events=second.events)
    assert report.refolded_pairs == 1
    assert progress(school, student, school.video_id).watched_segments == [Segment(0, 30), Segment(60, 70)]


def test_a_progress_row_created_meanwhile_by_another_transaction_is_refolded(school: School) -> None:
    """The fold creates a missing progress row only when it writes; if another transaction created it
    since the fold looked, the pair is locked and refolded from everything stored, nothing is lost."""
    from platform_core.activity.event_parsing import parse_event
    from platform_core.activity.fold import ProgressFold, VideoInfo
    from platform_core.activity.progress import begin_fold

    student = school.students[1]
    earlier, later = Player(student, school.video_id), Player(student, school.video_id)
    earlier.watch(0, 40, at=0)
    later.watch(60, 100, at=100)
    mine = [parse_event(e) for e in later.events]
    with school.session() as s:
        pending = begin_fold(s, events=mine)
        assert pending is not None and pending.rows == {}  # no row yet for this pair
        meanwhile = ingest_events(school.tenant_id, events=earlier.events)  # creates it, commits
        assert meanwhile.progress_pairs == 1
        report = pending.finish(s, pending.compute())
    assert (report.pairs, report.refolded) == (1, 1)
    expected = ProgressFold()
    video = VideoInfo(120.0)
    expected.apply([parse_event(e) for e in earlier.events] + mine, video)
    view = progress(school, student, school.video_id)
    assert [(g.start, g.end) for g in view.watched_segments] == [(0.0, 40.0), (60.0, 100.0)]
    assert view.watched_seconds == pytest.approx(expected.summary(video)["watched_seconds"]) == 80.0
