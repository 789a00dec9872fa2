"""Builders for the activity write-path tests: a school with students, a lesson of two videos, and a player
that writes raw events (JSON-ready dicts) the way the learner-facing player does."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from platform_core.db.session import tenant_session
from platform_core.models import Lesson, Milestone, Video, VideoGroup, VideoGroupVideo
from platform_core.tenancy.tenants import create_tenant
from platform_core.tenancy.users import create_user

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


@dataclass
class School:
    tenant_id: uuid.UUID
    slug: str
    students: list[uuid.UUID]
    lesson_id: uuid.UUID
    video_id: uuid.UUID  # 120 s
    short_video_id: uuid.UUID  # 60 s, same lesson
    milestone_id: uuid.UUID  # at 45 s of video_id
    other_lesson_id: uuid.UUID  # holds video_id only

    def session(self):
        return tenant_session(self.tenant_id)

    def count(self, sql: str, **params: Any) -> int:
        with self.session() as s:
            return int(s.execute(text(sql), params).scalar_one())


def make_school(prefix: str = "act", students: int = 2) -> School:
    slug = f"{prefix}-{uuid.uuid4().hex[:10]}"
    tenant_id = create_tenant(slug=slug, name=f"School {slug}").id
    with tenant_session(tenant_id) as s:
        ids = [
            create_user(s, email=f"s{k}@{slug}.test", display_name=f"S{k}", role="student").id
            for k in range(students)
        ]
        lesson = Lesson(id=uuid.uuid4(), tenant_id=tenant_id, title="Motion")
        other = Lesson(id=uuid.uuid4(), tenant_id=tenant_id, title="Review")
        video = Video(id=uuid.uuid4(), tenant_id=tenant_id, title="Velocity", duration_seconds=120.0)
        short = Video(id=uuid.uuid4(), tenant_id=tenant_id, title="Speed", duration_seconds=60.0,
                      source_url="https://videos.example/speed.mp4")  # fmt: skip
        s.add_all([lesson, other, video, short])
        s.flush()
        groups = [
            VideoGroup(id=uuid.uuid4(), tenant_id=tenant_id, lesson_id=lesson.id, title="Part 1", position=0),
            VideoGroup(id=uuid.uuid4(), tenant_id=tenant_id, lesson_id=lesson.id, title="Part 2", position=1),
            VideoGroup(id=uuid.uuid4(), tenant_id=tenant_id, lesson_id=other.id, title="Again", position=0),
        ]
        milestone = Milestone(id=uuid.uuid4(), tenant_id=tenant_id, video_id=video.id, timestamp_seconds=45.0)
        s.add_all([*groups, milestone])
        s.flush()
        s.add_all(
            [
                VideoGroupVideo(tenant_id=tenant_id, video_group_id=groups[0].id, video_id=video.id),
                VideoGroupVideo(tenant_id=tenant_id, video_group_id=groups[1].id, video_id=short.id),
                VideoGroupVideo(tenant_id=tenant_id, video_group_id=groups[2].id, video_id=video.id),
            ]
        )
    return School(tenant_id, slug, ids, lesson.id, video.id, short.id, milestone.id, other.id)


@pytest.fixture
def school(database) -> School:
    return make_school()


@dataclass
class Player:
    """Raw events of one student on one device; ``at`` is seconds after :data:`T0` on the device clock."""

    user_id: uuid.UUID
    video_id: uuid.UUID
    session_id: uuid.UUID | None = None
    events: list[dict[str, Any]] = field(default_factory=list)

    def emit(self, kind: str, at: float, **data: Any) -> dict[str, Any]:
        event: dict[str, Any] = {
            "id": str(uuid.uuid4()),
            "type": kind,
            "occurred_at": (T0 + timedelta(seconds=at)).isoformat(),
            "user_id": str(self.user_id),
            "data": {"video_id": str(self.video_id), **data},
        }
        if self.session_id is not None:
            event["session_id"] = str(self.session_id)
        self.events.append(event)
        return event

    def start(self, at: float) -> dict[str, Any]:
        return self.emit("video_start", at)

    def play(self, position: float, at: float) -> dict[str, Any]:
        return self.emit("video_play", at, position=position)

    def pause(self, position: float, at: float) -> dict[str, Any]:
        return self.emit("video_pause", at, position=position)

    def seek(self, start: float, to: float, at: float) -> dict[str, Any]:
        return self.emit("video_seek", at, **{"from": start, "to": to})

    def beat(self, position: float, at: float, rate: float = 1.0) -> dict[str, Any]:
        return self.emit("video_progress", at, position=position, playback_rate=rate)

    def complete(self, position: float, at: float) -> dict[str, Any]:
        return self.emit("video_complete", at, position=position)

    def watch(self, start: float, end: float, at: float, step: float = 10.0) -> float:
        """play at ``start``, heartbeats every ``step`` s, pause at ``end``; returns the clock after."""
        self.play(start, at)
        position = start
        while position + step < end:
            position += step
            at += step
            self.beat(position, at)
        at += end - position
        self.pause(end, at)
        return at


def scripted_viewing(school: School, student: int = 0) -> tuple[Player, Player]:
    """The acceptance scenario: on a phone, play 0-30, seek to 60, play 60-90, rewatch 10-20; then a
    laptop resumes at 90 and plays to the end (120)."""
    phone = Player(school.students[student], school.video_id, session_id=uuid.uuid4())
    laptop = Player(school.students[student], school.video_id, session_id=uuid.uuid4())
    phone.start(0)
    phone.play(0, 1)
    phone.beat(10, 11)
    phone.beat(20, 21)
    phone.pause(30, 31)
    phone.seek(30, 60, 32)
    phone.play(60, 33)
    phone.beat(70, 43)
    phone.beat(80, 53)
    phone.pause(90, 63)
    phone.seek(90, 10, 64)
    phone.play(10, 65)
    phone.pause(20, 75)
    laptop.start(600)
    laptop.play(90, 601)
    laptop.beat(100, 611)
    laptop.beat(110, 621)
    laptop.complete(120, 631)
    return phone, laptop


@pytest.fixture
def owner_conn(database) -> Iterator[Any]:
    """An owner connection (bypasses RLS) for assertions on raw tables."""
    with database.owner().connect() as conn:
        yield conn
