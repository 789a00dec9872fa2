"""The plan's data model: scales, and the dataclasses describing what a seeded tenant holds.

Ids are drawn from the planner's ``random.Random`` (:func:`new_id`), so a plan is reproducible.
"""

from __future__ import annotations

import random
import unicodedata
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final


@dataclass(frozen=True)
class Scale:
    name: str
    tenants: int
    teachers: int
    classes: int
    students: int
    lessons: int
    lessons_per_class: int
    videos_per_lesson: tuple[int, int]
    weeks: int = 8


SCALES: Final[dict[str, Scale]] = {
    "small": Scale(
        "small",
        tenants=1,
        teachers=2,
        classes=3,
        students=60,
        lessons=3,
        lessons_per_class=3,
        videos_per_lesson=(3, 4),
    ),
    "medium": Scale(
        "medium",
        tenants=2,
        teachers=4,
        classes=6,
        students=150,
        lessons=6,
        lessons_per_class=3,
        videos_per_lesson=(3, 4),
    ),
    "large": Scale(
        "large",
        tenants=2,
        teachers=6,
        classes=15,
        students=1500,
        lessons=9,
        lessons_per_class=4,
        videos_per_lesson=(4, 4),
    ),
}


def new_id(rng: random.Random) -> uuid.UUID:
    """A version-4 UUID drawn from ``rng`` (deterministic for a seeded generator)."""
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def ascii_slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in plain.lower() if ch.isalnum())


@dataclass
class PersonPlan:
    id: uuid.UUID
    email: str
    name: str
    role: str
    password: str | None = None
    #: seed of this learner's own random stream (students only)
    seed: int = 0
    #: an account that exists already (the demo accounts) and is reused, not created
    existing: bool = False


@dataclass
class QuestionPlan:
    id: uuid.UUID
    type: str
    prompt: str
    data: dict[str, Any]
    explanation: str | None
    points: float
    max_attempts: int | None
    penalty: float
    #: how hard the simulator finds it (0 easy .. 1 hard); not stored
    difficulty: float


@dataclass
class MilestonePlan:
    id: uuid.UUID
    timestamp: float
    title: str
    settings: dict[str, Any]
    questions: list[QuestionPlan] = field(default_factory=list)


@dataclass
class VideoPlan:
    id: uuid.UUID
    title: str
    description: str
    duration: float
    transcript: list[dict[str, Any]]
    metadata: dict[str, Any]
    source_url: str
    prevent_skipping: str = "none"
    completion_threshold: float = 0.95
    milestones: list[MilestonePlan] = field(default_factory=list)
    remedial: bool = False


@dataclass
class GroupPlan:
    id: uuid.UUID
    title: str
    video_ids: list[uuid.UUID]


@dataclass
class LessonPlan:
    id: uuid.UUID
    title: str
    description: str
    subject: str
    settings: dict[str, Any]
    groups: list[GroupPlan]
    grading_method: str | None = None
    author_index: int = 0

    @property
    def video_ids(self) -> list[uuid.UUID]:
        return [v for g in self.groups for v in g.video_ids]


@dataclass
class AssignmentPlan:
    lesson_id: uuid.UUID
    assigned_at: datetime
    due_at: datetime


@dataclass
class ClassPlan:
    id: uuid.UUID
    name: str
    code: str
    teacher_index: int
    student_indexes: list[int]
    assignments: list[AssignmentPlan]


@dataclass
class ExperimentPlan:
    id: uuid.UUID
    key: str
    name: str
    description: str
    variants: list[dict[str, Any]]
    started_at: datetime


@dataclass
class TenantPlan:
    index: int
    slug: str
    name: str
    start: datetime
    now: datetime
    admins: list[PersonPlan]
    teachers: list[PersonPlan]
    students: list[PersonPlan]
    videos: dict[uuid.UUID, VideoPlan]
    lessons: list[LessonPlan]
    extra_lesson: LessonPlan
    classes: list[ClassPlan]
    experiments: list[ExperimentPlan]

    def questions(self) -> list[QuestionPlan]:
        return [q for v in self.videos.values() for m in v.milestones for q in m.questions]


# --------------------------------------------------------------------------------------------- plan
