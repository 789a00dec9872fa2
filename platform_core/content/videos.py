"""Videos: create, update (metadata, transcript), delete, list, and their ordered membership in video groups.

A video is reusable: ``video_group_videos`` places the same video in groups of several lessons, each with
its own position. Transcripts are stored as a JSON array of timed cues ``{start, end, text}`` (validated
with :class:`~platform_core.content.schemas.Transcript`); every cue must lie within the video.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
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
from platform_core.content.lessons import create_video_group, lesson_outline, list_video_groups
from platform_core.content.schemas import Transcript, VideoMetadata
from platform_core.models import (
    Lesson,
    Milestone,
    PreventSkipping,
    ProcessingStatus,
    Video,
    VideoGroup,
    VideoGroupVideo,
)
from platform_core.validation import InvalidInput, validated_json

#: A cue may end this far past the stored duration (players round durations).
CUE_TOLERANCE_SECONDS = 0.5
MAX_DURATION_SECONDS = 24 * 3600
_URL = re.compile(r"^(https?|s3|gs)://\S+$|^/\S*$")


def normalise_transcript(
    value: Any, duration_seconds: float, *, field: str = "transcript"
) -> list[dict[str, Any]]:
    """Validate a transcript (a list of cues, or ``{"cues": [...]}``) and return the stored list of cues."""
    if value is None:
        return []
    cues = value.get("cues") if isinstance(value, Mapping) else value
    if not isinstance(cues, list):
        raise InvalidInput(field, "must be a list of cues {start, end, text} or an object with cues")
    transcript = validated_json(Transcript, {"cues": cues}, root=field)["cues"]
    limit = duration_seconds + CUE_TOLERANCE_SECONDS
    for index, cue in enumerate(transcript):
        if cue["end"] > limit:
            raise InvalidInput(
                f"{field}.cues[{index}].end",
                f"{cue['end']:g} s is past the end of the video ({duration_seconds:g} s)",
            )
    return transcript


def _metadata(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidInput("metadata", "must be an object")
    return validated_json(VideoMetadata, dict(value), root="metadata")


def _duration(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= MAX_DURATION_SECONDS:
        raise InvalidInput("duration_seconds", f"must be a number of seconds in (0, {MAX_DURATION_SECONDS}]")
    return float(value)


def _threshold(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
        raise InvalidInput("completion_threshold", "must be a fraction in (0, 1]")
    return float(value)


def _source_url(value: Any) -> str | None:
    url = optional_text(value, "source_url", max_length=2048)
    if url is not None and not _URL.match(url):
        raise InvalidInput("source_url", "must be an http(s), s3 or gs URL, or an absolute path")
    return url


def create_video(
    session: Session,
    *,
    title: str,
    duration_seconds: float,
    description: str | None = None,
    source_url: str | None = None,
    transcript: Any = None,
    metadata: Mapping[str, Any] | None = None,
    completion_threshold: float = 0.95,
    prevent_skipping: PreventSkipping | str = PreventSkipping.NONE,
    processing_status: ProcessingStatus | str = ProcessingStatus.READY,
    group_id: uuid.UUID | str | None = None,
    position: int | None = None,
    id: uuid.UUID | None = None,
) -> Video:
    """A new video; with ``group_id`` it is also placed in that group (at ``position``, default last)."""
    duration = _duration(duration_seconds)
    video = Video(
        id=id or uuid.uuid4(),
        tenant_id=tenant_of(session),
        title=required_text(title, "title"),
        description=optional_text(description, "description"),
        source_url=_source_url(source_url),
        duration_seconds=duration,
        transcript=normalise_transcript(transcript, duration),
        video_metadata=_metadata(metadata),
        completion_threshold=_threshold(completion_threshold),
        prevent_skipping=as_enum(PreventSkipping, prevent_skipping, "prevent_skipping"),
        processing_status=as_enum(ProcessingStatus, processing_status, "processing_status"),
        created_by=acting_user(session),
    )
    session.add(video)
    session.flush()
    if group_id is not None:
        add_video_to_group(session, group_id=group_id, video_id=video.id, position=position)
    return video


def get_video(session: Session, *, video_id: uuid.UUID | str) -> Video:
    return fetch(session, Video, video_id, "video_id")


def update_video(
    session: Session,
    *,
    video_id: uuid.UUID | str,
    title: str | _Unset = UNSET,
    description: str | _Unset | None = UNSET,
    source_url: str | _Unset | None = UNSET,
    duration_seconds: float | _Unset = UNSET,
    completion_threshold: float | _Unset = UNSET,
    prevent_skipping: PreventSkipping | str | _Unset = UNSET,
    processing_status: ProcessingStatus | str | _Unset = UNSET,
    processing_error: str | _Unset | None = UNSET,
    transcript: Any = UNSET,
    metadata: Mapping[str, Any] | _Unset | None = UNSET,
) -> Video:
    """Change the given fields. A shorter duration is refused while milestones or cues lie beyond it."""
    video = fetch(session, Video, video_id, "video_id", lock=True)
    if title is not UNSET:
        video.title = required_text(title, "title")
    if description is not UNSET:
        video.description = optional_text(description, "description")
    if source_url is not UNSET:
        video.source_url = _source_url(source_url)
    if duration_seconds is not UNSET:
        duration = _duration(duration_seconds)
        last = session.scalar(
            select(func.max(Milestone.timestamp_seconds)).where(
                Milestone.tenant_id == video.tenant_id, Milestone.video_id == video.id
            )
        )
        if last is not None and last > duration:
            raise InvalidInput("duration_seconds", f"a milestone sits at {last:g} s, past the new duration")
        if transcript is UNSET:
            normalise_transcript(video.transcript, duration)
        video.duration_seconds = duration
    if transcript is not UNSET:
        video.transcript = normalise_transcript(transcript, video.duration_seconds)
    if metadata is not UNSET:
        video.video_metadata = _metadata(metadata)
    if completion_threshold is not UNSET:
        video.completion_threshold = _threshold(completion_threshold)
    if prevent_skipping is not UNSET:
        video.prevent_skipping = as_enum(PreventSkipping, prevent_skipping, "prevent_skipping")
    if processing_status is not UNSET:
        video.processing_status = as_enum(ProcessingStatus, processing_status, "processing_status")
    if processing_error is not UNSET:
        video.processing_error = optional_text(processing_error, "processing_error")
    session.flush()
    return video


def set_transcript(session: Session, *, video_id: uuid.UUID | str, transcript: Any) -> Video:
    return update_video(session, video_id=video_id, transcript=transcript)


def set_video_metadata(
    session: Session, *, video_id: uuid.UUID | str, metadata: Mapping[str, Any], merge: bool = False
) -> Video:
    """Replace the metadata, or with ``merge`` add/overwrite the given top-level keys."""
    if merge:
        current = fetch(session, Video, video_id, "video_id").video_metadata or {}
        metadata = {**current, **dict(metadata)}
    return update_video(session, video_id=video_id, metadata=metadata)


def delete_video(session: Session, *, video_id: uuid.UUID | str, force: bool = False) -> None:
    """Delete a video with its milestones, questions and learner data. While lessons still use it, this is
    refused unless ``force`` (remove it from their groups first, or pass ``force=True``)."""
    video = fetch(session, Video, video_id, "video_id", lock=True)
    used_by = lessons_using_video(session, video_id=video.id)
    if used_by and not force:
        titles = ", ".join(repr(lesson.title) for lesson in used_by[:3])
        raise InvalidInput("video_id", f"still used by {len(used_by)} lesson(s) ({titles}); pass force=True")
    session.delete(video)
    session.flush()


def list_videos(
    session: Session,
    *,
    lesson_id: uuid.UUID | str | None = None,
    group_id: uuid.UUID | str | None = None,
    limit: int = 500,
    offset: int = 0,
) -> list[Video]:
    """Videos of a group (in group order), of a lesson (in playing order), or of the tenant (by title)."""
    tenant_id = tenant_of(session)
    if group_id is not None:
        fetch(session, VideoGroup, group_id, "group_id")
        query = (
            select(Video)
            .join(
                VideoGroupVideo,
                (VideoGroupVideo.tenant_id == Video.tenant_id) & (VideoGroupVideo.video_id == Video.id),
            )
            .where(
                Video.tenant_id == tenant_id, VideoGroupVideo.video_group_id == as_uuid(group_id, "group_id")
            )
            .order_by(VideoGroupVideo.position, Video.id)
        )
    elif lesson_id is not None:
        return lesson_outline(session, lesson_id=lesson_id).videos[offset : offset + limit]
    else:
        query = select(Video).where(Video.tenant_id == tenant_id).order_by(Video.title, Video.id)
    return list(session.scalars(query.limit(limit).offset(offset)))


def lessons_using_video(session: Session, *, video_id: uuid.UUID | str) -> list[Lesson]:
    """Every lesson that places the video in one of its groups."""
    query = (
        select(Lesson)
        .join(VideoGroup, (VideoGroup.tenant_id == Lesson.tenant_id) & (VideoGroup.lesson_id == Lesson.id))
        .join(
            VideoGroupVideo,
            (VideoGroupVideo.tenant_id == VideoGroup.tenant_id)
            & (VideoGroupVideo.video_group_id == VideoGroup.id),
        )
        .where(
            Lesson.tenant_id == tenant_of(session), VideoGroupVideo.video_id == as_uuid(video_id, "video_id")
        )
        .distinct()
        .order_by(Lesson.title, Lesson.id)
    )
    return list(session.scalars(query))


# ------------------------------------------------------------------------------------- membership
def _members(session: Session, group: VideoGroup) -> list[VideoGroupVideo]:
    query = (
        select(VideoGroupVideo)
        .where(VideoGroupVideo.tenant_id == group.tenant_id, VideoGroupVideo.video_group_id == group.id)
        .order_by(VideoGroupVideo.position, VideoGroupVideo.video_id)
    )
    return list(session.scalars(query))


def add_video_to_group(
    session: Session, *, group_id: uuid.UUID | str, video_id: uuid.UUID | str, position: int | None = None
) -> VideoGroupVideo:
    """Place a video in a group (reuse: the video may already be in other lessons). Already a member: it
    moves to ``position`` when one is given."""
    if position is not None and (isinstance(position, bool) or not isinstance(position, int) or position < 0):
        raise InvalidInput("position", "must be an integer >= 0")
    group = fetch(session, VideoGroup, group_id, "group_id", lock=True)
    video = fetch(session, Video, video_id, "video_id")
    members = _members(session, group)
    current = next((m for m in members if m.video_id == video.id), None)
    if current is not None and position is None:
        return current
    if current is not None:
        members.remove(current)
    else:
        session.execute(
            insert(VideoGroupVideo)
            .values(
                tenant_id=group.tenant_id, video_group_id=group.id, video_id=video.id, position=len(members)
            )
            .on_conflict_do_nothing()
        )
        current = session.get_one(VideoGroupVideo, (group.tenant_id, group.id, video.id))
    members.insert(len(members) if position is None else min(position, len(members)), current)
    _renumber(members)
    session.flush()
    return current


def reuse_video(
    session: Session,
    *,
    video_id: uuid.UUID | str,
    lesson_id: uuid.UUID | str,
    group_id: uuid.UUID | str | None = None,
    position: int | None = None,
) -> VideoGroupVideo:
    """Use an existing video in another lesson: in ``group_id`` (which must belong to that lesson) or in the
    lesson's last group, created when the lesson has none."""
    lesson = fetch(session, Lesson, lesson_id, "lesson_id")
    if group_id is not None:
        group = fetch(session, VideoGroup, group_id, "group_id")
        if group.lesson_id != lesson.id:
            raise InvalidInput("group_id", f"group {group.id} belongs to another lesson")
    else:
        groups = list_video_groups(session, lesson_id=lesson.id)
        group = groups[-1] if groups else create_video_group(session, lesson_id=lesson.id, title=lesson.title)
    return add_video_to_group(session, group_id=group.id, video_id=video_id, position=position)


def remove_video_from_group(
    session: Session, *, group_id: uuid.UUID | str, video_id: uuid.UUID | str
) -> bool:
    """Take a video out of a group (the video stays); returns whether it was a member."""
    group = fetch(session, VideoGroup, group_id, "group_id", lock=True)
    key = as_uuid(video_id, "video_id")
    removed = session.execute(
        delete(VideoGroupVideo).where(
            VideoGroupVideo.tenant_id == group.tenant_id,
            VideoGroupVideo.video_group_id == group.id,
            VideoGroupVideo.video_id == key,
        )
    ).rowcount
    _renumber(_members(session, group))
    session.flush()
    return bool(removed)


def reorder_group_videos(
    session: Session, *, group_id: uuid.UUID | str, video_ids: Sequence[uuid.UUID | str]
) -> list[VideoGroupVideo]:
    """Put the group's videos in the order given (which must list each member once)."""
    group = fetch(session, VideoGroup, group_id, "group_id", lock=True)
    members = {m.video_id: m for m in _members(session, group)}
    order = check_permutation(list(members), video_ids, "video_ids")
    ordered = [members[ident] for ident in order]
    _renumber(ordered)
    session.flush()
    return ordered


def move_video_to_group(
    session: Session,
    *,
    video_id: uuid.UUID | str,
    from_group_id: uuid.UUID | str,
    to_group_id: uuid.UUID | str,
    position: int | None = None,
) -> VideoGroupVideo:
    """Move a video from one group to another (of the same or another lesson)."""
    if not remove_video_from_group(session, group_id=from_group_id, video_id=video_id):
        raise InvalidInput("video_id", f"{video_id} is not in group {from_group_id}")
    return add_video_to_group(session, group_id=to_group_id, video_id=video_id, position=position)


def _renumber(rows: list[VideoGroupVideo]) -> None:
    for index, row in enumerate(rows):
        if row.position != index:
            row.position = index


__all__ = [
    "add_video_to_group",
    "create_video",
    "delete_video",
    "get_video",
    "lessons_using_video",
    "list_videos",
    "move_video_to_group",
    "normalise_transcript",
    "remove_video_from_group",
    "reorder_group_videos",
    "reuse_video",
    "set_transcript",
    "set_video_metadata",
    "update_video",
]
