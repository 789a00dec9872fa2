"""Builders for grading tests: a tenant with students, lessons, videos, milestones and questions.

Every row is written through the application role with ``tenant_session``, like the platform writes them.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from platform_core.db.session import tenant_session
from platform_core.models import Grade, Lesson, Milestone, Question, Video, VideoGroup, VideoGroupVideo
from platform_core.tenancy.tenants import create_tenant
from platform_core.tenancy.users import create_user

TRUE_FALSE: dict[str, Any] = {"correctAnswer": True}
CHOICE: dict[str, Any] = {
    "options": [
        {"id": "a", "text": "2", "isCorrect": True},
        {"id": "b", "text": "3", "fraction": 0.5},
        {"id": "c", "text": "4"},
    ]
}
SHORT: dict[str, Any] = {"acceptedAnswers": ["Paris", {"text": "Par*", "fraction": 0.25}]}


class World:
    """One tenant and helpers that add content to it."""

    def __init__(self, settings: dict[str, Any] | None = None) -> None:
        slug = f"grade-{uuid.uuid4().hex[:10]}"
        self.tenant_id = create_tenant(slug=slug, name=f"School {slug}", settings=settings).id
        self.slug = slug
        with tenant_session(self.tenant_id) as s:
            self.teacher_id = create_user(
                s, email=f"teacher@{slug}.test", display_name="Teacher", role="teacher"
            ).id

    def session(self):
        return tenant_session(self.tenant_id)

    def student(self, name: str | None = None) -> uuid.UUID:
        name = name or uuid.uuid4().hex[:8]
        with self.session() as s:
            return create_user(s, email=f"{name}@{self.slug}.test", display_name=name, role="student").id

    def video(self, title: str = "Video", *, completion_threshold: float = 0.95) -> uuid.UUID:
        with self.session() as s:
            video = Video(
                id=uuid.uuid4(),
                tenant_id=self.tenant_id,
                title=title,
                duration_seconds=300.0,
                completion_threshold=completion_threshold,
            )
            s.add(video)
        return video.id

    def lesson(
        self, groups: list[list[uuid.UUID]], *, grading_method: str | None = None, title: str = "Lesson"
    ) -> uuid.UUID:
        """A lesson whose video groups hold the given videos, in order."""
        with self.session() as s:
            lesson = Lesson(
                id=uuid.uuid4(),
                tenant_id=self.tenant_id,
                title=title,
                grading_method=grading_method,
                status="published",
            )
            s.add(lesson)
            s.flush()
            for g_pos, videos in enumerate(groups):
                group = VideoGroup(
                    id=uuid.uuid4(),
                    tenant_id=self.tenant_id,
                    lesson_id=lesson.id,
                    title=f"G{g_pos}",
                    position=g_pos,
                )
                s.add(group)
                s.flush()
                for v_pos, video_id in enumerate(videos):
                    s.add(
                        VideoGroupVideo(
                            tenant_id=self.tenant_id,
                            video_group_id=group.id,
                            video_id=video_id,
                            position=v_pos,
                        )
                    )
        return lesson.id

    def milestone(
        self, video_id: uuid.UUID, settings: dict[str, Any] | None = None, at: float = 30.0
    ) -> uuid.UUID:
        with self.session() as s:
            milestone = Milestone(
                id=uuid.uuid4(),
                tenant_id=self.tenant_id,
                video_id=video_id,
                timestamp_seconds=at,
                settings=settings or {},
            )
            s.add(milestone)
        return milestone.id

    def question(
        self,
        video_id: uuid.UUID,
        *,
        type: str = "true_false",
        data: dict[str, Any] | None = None,
        points: float = 1.0,
        max_attempts: int | None = None,
        penalty: float = 1 / 3,
        status: str = "published",
        milestone_id: uuid.UUID | None = None,
        position: int = 0,
    ) -> uuid.UUID:
        with self.session() as s:
            question = Question(
                id=uuid.uuid4(),
                tenant_id=self.tenant_id,
                video_id=video_id,
                milestone_id=milestone_id,
                type=type,
                prompt="?",
                data=data if data is not None else TRUE_FALSE,
                points=points,
                max_attempts=max_attempts,
                penalty=penalty,
                status=status,
                position=position,
            )
            s.add(question)
        return question.id

    def grade(self, student_id: uuid.UUID, lesson_id: uuid.UUID) -> Grade | None:
        with self.session() as s:
            return s.scalars(
                select(Grade).where(Grade.student_id == student_id, Grade.lesson_id == lesson_id)
            ).one_or_none()


@pytest.fixture
def world(database) -> World:
    return World()


@pytest.fixture
def make_world(database) -> Callable[..., World]:
    return World
