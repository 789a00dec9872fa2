"""Milestones: stops at a timestamp of a video, with the player's behaviour there (EVENTS.md).

Settings are validated with :class:`~platform_core.content.schemas.MilestoneSettings`; beyond shape, a
``seek`` target must lie within the video and a ``jump`` target must be another video of the tenant (the
remedial video). The timestamp must lie within ``[0, duration]``.
"""

from __future__ import annotations

import math
import uuid
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from platform_core.content.common import (
    UNSET,
    NotFound,
    _Unset,
    as_uuid,
    fetch,
    optional_text,
    tenant_of,
)
from platform_core.content.schemas import MilestoneSettings
from platform_core.models import Milestone, Question, Video
from platform_core.validation import InvalidInput, validate_as, validated_json


def _timestamp(value: Any, video: Video) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidInput("timestamp_seconds", "must be a number of seconds")
    if not 0 <= value <= video.duration_seconds:
        raise InvalidInput(
            "timestamp_seconds", f"must lie within [0, {video.duration_seconds:g}] (the video's duration)"
        )
    return float(value)


def validate_settings(session: Session, video: Video, settings: Any) -> dict[str, Any]:
    """Check ``settings`` for a milestone of ``video`` and return the JSON to store (camelCase keys)."""
    if settings is None:
        settings = {}
    if not isinstance(settings, dict):
        raise InvalidInput("settings", "must be an object")
    stored = validated_json(MilestoneSettings, settings, root="settings")
    for branch in ("onCorrect", "onWrong"):
        target = stored.get(branch) or {}
        action = target.get("action", "continue")
        if action == "seek" and float(target["to"]) > video.duration_seconds:
            raise InvalidInput(
                f"settings.{branch}.to",
                f"seek target is past the end of the video ({video.duration_seconds:g} s)",
            )
        if action == "jump":
            try:
                remedial = fetch(session, Video, target["to"], f"settings.{branch}.to")
            except NotFound:
                raise InvalidInput(
                    f"settings.{branch}.to", f"no video {target['to']} in this tenant"
                ) from None
            if remedial.id == video.id:
                raise InvalidInput(f"settings.{branch}.to", "a jump must go to another video (use seek)")
    return stored


def parse_settings(milestone: Milestone) -> MilestoneSettings:
    """The stored settings as a model (defaults filled in)."""
    return validate_as(MilestoneSettings, milestone.settings or {}, root="settings")


def create_milestone(
    session: Session,
    *,
    video_id: uuid.UUID | str,
    timestamp_seconds: float,
    title: str | None = None,
    settings: dict[str, Any] | None = None,
    id: uuid.UUID | None = None,
) -> Milestone:
    video = fetch(session, Video, video_id, "video_id")
    milestone = Milestone(
        id=id or uuid.uuid4(),
        tenant_id=video.tenant_id,
        video_id=video.id,
        timestamp_seconds=_timestamp(timestamp_seconds, video),
        title=optional_text(title, "title", max_length=500),
        settings=validate_settings(session, video, settings),
    )
    session.add(milestone)
    session.flush()
    return milestone


def get_milestone(session: Session, *, milestone_id: uuid.UUID | str) -> Milestone:
    return fetch(session, Milestone, milestone_id, "milestone_id")


def update_milestone(
    session: Session,
    *,
    milestone_id: uuid.UUID | str,
    timestamp_seconds: float | _Unset = UNSET,
    title: str | _Unset | None = UNSET,
    settings: dict[str, Any] | _Unset | None = UNSET,
) -> Milestone:
    milestone = fetch(session, Milestone, milestone_id, "milestone_id", lock=True)
    video = fetch(session, Video, milestone.video_id, "video_id")
    if timestamp_seconds is not UNSET:
        milestone.timestamp_seconds = _timestamp(timestamp_seconds, video)
    if title is not UNSET:
        milestone.title = optional_text(title, "title", max_length=500)
    if settings is not UNSET:
        milestone.settings = validate_settings(session, video, settings)
    session.flush()
    return milestone


def delete_milestone(session: Session, *, milestone_id: uuid.UUID | str) -> int:
    """Delete a milestone. Its questions stay on the video, no longer tied to a stop; returns how many."""
    milestone = fetch(session, Milestone, milestone_id, "milestone_id", lock=True)
    detached = session.execute(
        update(Question)
        .where(Question.tenant_id == milestone.tenant_id, Question.milestone_id == milestone.id)
        .values(milestone_id=None)
    ).rowcount
    session.delete(milestone)
    session.flush()
    return detached


def list_milestones(session: Session, *, video_id: uuid.UUID | str) -> list[Milestone]:
    """A video's milestones in time order."""
    query = (
        select(Milestone)
        .where(Milestone.tenant_id == tenant_of(session), Milestone.video_id == as_uuid(video_id, "video_id"))
        .order_by(Milestone.timestamp_seconds, Milestone.id)
    )
    return list(session.scalars(query))


def remedial_targets(session: Session, *, video_id: uuid.UUID | str) -> list[uuid.UUID]:
    """Videos that this video's milestones jump to (remedial detours), in milestone order, without repeats."""
    targets: list[uuid.UUID] = []
    for milestone in list_milestones(session, video_id=video_id):
        settings = parse_settings(milestone)
        for branch in (settings.on_correct, settings.on_wrong):
            if branch.action == "jump" and isinstance(branch.to, uuid.UUID) and branch.to not in targets:
                targets.append(branch.to)
    return targets


__all__ = [
    "create_milestone",
    "delete_milestone",
    "get_milestone",
    "list_milestones",
    "parse_settings",
    "remedial_targets",
    "update_milestone",
    "validate_settings",
]
