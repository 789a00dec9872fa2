"""A tiny tenant whose every metric is computed by hand in the tests (see the numbers in each test).

One class of four students, one lesson with one 100 s video, milestones at 40 s and 80 s, a
multiple-choice question at the first and a true/false question at the second.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert

from platform_core.db.session import tenant_session
from platform_core.models import (
    AnalyticsEvent,
    ClassLesson,
    Enrollment,
    Grade,
    Lesson,
    LessonProgress,
    Milestone,
    Question,
    QuestionAttempt,
    SchoolClass,
    StudentProgress,
    StudentSession,
    Video,
    VideoGroup,
    VideoGroupVideo,
)
from platform_core.tenancy.tenants import create_tenant
from platform_core.tenancy.users import create_user

MC = {
    "options": [
        {"id": "a", "text": "Alpha", "isCorrect": True},
        {"id": "b", "text": "Beta", "isCorrect": False},
        {"id": "c", "text": "Gamma", "isCorrect": False},
    ]
}


@dataclass
class Tiny:
    tenant_id: uuid.UUID
    slug: str
    now: datetime
    t0: datetime  # start of the recorded playback, two days ago at 10:00 UTC
    #: the first question attempt, twenty days and an hour ago; the others follow a minute apart, on the
    #: same (UTC) day whatever the time the tests run at
    attempted_at: datetime
    s: list[uuid.UUID] = field(default_factory=list)
    ids: dict[str, uuid.UUID] = field(default_factory=dict)


def event(tiny: Tiny, user: uuid.UUID, kind: str, seconds: float, **data: Any) -> dict[str, Any]:
    return dict(
        tenant_id=tiny.tenant_id,
        id=uuid.uuid4(),
        occurred_at=tiny.t0 + timedelta(seconds=seconds),
        user_id=user,
        type=kind,
        data={"video_id": str(tiny.ids["video"]), **data} if kind != "login" else {},
    )


def build_tiny() -> Tiny:
    now = datetime.now(UTC).replace(microsecond=0)
    day = (now - timedelta(days=2)).replace(hour=10, minute=0, second=0)
    attempted_at = now - timedelta(days=20, hours=1)
    if (attempted_at + timedelta(minutes=15)).date() != attempted_at.date():
        attempted_at -= timedelta(minutes=15)  # the attempts would straddle midnight: daily figures split
    slug = f"tiny-{uuid.uuid4().hex[:8]}"
    tid = create_tenant(slug=slug, name="Tiny").id
    tiny = Tiny(tid, slug, now, day, attempted_at)
    with tenant_session(tid) as s:
        tiny.ids["teacher"] = create_user(s, email=f"t@{slug}.test", display_name="T", role="teacher").id
        for i in range(1, 5):
            tiny.s.append(
                create_user(s, email=f"s{i}@{slug}.test", display_name=f"Student {i}", role="student").id
            )
    s1, s2, s3, s4 = tiny.s
    ids = tiny.ids
    with tenant_session(tid) as s:
        ids.update(klass=uuid.uuid4(), lesson=uuid.uuid4(), video=uuid.uuid4(), group=uuid.uuid4())
        ids.update(m1=uuid.uuid4(), m2=uuid.uuid4(), q1=uuid.uuid4(), q2=uuid.uuid4())
        s.add_all(
            [
                SchoolClass(id=ids["klass"], tenant_id=tid, name="Tiny class"),
                Lesson(id=ids["lesson"], tenant_id=tid, title="Tiny lesson"),
                Video(id=ids["video"], tenant_id=tid, title="Tiny video", duration_seconds=100.0),
            ]
        )
        s.flush()
        s.add_all(
            [
                *[Enrollment(tenant_id=tid, class_id=ids["klass"], student_id=st) for st in tiny.s],
                ClassLesson(tenant_id=tid, class_id=ids["klass"], lesson_id=ids["lesson"]),
                VideoGroup(id=ids["group"], tenant_id=tid, lesson_id=ids["lesson"], title="g"),
                Milestone(id=ids["m1"], tenant_id=tid, video_id=ids["video"], timestamp_seconds=40.0),
                Milestone(id=ids["m2"], tenant_id=tid, video_id=ids["video"], timestamp_seconds=80.0),
            ]
        )
        s.flush()
        s.add_all(
            [
                VideoGroupVideo(tenant_id=tid, video_group_id=ids["group"], video_id=ids["video"]),
                Question(
                    id=ids["q1"],
                    tenant_id=tid,
                    video_id=ids["video"],
                    milestone_id=ids["m1"],
                    type="multiple_choice",
                    prompt="Pick",
                    data=MC,
                    status="published",
                ),
                Question(
                    id=ids["q2"],
                    tenant_id=tid,
                    video_id=ids["video"],
                    milestone_id=ids["m2"],
                    type="true_false",
                    prompt="True?",
                    data={"correctAnswer": True},
                    status="published",
                ),
            ]
        )
        s.flush()
        reached = (now - timedelta(days=3)).isoformat()

        def details(**by: dict[str, Any]) -> dict[str, Any]:
            return {"milestones": {str(ids[k]): {"reachedAt": reached, **v} for k, v in by.items()}}

        progress = [
            (
                s1,
                [[0.0, 100.0]],
                100.0,
                150.0,
                1.0,
                details(
                    m1={"answered": 1, "correct": True, "branch": "onCorrect"},
                    m2={"answered": 1, "correct": True, "branch": "onCorrect"},
                ),
            ),
            (
                s2,
                [[0.0, 50.0]],
                50.0,
                50.0,
                0.5,
                details(m1={"answered": 2, "correct": False, "branch": "onWrong", "detours": 1}),
            ),
            (
                s3,
                [[0.0, 30.0], [60.0, 100.0]],
                70.0,
                80.0,
                0.7,
                details(m2={"answered": 1, "correct": True, "branch": "onCorrect"}),
            ),
        ]
        seen = {s1: 1, s2: 10, s3: 3}
        for st, segs, watched, total, cov, det in progress:
            s.add(
                StudentProgress(
                    tenant_id=tid,
                    student_id=st,
                    video_id=ids["video"],
                    watched_segments=segs,
                    watched_seconds=watched,
                    total_watch_seconds=total,
                    coverage=cov,
                    is_completed=cov >= 0.95,
                    milestone_details=det,
                    last_event_at=now - timedelta(days=seen[st]),
                )
            )
            s.add(
                StudentSession(
                    id=uuid.uuid4(),
                    tenant_id=tid,
                    student_id=st,
                    video_id=ids["video"],
                    last_seen_at=now - timedelta(days=seen[st]),
                )
            )
        s.add(LessonProgress(tenant_id=tid, student_id=s1, lesson_id=ids["lesson"], is_completed=True))
        for st, pct, letter in ((s1, 95.0, "A"), (s2, 55.0, "F"), (s3, 70.0, "C-")):
            s.add(
                Grade(
                    tenant_id=tid,
                    student_id=st,
                    lesson_id=ids["lesson"],
                    percentage=pct,
                    letter=letter,
                    grading_method="penalized",
                )
            )
        when = attempted_at
        tries = [
            (s1, "q1", ["a"]),
            (s2, "q1", ["b", "a"]),
            (s3, "q1", ["c", "c"]),
            (s4, "q1", ["b"]),
            (s1, "q2", [True]),
            (s2, "q2", [False]),
            (s3, "q2", [True]),
        ]
        rows = []
        for st, q, answers in tries:
            for n, answer in enumerate(answers, start=1):
                ok = answer in ("a", True)
                rows.append(
                    dict(
                        tenant_id=tid,
                        id=uuid.uuid4(),
                        student_id=st,
                        question_id=ids[q],
                        attempt_number=n,
                        response=answer,
                        fraction=1.0 if ok else 0.0,
                        points_awarded=1.0 if ok else 0.0,
                        points_possible=1.0,
                        is_correct=ok,
                        submitted_at=when + timedelta(minutes=len(rows)),
                    )
                )
        s.execute(insert(QuestionAttempt), rows)
        s.execute(
            insert(AnalyticsEvent),
            [
                event(tiny, s1, "login", -3600),
                event(tiny, s1, "video_play", 0, position=0.0),
                event(tiny, s1, "video_progress", 10, position=10.0, playback_rate=1.0),
                event(tiny, s1, "video_progress", 20, position=20.0, playback_rate=1.0),
                event(tiny, s1, "video_pause", 25, position=25.0),
                event(tiny, s1, "video_play", 200, position=25.0),
                event(tiny, s1, "video_progress", 500, position=55.0, playback_rate=1.0),
                event(tiny, s3, "video_play", 0, position=0.0),
                event(tiny, s3, "video_pause", 30, position=30.0),
                event(tiny, s3, "video_play", 40, position=10.0),
                event(tiny, s3, "video_pause", 50, position=20.0),
            ],
        )
    return tiny
