"""Session sync: heartbeats from several devices, stale and duplicate updates, resume, idle cleanup."""

from __future__ import annotations

import random
import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from platform_core.activity.sessions import (
    get_session,
    mark_idle_sessions,
    resume_position,
    sync_session,
)
from platform_core.validation import InvalidInput
from tests.activity_db.conftest import T0, School, make_school


def sync(school: School, position: float, second: float, **kwargs):
    with school.session() as s:
        return sync_session(
            s,
            student_id=kwargs.pop("student_id", school.students[0]),
            video_id=kwargs.pop("video_id", school.video_id),
            position=position,
            client_at=T0 + timedelta(seconds=second),
            **kwargs,
        )


def test_first_update_creates_the_session_and_newer_ones_move_it(school: School) -> None:
    first = sync(school, 12.5, 10, device_fingerprint="phone-1", device_info={"kind": "phone", "os": "iOS"})
    assert first.created and first.applied
    assert (first.position_seconds, first.furthest_position_seconds) == (12.5, 12.5)
    assert first.device_info == {"kind": "phone", "os": "iOS"} and first.is_active
    assert first.last_client_at == T0 + timedelta(seconds=10)
    second = sync(school, 22.5, 20, state={"playbackRate": 1.5, "captions": True})
    assert second.applied and not second.created and second.id == first.id
    assert second.position_seconds == 22.5
    assert second.device_fingerprint == "phone-1"  # None keeps what is stored
    assert second.state == {"playbackRate": 1.5, "captions": True}
    assert second.device_info == {"kind": "phone", "os": "iOS"}


def test_stale_and_duplicate_updates_never_move_the_session_back(school: School) -> None:
    sync(school, 50, 50, device_fingerprint="laptop", state={"playbackRate": 2.0})
    stale = sync(school, 10, 40, device_fingerprint="phone", state={"playbackRate": 1.0})
    assert not stale.applied
    assert (stale.position_seconds, stale.device_fingerprint, stale.state) == (
        50,
        "laptop",
        {"playbackRate": 2.0},
    )
    duplicate = sync(school, 50, 50, device_fingerprint="laptop")
    assert not duplicate.applied and duplicate.position_seconds == 50
    # a stale update still proves the device was there: the furthest point may grow, the position does not
    late_but_further = sync(school, 80, 45)
    assert not late_but_further.applied
    assert (late_but_further.position_seconds, late_but_further.furthest_position_seconds) == (50, 80)
    assert late_but_further.last_seen_at >= duplicate.last_seen_at
    going_back = sync(school, 5, 60)  # the learner went back on purpose: newer, so it applies
    assert going_back.applied and going_back.position_seconds == 5
    assert going_back.furthest_position_seconds == 80


def test_a_second_device_resumes_where_the_first_stopped(school: School) -> None:
    student = school.students[1]
    with school.session() as s:
        assert resume_position(s, student_id=student, video_id=school.video_id) == 0.0
        with pytest.raises(InvalidInput, match="prefer"):
            resume_position(s, student_id=student, video_id=school.video_id, prefer="middle")  # type: ignore[arg-type]
    for second, position in ((1, 0), (11, 10), (21, 20), (31, 30), (32, 60), (62, 90), (64, 10), (74, 20)):
        sync(school, position, second, student_id=student, device_fingerprint="phone")
    with school.session() as s:
        assert resume_position(s, student_id=student, video_id=school.video_id) == 20.0
        assert resume_position(s, student_id=student, video_id=school.video_id, prefer="furthest") == 90.0
    laptop = sync(
        school, 90, 600, student_id=student, device_fingerprint="laptop", device_info={"kind": "desktop"}
    )
    assert (
        laptop.applied and laptop.device_fingerprint == "laptop" and laptop.device_info == {"kind": "desktop"}
    )
    phone_late = sync(school, 25, 80, student_id=student, device_fingerprint="phone")  # phone's queued retry
    assert not phone_late.applied and phone_late.device_fingerprint == "laptop"
    with school.session() as s:
        assert resume_position(s, student_id=student, video_id=school.video_id) == 90.0


def test_a_clock_in_the_future_cannot_lock_other_devices_out(school: School) -> None:
    with school.session() as s:
        future = sync_session(
            s,
            student_id=school.students[0],
            video_id=school.video_id,
            position=30,
            client_at=datetime.now(UTC) + timedelta(days=365),
            device_fingerprint="bad-clock",
        )
    assert future.last_client_at is not None and future.last_client_at <= datetime.now(UTC)
    with school.session() as s:
        honest = sync_session(
            s,
            student_id=school.students[0],
            video_id=school.video_id,
            position=40,
            client_at=datetime.now(UTC) + timedelta(seconds=1),
            device_fingerprint="good-clock",
        )
    assert honest.applied and honest.position_seconds == 40


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"position": -1.0}, "position"),
        ({"position": float("nan")}, "position"),
        ({"position": True}, "position"),
        ({"position": 121.0}, "position"),
        ({"client_at": datetime(2025, 3, 1, 9)}, "client_at"),
        ({"device_fingerprint": " "}, "device_fingerprint"),
        ({"device_fingerprint": "x" * 129}, "device_fingerprint"),
        ({"device_info": {"kind": "toaster"}}, "device_info.kind"),
        ({"state": {"playbackRate": 0}}, "state.playbackRate"),
        ({"student_id": uuid.uuid4()}, "student_id"),
        ({"student_id": "someone"}, "student_id"),
        ({"device_fingerprint": 42}, "device_fingerprint"),
        ({"video_id": uuid.uuid4()}, "video_id"),
    ],
)
def test_bad_updates_are_refused_naming_the_field(school: School, kwargs: dict, field: str) -> None:
    params = {
        "student_id": school.students[0],
        "video_id": school.video_id,
        "position": 10.0,
        "client_at": T0,
        **kwargs,
    }
    with school.session() as s, pytest.raises(InvalidInput) as info:
        sync_session(s, **params)
    assert info.value.field == field
    assert school.count("SELECT count(*) FROM student_sessions") == 0


def test_positions_just_past_the_end_are_clamped(school: School) -> None:
    view = sync(school, 120.4, 5)
    assert view.position_seconds == 120.0 and view.furthest_position_seconds == 120.0


def test_another_tenants_student_or_video_is_refused(school: School) -> None:
    other = make_school("sess-other")
    with pytest.raises(InvalidInput, match="student_id"):
        sync(school, 1, 1, student_id=other.students[0])
    with pytest.raises(InvalidInput, match="video_id"):
        sync(school, 1, 1, video_id=other.video_id)
    sync(school, 1, 1)
    with other.session() as s:
        assert get_session(s, student_id=school.students[0], video_id=school.video_id) is None


def test_concurrent_out_of_order_heartbeats_end_at_the_newest(school: School) -> None:
    """Eight writers deliver 80 heartbeats in random order: the result is the newest one."""
    beats = [(second, float(second)) for second in range(1, 81)]
    random.Random(7).shuffle(beats)
    errors: list[BaseException] = []

    def deliver(part: list[tuple[int, float]]) -> None:
        try:
            for second, position in part:
                sync(school, position, second, device_fingerprint=f"d{second % 3}")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=deliver, args=(beats[k::8],)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with school.session() as s:
        view = get_session(s, student_id=school.students[0], video_id=school.video_id)
    assert view is not None
    assert (view.position_seconds, view.furthest_position_seconds) == (80.0, 80.0)
    assert view.last_client_at == T0 + timedelta(seconds=80)
    assert view.device_fingerprint == f"d{80 % 3}"


def test_idle_sessions_are_marked_inactive(school: School) -> None:
    sync(school, 10, 10)
    sync(school, 10, 10, student_id=school.students[1])
    sync(school, 10, 10, video_id=school.short_video_id)
    with school.session() as s:
        s.execute(
            text(
                "UPDATE student_sessions SET last_seen_at = now() - interval '2 hours' WHERE student_id = :s"
            ),
            {"s": school.students[1]},
        )
        assert mark_idle_sessions(s, idle_after=timedelta(minutes=30)) == 1
        assert mark_idle_sessions(s, idle_after=timedelta(minutes=30)) == 0
        with pytest.raises(InvalidInput, match="idle_after"):
            mark_idle_sessions(s, idle_after=timedelta(0))
    assert school.count("SELECT count(*) FROM student_sessions WHERE NOT is_active") == 1
    woken = sync(school, 20, 30, student_id=school.students[1])
    assert woken.is_active and woken.applied
    other = make_school("idle-other")  # another tenant's cleanup touches nothing here
    with other.session() as s:
        assert mark_idle_sessions(s, idle_after=timedelta(seconds=1)) == 0


def test_idle_cleanup_uses_a_partial_index_on_active_sessions(school: School, owner_conn) -> None:
    """With many sessions, few of them active, the cleanup reads the small partial index, not the table."""
    owner_conn.execute(
        text(
            """
            WITH u AS (
                INSERT INTO users (tenant_id, id, email, display_name, role)
                SELECT :t, gen_random_uuid(), 'bulk' || g || '@example.test', 'B', 'student'
                FROM generate_series(1, 2000) AS g RETURNING id)
            INSERT INTO student_sessions (tenant_id, student_id, video_id, is_active, last_seen_at)
            SELECT :t, u.id, :v, random() < 0.02, now() - interval '1 h' - random() * interval '3 days'
            FROM u
            """
        ),
        {"t": school.tenant_id, "v": school.video_id},
    )
    owner_conn.execute(text("ANALYZE student_sessions"))
    owner_conn.commit()
    with school.session() as s:
        plan = "\n".join(
            s.execute(
                text(
                    "EXPLAIN UPDATE student_sessions SET is_active = false "
                    "WHERE tenant_id = :t AND is_active AND last_seen_at < now() - CAST(:idle AS interval)"
                ),
                {"t": school.tenant_id, "idle": timedelta(minutes=30)},
            ).scalars()
        )
        # either partial index on active sessions (both lead with tenant_id and hold last_seen_at)
        assert (
            "ix_student_sessions_active_last_seen" in plan or "idx_student_sessions_student_active" in plan
        ), plan
        active = s.execute(text("SELECT count(*) FROM student_sessions WHERE is_active")).scalar_one()
        assert mark_idle_sessions(s, idle_after=timedelta(minutes=30)) == active
