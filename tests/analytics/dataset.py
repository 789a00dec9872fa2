"""A seeded, realistic tenant for the analytics tests, written through ``tenant_session`` like the platform.

Random but deterministic (``random.Random(seed)``): classes with overlapping rosters, lessons sharing a
video, milestones and questions of several types, watched segments, attempts with retries, grades, lesson
completion, playback events over two weeks, an A/B experiment and an AI generation history with costs.
Expected values are never stored here: the oracle recomputes them from the raw rows.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import insert

from platform_core.db.session import tenant_session
from platform_core.grading import letter_grade
from platform_core.models import (
    AIConfig,
    AIGenerationJob,
    AIProvider,
    AIRejectedCandidate,
    AIUsage,
    AnalyticsEvent,
    ClassLesson,
    Enrollment,
    Experiment,
    ExperimentAssignment,
    Grade,
    Lesson,
    LessonProgress,
    Milestone,
    Question,
    QuestionAttempt,
    QuestionReview,
    ReviewAction,
    SchoolClass,
    StudentProgress,
    StudentSession,
    Video,
    VideoGroup,
    VideoGroupVideo,
)
from platform_core.tenancy.tenants import create_tenant
from platform_core.tenancy.users import create_user

FRUITS = (
    "apple",
    "banana",
    "cherry",
    "damson",
    "elder",
    "fig",
    "grape",
    "hazel",
    "kiwi",
    "lime",
    "mango",
    "nectar",
    "olive",
    "peach",
    "quince",
    "rowan",
    "sloe",
    "tamarind",
    "ugli",
    "vanilla",
)
AT_RISK_SETTINGS = {"inactiveDays": 5, "minCoverage": 0.4, "minPercent": 65, "maxFailedAttempts": 3}


@dataclass
class Dataset:
    tenant_id: uuid.UUID
    slug: str
    now: datetime
    teacher: uuid.UUID
    students: list[uuid.UUID] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    classes: dict[str, uuid.UUID] = field(default_factory=dict)
    lessons: dict[str, uuid.UUID] = field(default_factory=dict)
    videos: dict[str, uuid.UUID] = field(default_factory=dict)
    experiment_key: str = "pause-test"


def _segments(rng: random.Random, duration: float) -> list[list[float]]:
    if rng.random() < 0.3:
        return [[0.0, duration]]
    out = []
    for _ in range(rng.randint(1, 3)):
        start = round(rng.uniform(0, duration * 0.8), 2)
        out.append([start, round(min(duration, start + rng.uniform(5, duration * 0.6)), 2)])
    out.sort()
    merged: list[list[float]] = []
    for s, e in out:
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    return merged


def build_dataset(seed: int = 7, *, n_students: int = 20) -> Dataset:
    rng = random.Random(seed)
    now = datetime.now(UTC).replace(microsecond=0)
    slug = f"an-{uuid.uuid4().hex[:8]}"
    tenant = create_tenant(slug=slug, name=f"Analytics {slug}", settings={"atRisk": AT_RISK_SETTINGS})
    tid = tenant.id
    with tenant_session(tid) as s:
        teacher = create_user(
            s, email=f"tess.teacher@{slug}.test", display_name="Tess Teacher", role="teacher"
        )
        ds = Dataset(tid, slug, now, teacher.id)
        for i in range(n_students):
            name = f"{FRUITS[i % len(FRUITS)].title()} Learner{i}"
            email = f"{FRUITS[i % len(FRUITS)]}.learner{i}@{slug}.test"
            ds.students.append(create_user(s, email=email, display_name=name, role="student").id)
            ds.emails.append(email)
            ds.names.append(name)
    with tenant_session(tid, user_id=ds.teacher) as s:
        _content(s, rng, ds)
    with tenant_session(tid, user_id=ds.teacher) as s:
        _activity(s, rng, ds)
    with tenant_session(tid, user_id=ds.teacher) as s:
        _ai(s, rng, ds)
    return ds


def _content(s: Any, rng: random.Random, ds: Dataset) -> None:
    tid = ds.tenant_id
    for key, duration in (("v1", 120.0), ("v2", 300.0), ("v3", 95.5), ("v4", 600.0)):
        vid = uuid.uuid4()
        s.add(Video(id=vid, tenant_id=tid, title=f"Video {key}", duration_seconds=duration))
        ds.videos[key] = vid
    for key in ("L1", "L2", "L3"):
        ds.lessons[key] = uuid.uuid4()
        s.add(Lesson(id=ds.lessons[key], tenant_id=tid, title=f"Lesson {key}", status="published"))
    for key, archived in (("A", False), ("B", False), ("Z", True)):
        ds.classes[key] = uuid.uuid4()
        s.add(
            SchoolClass(
                id=ds.classes[key],
                tenant_id=tid,
                name=f"Class {key}",
                teacher_id=ds.teacher,
                archived_at=ds.now if archived else None,
            )
        )
    s.flush()
    for lesson, videos in (("L1", ["v1", "v2"]), ("L2", ["v2", "v3"]), ("L3", ["v4"])):
        gid = uuid.uuid4()
        s.add(VideoGroup(id=gid, tenant_id=tid, lesson_id=ds.lessons[lesson], title=f"{lesson} part"))
        s.flush()
        for pos, v in enumerate(videos):
            s.add(VideoGroupVideo(tenant_id=tid, video_group_id=gid, video_id=ds.videos[v], position=pos))
    rosters = {"A": range(0, 12), "B": range(8, 20), "Z": range(0, 3)}
    for klass, members in rosters.items():
        for i in members:
            if i < len(ds.students):
                s.add(Enrollment(tenant_id=tid, class_id=ds.classes[klass], student_id=ds.students[i]))
    for klass, lessons in (("A", ["L1", "L2"]), ("B", ["L2", "L3"]), ("Z", ["L1"])):
        for pos, lesson in enumerate(lessons):
            s.add(
                ClassLesson(
                    tenant_id=tid, class_id=ds.classes[klass], lesson_id=ds.lessons[lesson], position=pos
                )
            )
    marks = {"v1": [30.0, 90.0], "v2": [60.0, 150.0, 240.0], "v3": [45.0], "v4": [100.0, 400.0]}
    kinds = ["multiple_choice", "true_false", "short_answer"]
    for v, stamps in marks.items():
        for t in stamps:
            mid = uuid.uuid4()
            s.add(
                Milestone(id=mid, tenant_id=tid, video_id=ds.videos[v], timestamp_seconds=t, title=f"{v}@{t}")
            )
            s.flush()
            for pos in range(rng.randint(1, 2)):
                kind = rng.choice(kinds)
                s.add(
                    Question(
                        id=uuid.uuid4(),
                        tenant_id=tid,
                        video_id=ds.videos[v],
                        milestone_id=mid,
                        type=kind,
                        prompt=f"Question {v} {t} {pos}",
                        data=_question_data(kind),
                        status="published",
                        position=pos,
                    )
                )
    s.add(
        Question(
            id=uuid.uuid4(),
            tenant_id=tid,
            video_id=ds.videos["v1"],
            type="true_false",
            prompt="Draft?",
            data={"correctAnswer": False},
            status="draft",
        )
    )


def _question_data(kind: str) -> dict[str, Any]:
    if kind == "multiple_choice":
        return {
            "options": [
                {"id": "a", "text": "Alpha", "isCorrect": True},
                {"id": "b", "text": "Beta", "isCorrect": False},
                {"id": "c", "text": "Gamma", "isCorrect": False},
                {"id": "d", "text": "Delta", "isCorrect": False},
            ]
        }
    if kind == "true_false":
        return {"correctAnswer": True}
    return {"acceptedAnswers": ["velocity"]}


def _response(rng: random.Random, kind: str, correct: bool) -> Any:
    if kind == "multiple_choice":
        return "a" if correct else rng.choice(["b", "c", "d"])
    if kind == "true_false":
        return correct
    return "velocity" if correct else rng.choice(["speed", "mass", "Velocity?"])


def _activity(s: Any, rng: random.Random, ds: Dataset) -> None:
    from sqlalchemy import select

    tid, now = ds.tenant_id, ds.now
    durations = {k: d for k, d in (("v1", 120.0), ("v2", 300.0), ("v3", 95.5), ("v4", 600.0))}
    milestones = {
        m.id: m
        for m in s.scalars(select(Milestone).where(Milestone.tenant_id == tid).order_by(Milestone.title))
    }
    questions = list(
        s.scalars(select(Question).where(Question.status == "published").order_by(Question.prompt))
    )
    events: list[dict[str, Any]] = []
    ability = {st: rng.uniform(0.2, 0.95) for st in ds.students}
    difficulty = {q.id: rng.uniform(-0.3, 0.3) for q in questions}
    watched: dict[tuple[uuid.UUID, uuid.UUID], list[list[float]]] = {}
    for i, st in enumerate(ds.students):
        inactive = i % 7 == 3  # a few students stopped two weeks ago
        for key, vid in ds.videos.items():
            if rng.random() > 0.85:
                continue
            duration = durations[key]
            segs = _segments(rng, duration)
            watched[(st, vid)] = segs
            union = sum(e - b for b, e in segs)
            coverage = min(1.0, union / duration)
            last = now - timedelta(
                days=rng.uniform(9, 13) if inactive else rng.uniform(0, 4), minutes=rng.randint(0, 600)
            )
            details = {}
            for mid, m in milestones.items():
                if m.video_id == vid and any(b <= m.timestamp_seconds <= e for b, e in segs):
                    details[str(mid)] = {
                        "reachedAt": (last - timedelta(minutes=5)).isoformat(),
                        "answered": rng.randint(0, 2),
                        "correct": rng.random() < 0.6,
                        "bestFraction": round(rng.random(), 2),
                        "branch": rng.choice(["onCorrect", "onWrong", None]),
                        "detours": rng.randint(0, 1),
                    }
            s.add(
                StudentProgress(
                    tenant_id=tid,
                    student_id=st,
                    video_id=vid,
                    watched_segments=segs,
                    watched_seconds=union,
                    total_watch_seconds=round(union * rng.uniform(1.0, 1.6), 3),
                    coverage=coverage,
                    is_completed=coverage >= 0.95,
                    completed_at=last if coverage >= 0.95 else None,
                    last_position_seconds=segs[-1][1],
                    milestone_details={"milestones": details},
                    remedial_detours=rng.randint(0, 2),
                    last_event_at=last,
                )
            )
            s.add(
                StudentSession(
                    id=uuid.uuid4(),
                    tenant_id=tid,
                    student_id=st,
                    video_id=vid,
                    position_seconds=segs[-1][1],
                    furthest_position_seconds=segs[-1][1],
                    last_seen_at=last - timedelta(minutes=rng.randint(0, 30)),
                    started_at=last - timedelta(days=1),
                )
            )
            events += _playback_events(rng, ds, st, vid, segs, last)
        if rng.random() < 0.8:
            events.append(_event(ds, st, "login", now - timedelta(days=rng.uniform(0, 14)), {}))
            events.append(
                _event(
                    ds, st, "page_view", now - timedelta(days=rng.uniform(0, 14)), {"path": f"/lessons/{i}"}
                )
            )
    s.flush()
    attempts = []
    for st in ds.students:
        for q in questions:
            if (st, q.video_id) not in watched or rng.random() > 0.75:
                continue
            at = ds.now - timedelta(days=rng.uniform(0.5, 12))
            p_correct = min(0.97, max(0.03, ability[st] - difficulty[q.id]))
            for n in range(1, 4):
                correct = rng.random() < p_correct
                frac = (
                    1.0 if correct else (0.5 if q.type == "multiple_choice" and rng.random() < 0.2 else 0.0)
                )
                attempts.append(
                    dict(
                        id=uuid.uuid4(),
                        tenant_id=tid,
                        student_id=st,
                        question_id=q.id,
                        attempt_number=n,
                        response=_response(rng, q.type, correct),
                        fraction=frac,
                        points_awarded=frac,
                        points_possible=1.0,
                        is_correct=correct,
                        submitted_at=at,
                    )
                )
                events.append(
                    _event(
                        ds,
                        st,
                        "question_attempt",
                        at,
                        {"question_id": str(q.id), "attempt_id": str(attempts[-1]["id"])},
                    )
                )
                at += timedelta(minutes=rng.randint(1, 20))
                if correct or rng.random() < 0.3:
                    break
    s.execute(insert(QuestionAttempt), attempts)
    lesson_videos = {"L1": ["v1", "v2"], "L2": ["v2", "v3"], "L3": ["v4"]}
    by_video = {}
    for q in questions:
        by_video.setdefault(q.video_id, []).append(q.id)
    for st in ds.students:
        for lesson, vids in lesson_videos.items():
            qids = {qid for v in vids for qid in by_video.get(ds.videos[v], [])}
            mine = [a for a in attempts if a["student_id"] == st and a["question_id"] in qids]
            if mine:
                best: dict[uuid.UUID, float] = {}
                for a in mine:
                    best[a["question_id"]] = max(best.get(a["question_id"], 0.0), a["fraction"])
                pct = round(100 * sum(best.values()) / len(qids), 4)
                s.add(
                    Grade(
                        tenant_id=tid,
                        student_id=st,
                        lesson_id=ds.lessons[lesson],
                        earned_points=sum(best.values()),
                        possible_points=len(qids),
                        percentage=pct,
                        letter=letter_grade(pct),
                        attempts_count=len(mine),
                        grading_method="highest",
                    )
                )
            done = [watched.get((st, ds.videos[v])) for v in vids]
            complete = all(
                d is not None and sum(e - b for b, e in d) >= 0.95 * durations[v]
                for d, v in zip(done, vids, strict=True)
            )
            if any(d is not None for d in done):
                s.add(
                    LessonProgress(
                        tenant_id=tid,
                        student_id=st,
                        lesson_id=ds.lessons[lesson],
                        videos_completed=sum(
                            1
                            for d, v in zip(done, vids, strict=True)
                            if d and sum(e - b for b, e in d) >= 0.95 * durations[v]
                        ),
                        videos_total=len(vids),
                        is_completed=complete,
                        completed_at=now if complete else None,
                    )
                )
    exp = Experiment(
        id=uuid.uuid4(),
        tenant_id=tid,
        key=ds.experiment_key,
        name="Pause at milestones",
        variants=[{"key": "control", "weight": 1}, {"key": "treatment", "weight": 1}],
        status="running",
        started_at=now - timedelta(days=14),
    )
    s.add(exp)
    s.flush()
    for i, st in enumerate(ds.students):
        s.add(
            ExperimentAssignment(
                tenant_id=tid, experiment_id=exp.id, user_id=st, variant=["control", "treatment"][i % 2]
            )
        )
    # an event whose data mentions a student (a page path) and a name: exports must scrub both
    events.append(
        _event(
            ds,
            ds.students[0],
            "page_view",
            now - timedelta(hours=1),
            {"path": f"/students/{ds.students[1]}", "referrer": ds.names[1]},
            context={"note": ds.emails[1]},
        )
    )
    s.execute(insert(AnalyticsEvent), events)


def _event(
    ds: Dataset,
    user: uuid.UUID,
    kind: str,
    at: datetime,
    data: dict[str, Any],
    context: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return dict(
        tenant_id=ds.tenant_id,
        id=uuid.uuid4(),
        occurred_at=at,
        user_id=user,
        type=kind,
        data=data,
        context=context,
        received_at=ds.now - timedelta(minutes=1),
    )


def _playback_events(
    rng: random.Random, ds: Dataset, st: uuid.UUID, vid: uuid.UUID, segs: list[list[float]], last: datetime
) -> list[dict[str, Any]]:
    """Play each watched segment with 10 s heartbeats; some segments are watched twice (a rewatch)."""
    out = []
    at = last - timedelta(hours=2)
    v = str(vid)
    out.append(_event(ds, st, "video_start", at, {"video_id": v}))
    plays = [*segs, *([segs[0]] if rng.random() < 0.4 else [])]
    for b, e in plays:
        at += timedelta(seconds=3)
        out.append(_event(ds, st, "video_play", at, {"video_id": v, "position": b}))
        pos = b
        while pos + 10 < e:
            pos += 10
            at += timedelta(seconds=10)
            out.append(
                _event(ds, st, "video_progress", at, {"video_id": v, "position": pos, "playback_rate": 1.0})
            )
        at += timedelta(seconds=e - pos)
        out.append(_event(ds, st, "video_pause", at, {"video_id": v, "position": e}))
    return out


def _ai(s: Any, rng: random.Random, ds: Dataset) -> None:
    tid, now = ds.tenant_id, ds.now
    month_start = now.replace(day=1, hour=0, minute=0, second=0)
    configs = []
    for name, provider, model, budget in (
        ("fast", AIProvider.OPENAI, "gpt-4o-mini", Decimal("50")),
        ("careful", AIProvider.ANTHROPIC, "claude-haiku", None),
    ):
        cfg = AIConfig(
            id=uuid.uuid4(),
            tenant_id=tid,
            name=name,
            provider=provider,
            model=model,
            monthly_budget_usd=budget,
        )
        s.add(cfg)
        configs.append(cfg)
    s.flush()
    videos = list(ds.videos.values())
    statuses = ["approved", "published", "rejected", "pending_review"]
    for j in range(6):
        cfg = configs[j % 2]
        created = month_start + timedelta(days=rng.uniform(0, max(0.5, (now - month_start).days)), hours=1)
        if j == 5:
            created = month_start - timedelta(days=3)  # last month
        job = AIGenerationJob(
            id=uuid.uuid4(),
            tenant_id=tid,
            video_id=rng.choice(videos),
            config_id=cfg.id,
            requested_by=ds.teacher,
            status="succeeded",
            created_at=created,
            started_at=created,
            finished_at=created + timedelta(minutes=1),
        )
        s.add(job)
        s.flush()
        for c in range(rng.randint(1, 3)):
            cost = None if (j == 1 and c == 0) else Decimal(str(round(rng.uniform(0.001, 0.08), 6)))
            s.add(
                AIUsage(
                    tenant_id=tid,
                    job_id=job.id,
                    config_id=cfg.id,
                    provider=cfg.provider.value,
                    requested_model=cfg.model,
                    returned_model=cfg.model,
                    purpose="generate" if c == 0 else "repair",
                    prompt_tokens=rng.randint(500, 3000),
                    completion_tokens=rng.randint(100, 900),
                    cached_tokens=rng.randint(0, 200),
                    status="ok",
                    cost_usd=cost,
                    created_at=created + timedelta(seconds=c),
                )
            )
        for k in range(rng.randint(1, 4)):
            q = Question(
                id=uuid.uuid4(),
                tenant_id=tid,
                video_id=job.video_id,
                type="true_false",
                prompt=f"AI {j}.{k}",
                data={"correctAnswer": True},
                status=rng.choice(statuses),
                source="ai",
                generation_job_id=job.id,
            )
            s.add(q)
            s.flush()
            if q.status in ("approved", "published", "rejected"):
                action = ReviewAction.REJECT if q.status == "rejected" else ReviewAction.APPROVE
                s.add(QuestionReview(tenant_id=tid, question_id=q.id, reviewer_id=ds.teacher, action=action))
        for _ in range(rng.randint(0, 2)):
            s.add(
                AIRejectedCandidate(
                    tenant_id=tid, job_id=job.id, candidate={"stem": "?"}, gate="quote", reason="no quote"
                )
            )
