"""Lessons and their video groups: create, update, publish, delete, list, outline and reorder.

Every function takes a ``Session`` from ``tenant_session`` and works inside the caller's transaction, so a
rejected write (an :class:`~platform_core.validation.InvalidInput` naming the field) leaves nothing behind
once the ``tenant_session`` block rolls back.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import ConfigDict, Field
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from platform_core.content.common import (
    UNSET,
    _Unset,
    acting_user,
    as_enum,
    as_uuid,
    check_permutation,
    fetch,
    optional_text,
    required_text,
    tenant_of,
)
from platform_core.models import GradingMethod, Lesson, LessonStatus, Video, VideoGroup, VideoGroupVideo
from platform_core.validation import InvalidInput, JsonModel, validated_json


class LessonSettings(JsonModel):
    """``lessons.settings``: how the player presents the lesson. Unknown keys are kept for other features."""

    model_config = ConfigDict(extra="allow")

    sequential: bool = False
    show_explanations: bool = Field(default=True, alias="showExplanations")
    prevent_skipping: Literal["none", "forward", "both"] | None = Field(default=None, alias="preventSkipping")
    estimated_minutes: int | None = Field(default=None, alias="estimatedMinutes", ge=1, le=10_000)
    subject: str | None = Field(default=None, max_length=64)
    level: str | None = Field(default=None, max_length=64)


def _settings(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidInput("settings", "must be an object")
    return validated_json(LessonSettings, value, root="settings")


def _grading_method(value: Any) -> GradingMethod | None:
    return None if value is None else as_enum(GradingMethod, value, "grading_method")


# ------------------------------------------------------------------------------------------ lessons
def create_lesson(
    session: Session,
    *,
    title: str,
    description: str | None = None,
    grading_method: GradingMethod | str | None = None,
    settings: dict[str, Any] | None = None,
    id: uuid.UUID | None = None,
) -> Lesson:
    """A new lesson in draft, owned by the acting user."""
    lesson = Lesson(
        id=id or uuid.uuid4(),
        tenant_id=tenant_of(session),
        title=required_text(title, "title"),
        description=optional_text(description, "description"),
        grading_method=_grading_method(grading_method),
        settings=_settings(settings),
        status=LessonStatus.DRAFT,
        created_by=acting_user(session),
    )
    session.add(lesson)
    session.flush()
    return lesson


def get_lesson(session: Session, *, lesson_id: uuid.UUID | str) -> Lesson:
    return fetch(session, Lesson, lesson_id, "lesson_id")


def update_lesson(
    session: Session,
    *,
    lesson_id: uuid.UUID | str,
    title: str | _Unset = UNSET,
    description: str | _Unset | None = UNSET,
    grading_method: GradingMethod | str | _Unset | None = UNSET,
    settings: dict[str, Any] | _Unset | None = UNSET,
) -> Lesson:
    """Change the given fields only (``settings`` replaces the whole object)."""
    lesson = fetch(session, Lesson, lesson_id, "lesson_id", lock=True)
    if title is not UNSET:
        lesson.title = required_text(title, "title")
    if description is not UNSET:
        lesson.description = optional_text(description, "description")
    if grading_method is not UNSET:
        lesson.grading_method = _grading_method(grading_method)
    if settings is not UNSET:
        lesson.settings = _settings(settings)
    session.flush()
    return lesson


def set_lesson_status(
    session: Session, *, lesson_id: uuid.UUID | str, status: LessonStatus | str, now: datetime | None = None
) -> Lesson:
    """Move a lesson between draft, published and archived. Publishing needs at least one video."""
    lesson = fetch(session, Lesson, lesson_id, "lesson_id", lock=True)
    target = as_enum(LessonStatus, status, "status")
    if target is LessonStatus.PUBLISHED and lesson.status is not LessonStatus.PUBLISHED:
        if not lesson_video_ids(session, lesson_id=lesson.id):
            raise InvalidInput("lesson_id", "a lesson without videos cannot be published")
        lesson.published_at = now or datetime.now(UTC)
    lesson.status = target
    session.flush()
    return lesson


def publish_lesson(session: Session, *, lesson_id: uuid.UUID | str, now: datetime | None = None) -> Lesson:
    return set_lesson_status(session, lesson_id=lesson_id, status=LessonStatus.PUBLISHED, now=now)


def archive_lesson(session: Session, *, lesson_id: uuid.UUID | str) -> Lesson:
    return set_lesson_status(session, lesson_id=lesson_id, status=LessonStatus.ARCHIVED)


def delete_lesson(session: Session, *, lesson_id: uuid.UUID | str) -> None:
    """Delete a lesson with its groups, class assignments, progress and grades. Its videos stay: they may be
    used by other lessons (delete them with ``videos.delete_video``)."""
    lesson = fetch(session, Lesson, lesson_id, "lesson_id", lock=True)
    session.delete(lesson)
    session.flush()


def list_lessons(
    session: Session,
    *,
    status: LessonStatus | str | None = None,
    created_by: uuid.UUID | str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[Lesson]:
    """Lessons, newest first, optionally of one status or author."""
    query = select(Lesson).where(Lesson.tenant_id == tenant_of(session))
    if status is not None:
        query = query.where(Lesson.status == as_enum(LessonStatus, status, "status"))
    if created_by is not None:
        query = query.where(Lesson.created_by == as_uuid(created_by, "created_by"))
    query = query.order_by(Lesson.updated_at.desc(), Lesson.id).limit(_limit(limit)).offset(_offset(offset))
    return list(session.scalars(query))


def _limit(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 10_000:
        raise InvalidInput("limit", "must be an integer from 1 to 10000")
    return value


def _offset(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidInput("offset", "must be an integer >= 0")
    return value


# ------------------------------------------------------------------------------------------ outline
@dataclass(frozen=True)
class GroupOutline:
    group: VideoGroup
    videos: list[Video] = field(default_factory=list)


@dataclass(frozen=True)
class LessonOutline:
    """A lesson's groups in order, each with its videos in order: what the player walks through."""

    lesson: Lesson
    groups: list[GroupOutline]

    @property
    def videos(self) -> list[Video]:
        return [video for group in self.groups for video in group.videos]


def lesson_outline(session: Session, *, lesson_id: uuid.UUID | str) -> LessonOutline:
    lesson = fetch(session, Lesson, lesson_id, "lesson_id")
    groups = list_video_groups(session, lesson_id=lesson.id)
    rows = session.execute(
        select(VideoGroupVideo.video_group_id, Video)
        .join(
            Video,
            (Video.tenant_id == VideoGroupVideo.tenant_id) & (Video.id == VideoGroupVideo.video_id),
        )
        .where(
            VideoGroupVideo.tenant_id == lesson.tenant_id,
            VideoGroupVideo.video_group_id.in_([g.id for g in groups]),
        )
        .order_by(VideoGroupVideo.video_group_id, VideoGroupVideo.position, Video.id)
    ).all()
    by_group: dict[uuid.UUID, list[Video]] = {}
    for group_id, video in rows:
        by_group.setdefault(group_id, []).append(video)
    return LessonOutline(lesson, [GroupOutline(g, by_group.get(g.id, [])) for g in groups])


def lesson_video_ids(session: Session, *, lesson_id: uuid.UUID | str) -> list[uuid.UUID]:
    """The lesson's video ids in playing order (group order, then position in the group)."""
    tenant_id = tenant_of(session)
    query = (
        select(VideoGroupVideo.video_id)
        .join(
            VideoGroup,
            (VideoGroup.tenant_id == VideoGroupVideo.tenant_id)
            & (VideoGroup.id == VideoGroupVideo.video_group_id),
        )
        .where(VideoGroup.tenant_id == tenant_id, VideoGroup.lesson_id == as_uuid(lesson_id, "lesson_id"))
        .order_by(VideoGroup.position, VideoGroup.id, VideoGroupVideo.position, VideoGroupVideo.video_id)
    )
    return list(session.scalars(query))


# ------------------------------------------------------------------------------------- video groups
def create_video_group(
    session: Session,
    *,
    lesson_id: uuid.UUID | str,
    title: str,
    description: str | None = None,
    position: int | None = None,
    id: uuid.UUID | None = None,
) -> VideoGroup:
    """A group at ``position`` in the lesson (default: last); later groups move down by one."""
    lesson = fetch(session, Lesson, lesson_id, "lesson_id", lock=True)
    siblings = list_video_groups(session, lesson_id=lesson.id)
    index = _insert_index(position, len(siblings))
    group = VideoGroup(
        id=id or uuid.uuid4(),
        tenant_id=lesson.tenant_id,
        lesson_id=lesson.id,
        title=required_text(title, "title"),
        description=optional_text(description, "description"),
        position=0,
    )
    session.add(group)
    siblings.insert(index, group)
    _renumber(siblings)
    session.flush()
    return group


def get_video_group(session: Session, *, group_id: uuid.UUID | str) -> VideoGroup:
    return fetch(session, VideoGroup, group_id, "group_id")


def update_video_group(
    session: Session,
    *,
    group_id: uuid.UUID | str,
    title: str | _Unset = UNSET,
    description: str | _Unset | None = UNSET,
) -> VideoGroup:
    group = fetch(session, VideoGroup, group_id, "group_id", lock=True)
    if title is not UNSET:
        group.title = required_text(title, "title")
    if description is not UNSET:
        group.description = optional_text(description, "description")
    session.flush()
    return group


def delete_video_group(session: Session, *, group_id: uuid.UUID | str) -> None:
    """Delete a group and its memberships (the videos themselves stay)."""
    group = fetch(session, VideoGroup, group_id, "group_id", lock=True)
    lesson_id = group.lesson_id
    session.execute(
        delete(VideoGroupVideo).where(
            VideoGroupVideo.tenant_id == group.tenant_id, VideoGroupVideo.video_group_id == group.id
        )
    )
    session.delete(group)
    session.flush()
    _renumber(list_video_groups(session, lesson_id=lesson_id))
    session.flush()


def list_video_groups(session: Session, *, lesson_id: uuid.UUID | str) -> list[VideoGroup]:
    query = (
        select(VideoGroup)
        .where(
            VideoGroup.tenant_id == tenant_of(session),
            VideoGroup.lesson_id == as_uuid(lesson_id, "lesson_id"),
        )
        .order_by(VideoGroup.position, VideoGroup.id)
    )
    return list(session.scalars(query))


def reorder_video_groups(
    session: Session, *, lesson_id: uuid.UUID | str, group_ids: list[uuid.UUID | str]
) -> list[VideoGroup]:
    """Put the lesson's groups in the order given (which must list each of them once)."""
    fetch(session, Lesson, lesson_id, "lesson_id", lock=True)
    groups = {g.id: g for g in list_video_groups(session, lesson_id=lesson_id)}
    order = check_permutation(list(groups), group_ids, "group_ids")
    ordered = [groups[ident] for ident in order]
    _renumber(ordered)
    session.flush()
    return ordered


def _insert_index(position: int | None, count: int) -> int:
    if position is None:
        return count
    if isinstance(position, bool) or not isinstance(position, int) or position < 0:
        raise InvalidInput("position", "must be an integer >= 0")
    return min(position, count)


def _renumber(rows: list[Any]) -> None:
    for index, row in enumerate(rows):
        if row.position != index:
            row.position = index


def count_lessons(session: Session, *, status: LessonStatus | str | None = None) -> int:
    query = select(func.count()).select_from(Lesson).where(Lesson.tenant_id == tenant_of(session))
    if status is not None:
        query = query.where(Lesson.status == as_enum(LessonStatus, status, "status"))
    return session.scalar(query) or 0


__all__ = [
    "GroupOutline",
    "LessonOutline",
    "LessonSettings",
    "archive_lesson",
    "count_lessons",
    "create_lesson",
    "create_video_group",
    "delete_lesson",
    "delete_video_group",
    "get_lesson",
    "get_video_group",
    "lesson_outline",
    "lesson_video_ids",
    "list_lessons",
    "list_video_groups",
    "publish_lesson",
    "reorder_video_groups",
    "set_lesson_status",
    "update_lesson",
    "update_video_group",
]
