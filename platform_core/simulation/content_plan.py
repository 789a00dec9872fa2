"""A deterministic plan of what ``ilp seed`` creates: tenants, people, classes, lessons, videos, milestones,
questions and experiments, with every id drawn from one ``random.Random``.

Planning is pure (no database): the same seed, scale and ``now`` give the same plan, ids included, which is
what makes two seeded databases comparable. ``seed.py`` writes the plan through the content services.
"""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta
from typing import Any, Final

from platform_core.simulation.corpus import (
    SUBJECT_NAMES,
    _words,
    cue_start_before,
    make_transcript,
    person_name,
)
from platform_core.simulation.plan_model import (
    SCALES,
    AssignmentPlan,
    ClassPlan,
    ExperimentPlan,
    GroupPlan,
    LessonPlan,
    MilestonePlan,
    PersonPlan,
    QuestionPlan,
    Scale,
    TenantPlan,
    VideoPlan,
    ascii_slug,
    new_id,
)
from platform_core.simulation.questions import QUESTION_TYPES, build_question
from platform_core.simulation.topics import SUBJECTS, Topic, topics_of

SCHOOL_NAMES: Final = _words(
    "Riverside Academy, Northfield High School, Lakeside College, St. Aldric's School, Hillcrest Academy, "
    "Meadowbank School, Harbour View College, Oakwood Secondary, Kingsbridge School, Elmstead Academy",
    ", ",
)


def _person(rng: random.Random, role: str, slug: str, used: set[str], number: int) -> PersonPlan:
    first, last = person_name(rng)
    base = f"{ascii_slug(first)}.{ascii_slug(last)}"
    email = f"{base}@{slug}.example.edu"
    if email in used:
        email = f"{base}{number}@{slug}.example.edu"
    used.add(email)
    return PersonPlan(new_id(rng), email, f"{first} {last}", role, seed=rng.getrandbits(63))


def _metadata(rng: random.Random) -> dict[str, Any]:
    width, height = rng.choice([(1920, 1080), (1920, 1080), (1280, 720)])
    bitrate = 4500 if height == 1080 else 2500
    return {
        "resolution": {"width": width, "height": height},
        "videoCodec": "h264",
        "audioCodec": "aac",
        "bitrateKbps": bitrate + rng.randrange(-300, 300),
        "frameRate": rng.choice([25.0, 30.0]),
        "language": "en",
        "processing": {
            "pipeline": "transcode-v2",
            "renditions": ["1080p", "720p", "480p"][: 3 if height == 1080 else 2],
        },
    }


def _video(rng: random.Random, slug: str, topic: Topic, index: int, *, remedial: bool) -> VideoPlan:
    part = topic.recap if remedial else topic.parts[index]
    duration = round(rng.uniform(80, 140) if remedial else rng.uniform(180, 420), 1)
    video_id = new_id(rng)
    return VideoPlan(
        id=video_id,
        title=part.title if remedial else f"{topic.title} {index + 1}: {part.title}",
        description=(
            f"A slower recap of {topic.title.lower()} for anyone who needs another look."
            if remedial
            else f"Part {index + 1} of {topic.title}. {topic.description}"
        ),
        duration=duration,
        transcript=make_transcript(rng, part, topic, duration),
        metadata=_metadata(rng),
        source_url=f"https://media.{slug}.example.edu/videos/{video_id}/master.m3u8",
        prevent_skipping="none" if remedial or rng.random() < 0.75 else "forward",
        remedial=remedial,
    )


#: Milestone behaviours (EVENTS.md) and how often the plan uses each.
BEHAVIOURS: Final = (("stop", 0.3), ("require", 0.2), ("seek", 0.2), ("jump", 0.25), ("overlay", 0.05))


def _settings(
    rng: random.Random, kind: str, video: VideoPlan, at: float, remedial_id: uuid.UUID
) -> dict[str, Any]:
    back = cue_start_before(video.transcript, at, back=rng.uniform(25, 70))
    if kind == "stop":
        return {"pause": True, "onCorrect": {"action": "continue", "message": "Well done!"}}
    if kind == "require":
        return {
            "pause": True,
            "requireCorrect": True,
            "onWrong": {"action": "seek", "to": back, "message": "Let's watch that part again."},
        }
    if kind == "seek":
        return {
            "pause": True,
            "onWrong": {"action": "seek", "to": back, "message": "Rewind and listen again."},
        }
    if kind == "jump":
        return {
            "pause": True,
            "onWrong": {
                "action": "jump",
                "to": str(remedial_id),
                "message": "Watch the recap, then try again.",
            },
        }
    return {"pause": False}


def _question(
    rng: random.Random, topic: Topic, kind: str, milestone: MilestonePlan, counters: dict[str, int]
) -> None:
    built = build_question(rng, topic, kind, counters)
    # A stop that requires a correct answer caps the retries, so nobody is stuck there for good.
    required = bool(milestone.settings.get("requireCorrect"))
    milestone.questions.append(
        QuestionPlan(
            id=new_id(rng),
            type=kind,
            prompt=built.prompt,
            data=built.data,
            explanation=built.explanation,
            points=built.points,
            max_attempts=3 if required else rng.choice([None, 2, 3, 3]),
            penalty=rng.choice([1 / 3, 1 / 3, 0.25, 0.5]),
            difficulty=min(1.0, max(0.0, built.difficulty + rng.gauss(0, 0.08))),
        )
    )


def _milestones(
    rng: random.Random,
    topic: Topic,
    video: VideoPlan,
    remedial_id: uuid.UUID,
    types: list[str],
    counters: dict[str, int],
) -> None:
    count = 1 if rng.random() < 0.35 else 2
    spots = [rng.uniform(0.35, 0.55)] if count == 1 else [rng.uniform(0.3, 0.45), rng.uniform(0.7, 0.9)]
    for number, spot in enumerate(spots, start=1):
        at = round(video.duration * spot, 1)
        kind = rng.choices([b for b, _ in BEHAVIOURS], weights=[w for _, w in BEHAVIOURS])[0]
        milestone = MilestonePlan(
            new_id(rng), at, f"Check {number}", _settings(rng, kind, video, at, remedial_id)
        )
        for _ in range(1 if rng.random() < 0.6 else 2):
            _question(rng, topic, types.pop(0) if types else rng.choice(QUESTION_TYPES), milestone, counters)
        video.milestones.append(milestone)


def _lesson(
    rng: random.Random,
    slug: str,
    topic: Topic,
    scale: Scale,
    videos: dict[uuid.UUID, VideoPlan],
    remedial: VideoPlan,
    author: int,
) -> LessonPlan:
    n = rng.randint(*scale.videos_per_lesson)
    planned = [_video(rng, slug, topic, i, remedial=False) for i in range(n)]
    types = rng.sample(list(QUESTION_TYPES), len(QUESTION_TYPES))  # every type at least once per lesson
    counters: dict[str, int] = {}
    for video in planned:
        _milestones(rng, topic, video, remedial.id, types, counters)
        videos[video.id] = video
    stops = [m for video in planned for m in video.milestones]
    for number, kind in enumerate(types):  # types not asked yet: add them to the lesson's stops in turn
        _question(rng, topic, kind, stops[number % len(stops)], counters)
    split = (n + 1) // 2
    groups = [
        GroupPlan(new_id(rng), "Getting started", [v.id for v in planned[:split]]),
        GroupPlan(new_id(rng), "Going further", [v.id for v in planned[split:]]),
    ]
    return LessonPlan(
        id=new_id(rng),
        title=topic.title,
        description=topic.description,
        subject=topic.subject,
        settings={
            "subject": topic.subject,
            "estimatedMinutes": round(sum(v.duration for v in planned) / 60) + 5,
            "showExplanations": True,
        },
        groups=[g for g in groups if g.video_ids],
        grading_method=rng.choice([None, None, "penalized", "highest"]),
        author_index=author,
    )


def _pick_topics(rng: random.Random, count: int) -> list[Topic]:
    """``count`` topics spread over the subjects (round robin), in a seeded order."""
    by_subject = {s: rng.sample(topics_of(s), len(topics_of(s))) for s in SUBJECTS}
    picked: list[Topic] = []
    while len(picked) < count:
        for subject in SUBJECTS:
            if by_subject[subject] and len(picked) < count:
                picked.append(by_subject[subject].pop(0))
        if not any(by_subject.values()):
            break
    return picked


def plan_tenant(seed: int, scale: Scale, index: int, *, now: datetime, slug: str) -> TenantPlan:
    """Everything one seeded tenant holds. ``now`` anchors the simulated weeks; it must be timezone-aware."""
    if now.tzinfo is None:
        raise ValueError("now: must be timezone-aware")
    rng = random.Random(f"ilp-seed:{seed}:{scale.name}:{index}")
    used: set[str] = set()
    admins = [_person(rng, "admin", slug, used, 0), _person(rng, "researcher", slug, used, 0)]
    teachers = [_person(rng, "teacher", slug, used, i) for i in range(scale.teachers)]
    students = [_person(rng, "student", slug, used, i) for i in range(scale.students)]
    videos: dict[uuid.UUID, VideoPlan] = {}
    lessons: list[LessonPlan] = []
    extra_groups: dict[str, GroupPlan] = {}
    for number, topic in enumerate(_pick_topics(rng, scale.lessons)):
        remedial = _video(rng, slug, topic, 0, remedial=True)
        videos[remedial.id] = remedial
        lesson = _lesson(rng, slug, topic, scale, videos, remedial, number % scale.teachers)
        lessons.append(lesson)
        group = extra_groups.setdefault(
            topic.subject, GroupPlan(new_id(rng), f"{SUBJECT_NAMES[topic.subject]} recaps", [])
        )
        group.video_ids.append(remedial.id)
        group.video_ids.append(lesson.video_ids[0])  # reuse: the lesson's first video, for revision
    extra = LessonPlan(
        id=new_id(rng),
        title="Extra help",
        description="Recaps of every topic, and the opening video of each lesson for revision.",
        subject="mixed",
        settings={"showExplanations": True},
        groups=list(extra_groups.values()),
    )
    start = now - timedelta(weeks=scale.weeks)
    classes = _classes(rng, scale, lessons, start, now, len(students))
    experiments = [
        ExperimentPlan(
            new_id(rng),
            "retry-hints",
            "Hints on retry",
            "Show a hint from the transcript when a learner retries a milestone question.",
            [
                {"key": "control", "name": "No hint", "weight": 50},
                {"key": "hints", "name": "Hint on retry", "weight": 50},
            ],
            start,
        ),
        ExperimentPlan(
            new_id(rng),
            "speed-nudge",
            "Playback speed nudge",
            "Suggest 1.25x playback to learners who pause a lot.",
            [
                {"key": "control", "name": "No nudge", "weight": 50},
                {"key": "nudge", "name": "Speed nudge", "weight": 50},
            ],
            start,
        ),
    ]
    name = SCHOOL_NAMES[(seed + index) % len(SCHOOL_NAMES)]
    return TenantPlan(
        index,
        slug,
        name,
        start,
        now,
        admins,
        teachers,
        students,
        videos,
        lessons,
        extra,
        classes,
        experiments,
    )


def _classes(
    rng: random.Random, scale: Scale, lessons: list[LessonPlan], start: datetime, now: datetime, students: int
) -> list[ClassPlan]:
    order = list(range(students))
    rng.shuffle(order)
    per_class = [order[i :: scale.classes] for i in range(scale.classes)]
    classes: list[ClassPlan] = []
    span = (now - start) / max(1, scale.lessons_per_class)
    for number in range(scale.classes):
        year = 7 + number % 4
        letter = "ABCDEFGHJK"[number // 4 % 10]
        count = min(scale.lessons_per_class, len(lessons))
        first = (number * count) % len(lessons)
        chosen = [lessons[(first + k) % len(lessons)] for k in range(count)]
        assignments = []
        for k, lesson in enumerate(chosen):
            assigned = start + span * k + timedelta(hours=rng.randrange(0, 48))
            assignments.append(AssignmentPlan(lesson.id, assigned, assigned + span + timedelta(days=3)))
        classes.append(
            ClassPlan(
                new_id(rng),
                f"Year {year}{letter}",
                f"Y{year}{letter}-{number + 1:02d}",
                number % scale.teachers,
                sorted(per_class[number]),
                assignments,
            )
        )
    return classes


__all__ = [
    "SCALES",
    "AssignmentPlan",
    "ClassPlan",
    "ExperimentPlan",
    "GroupPlan",
    "LessonPlan",
    "MilestonePlan",
    "PersonPlan",
    "QuestionPlan",
    "Scale",
    "TenantPlan",
    "VideoPlan",
    "new_id",
    "plan_tenant",
]
