"""Lessons, video groups, videos (metadata, transcripts) and video reuse across lessons."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from platform_core.content import lessons, milestones, videos
from platform_core.content.common import NotFound
from platform_core.models import AuditLog, Lesson, LessonStatus, Video, VideoGroup
from platform_core.validation import InvalidInput

CUES = [
    {"start": 0, "end": 4.5, "text": "Velocity is speed with a direction."},
    {"start": 4.5, "end": 9, "text": "Acceleration is the rate of change of velocity."},
]


def _lesson_with_groups(school, n_groups: int = 2) -> tuple[uuid.UUID, list[uuid.UUID]]:
    with school.session() as s:
        lesson = lessons.create_lesson(s, title="  Motion   basics ", description="Kinematics")
        groups = [
            lessons.create_video_group(s, lesson_id=lesson.id, title=f"Part {i}").id for i in range(n_groups)
        ]
        return lesson.id, groups


def test_lesson_lifecycle(school) -> None:
    lesson_id, (group_id, _) = _lesson_with_groups(school)
    with school.session() as s:
        lesson = lessons.get_lesson(s, lesson_id=lesson_id)
        assert lesson.title == "Motion basics"
        assert lesson.status is LessonStatus.DRAFT
        assert lesson.created_by == school.teacher_id
        with pytest.raises(InvalidInput) as info:
            lessons.publish_lesson(s, lesson_id=lesson_id)
        assert info.value.field == "lesson_id" and "without videos" in info.value.reason
    with school.session() as s:
        videos.create_video(s, title="Velocity", duration_seconds=120, group_id=group_id)
        published = lessons.publish_lesson(s, lesson_id=lesson_id)
        assert published.status is LessonStatus.PUBLISHED and published.published_at is not None
        lessons.update_lesson(s, lesson_id=lesson_id, description=None, grading_method="highest")
    with school.session() as s:
        lesson = lessons.get_lesson(s, lesson_id=lesson_id)
        assert lesson.description is None and lesson.grading_method.value == "highest"
        assert [x.id for x in lessons.list_lessons(s, status="published")] == [lesson_id]
        assert lessons.list_lessons(s, status="draft") == []
        lessons.delete_lesson(s, lesson_id=lesson_id)
    with school.session() as s:
        assert s.scalar(select(func.count()).select_from(VideoGroup)) == 0
        assert s.scalar(select(func.count()).select_from(Video)) == 1, "videos outlive the lesson"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"title": "   "}, "title"),
        ({"title": 3}, "title"),
        ({"title": "x", "grading_method": "best"}, "grading_method"),
        ({"title": "x", "settings": {"preventSkipping": "sideways"}}, "settings.preventSkipping"),
        ({"title": "x", "settings": {"estimatedMinutes": 0}}, "settings.estimatedMinutes"),
        ({"title": "x", "settings": []}, "settings"),
    ],
)
def test_bad_lesson_input_names_the_field(school, kwargs, field) -> None:
    with pytest.raises(InvalidInput) as info, school.session() as s:
        lessons.create_lesson(s, **kwargs)
    assert info.value.field == field
    with school.session() as s:
        assert s.scalar(select(func.count()).select_from(Lesson)) == 0


def test_rejected_write_leaves_nothing_behind(school) -> None:
    with pytest.raises(InvalidInput), school.session() as s:
        lesson = lessons.create_lesson(s, title="Half done")
        lessons.create_video_group(s, lesson_id=lesson.id, title="ok")
        videos.create_video(s, title="bad", duration_seconds=-1)
    with school.session() as s:
        assert s.scalar(select(func.count()).select_from(Lesson)) == 0
        assert s.scalar(select(func.count()).select_from(VideoGroup)) == 0


def test_groups_insert_at_position_and_reorder(school) -> None:
    lesson_id, groups = _lesson_with_groups(school, 3)
    with school.session() as s:
        first = lessons.create_video_group(s, lesson_id=lesson_id, title="Intro", position=0)
        order = [g.id for g in lessons.list_video_groups(s, lesson_id=lesson_id)]
        assert order == [first.id, *groups]
        assert [g.position for g in lessons.list_video_groups(s, lesson_id=lesson_id)] == [0, 1, 2, 3]
        wanted = [groups[2], first.id, groups[0], groups[1]]
        lessons.reorder_video_groups(s, lesson_id=lesson_id, group_ids=[str(g) for g in wanted])
    with school.session() as s:
        assert [g.id for g in lessons.list_video_groups(s, lesson_id=lesson_id)] == wanted
        with pytest.raises(InvalidInput) as info:
            lessons.reorder_video_groups(s, lesson_id=lesson_id, group_ids=wanted[:3])
        assert info.value.field == "group_ids" and "missing" in info.value.reason
        with pytest.raises(InvalidInput) as info:
            lessons.reorder_video_groups(s, lesson_id=lesson_id, group_ids=[*wanted[:3], wanted[0]])
        assert info.value.field == "group_ids[3]"
        with pytest.raises(InvalidInput) as info:
            lessons.reorder_video_groups(s, lesson_id=lesson_id, group_ids=[*wanted[:3], uuid.uuid4()])
        assert info.value.field == "group_ids[3]" and "not a member" in info.value.reason
        lessons.delete_video_group(s, group_id=first.id)
        assert [g.position for g in lessons.list_video_groups(s, lesson_id=lesson_id)] == [0, 1, 2]


def test_video_with_transcript_and_metadata(school) -> None:
    with school.session() as s:
        video = videos.create_video(
            s,
            title="Velocity",
            duration_seconds=9.2,
            transcript={"cues": CUES},
            metadata={"resolution": {"width": 1920, "height": 1080}, "videoCodec": "h264", "hdr": False},
            source_url="https://cdn.example.test/v.mp4",
        )
        video_id = video.id
    with school.session() as s:
        video = videos.get_video(s, video_id=video_id)
        assert video.transcript == [
            {"start": 0.0, "end": 4.5, "text": CUES[0]["text"]},
            {"start": 4.5, "end": 9.0, "text": CUES[1]["text"]},
        ]
        assert video.video_metadata["videoCodec"] == "h264" and video.video_metadata["hdr"] is False
        videos.set_video_metadata(s, video_id=video_id, metadata={"bitrateKbps": 4000}, merge=True)
    with school.session() as s:
        assert videos.get_video(s, video_id=video_id).video_metadata["bitrateKbps"] == 4000
        assert videos.get_video(s, video_id=video_id).video_metadata["videoCodec"] == "h264"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"duration_seconds": 0}, "duration_seconds"),
        ({"duration_seconds": True}, "duration_seconds"),
        ({"transcript": [{"start": 0, "end": 30, "text": "too long"}]}, "transcript.cues[0].end"),
        ({"transcript": [{"start": 5, "end": 2, "text": "x"}]}, "transcript.cues[0]"),
        ({"transcript": [{"start": 0, "end": 1, "text": ""}]}, "transcript.cues[0].text"),
        ({"transcript": "words"}, "transcript"),
        ({"metadata": {"resolution": {"width": 0, "height": 1}}}, "metadata.resolution.width"),
        ({"metadata": {"frameRate": -1}}, "metadata.frameRate"),
        ({"completion_threshold": 1.5}, "completion_threshold"),
        ({"prevent_skipping": "always"}, "prevent_skipping"),
        ({"source_url": "ftp://x"}, "source_url"),
    ],
)
def test_bad_video_input_names_the_field(school, kwargs, field) -> None:
    args = {"title": "V", "duration_seconds": 10, **kwargs}
    with pytest.raises(InvalidInput) as info, school.session() as s:
        videos.create_video(s, **args)
    assert info.value.field == field


def test_reuse_video_in_another_lesson_keeps_order_per_group(school) -> None:
    lesson_a, (group_a, _) = _lesson_with_groups(school)
    with school.session() as s:
        v1 = videos.create_video(s, title="One", duration_seconds=60, group_id=group_a).id
        v2 = videos.create_video(s, title="Two", duration_seconds=60, group_id=group_a).id
        v3 = videos.create_video(s, title="Three", duration_seconds=60, group_id=group_a, position=0).id
        assert lessons.lesson_video_ids(s, lesson_id=lesson_a) == [v3, v1, v2]
        lesson_b = lessons.create_lesson(s, title="Review")
        videos.reuse_video(s, video_id=v2, lesson_id=lesson_b.id)
        videos.reuse_video(s, video_id=v1, lesson_id=lesson_b.id, position=0)
        assert lessons.lesson_video_ids(s, lesson_id=lesson_b.id) == [v1, v2]
        assert lessons.lesson_video_ids(s, lesson_id=lesson_a) == [v3, v1, v2]
        assert {x.title for x in videos.lessons_using_video(s, video_id=v1)} == {"Motion basics", "Review"}
        # Adding an existing member again changes nothing; with a position it moves.
        videos.add_video_to_group(s, group_id=group_a, video_id=v3)
        assert lessons.lesson_video_ids(s, lesson_id=lesson_a) == [v3, v1, v2]
        videos.add_video_to_group(s, group_id=group_a, video_id=v3, position=9)
        assert lessons.lesson_video_ids(s, lesson_id=lesson_a) == [v1, v2, v3]
        videos.reorder_group_videos(s, group_id=group_a, video_ids=[v2, v3, v1])
        outline = lessons.lesson_outline(s, lesson_id=lesson_a)
        assert [v.id for v in outline.videos] == [v2, v3, v1]
        assert [v.id for v in videos.list_videos(s, lesson_id=lesson_a)] == [v2, v3, v1]
        with pytest.raises(InvalidInput) as info:
            videos.delete_video(s, video_id=v1)
        assert info.value.field == "video_id" and "2 lesson(s)" in info.value.reason
        assert videos.remove_video_from_group(s, group_id=group_a, video_id=v3)
        assert lessons.lesson_video_ids(s, lesson_id=lesson_a) == [v2, v1]
        videos.delete_video(s, video_id=v3)
        videos.delete_video(s, video_id=v1, force=True)
        assert lessons.lesson_video_ids(s, lesson_id=lesson_b.id) == [v2]


def test_reuse_into_a_group_of_another_lesson_is_refused(school) -> None:
    _, (group_a, _) = _lesson_with_groups(school)
    with school.session() as s:
        video = videos.create_video(s, title="One", duration_seconds=60)
        other = lessons.create_lesson(s, title="Other")
        with pytest.raises(InvalidInput) as info:
            videos.reuse_video(s, video_id=video.id, lesson_id=other.id, group_id=group_a)
        assert info.value.field == "group_id"


def test_duration_cannot_shrink_below_milestones_or_cues(school) -> None:
    with school.session() as s:
        video = videos.create_video(s, title="V", duration_seconds=100, transcript=CUES)
        milestones.create_milestone(s, video_id=video.id, timestamp_seconds=50)
        with pytest.raises(InvalidInput) as info:
            videos.update_video(s, video_id=video.id, duration_seconds=40)
        assert info.value.field == "duration_seconds"
        videos.update_video(s, video_id=video.id, duration_seconds=60)
        assert videos.get_video(s, video_id=video.id).duration_seconds == 60
        with pytest.raises(InvalidInput) as info:
            videos.set_transcript(s, video_id=video.id, transcript=[{"start": 0, "end": 61, "text": "x"}])
        assert info.value.field == "transcript.cues[0].end"


def test_content_of_another_tenant_is_not_found(school, make_school) -> None:
    lesson_id, (group_id, _) = _lesson_with_groups(school)
    other = make_school()
    with other.session() as s:
        with pytest.raises(NotFound) as info:
            lessons.get_lesson(s, lesson_id=lesson_id)
        assert info.value.field == "lesson_id"
        own = videos.create_video(s, title="Mine", duration_seconds=10)
        with pytest.raises(NotFound) as info:
            videos.add_video_to_group(s, group_id=group_id, video_id=own.id)
        assert info.value.field == "group_id"
        assert lessons.list_lessons(s) == []
    with school.session() as s, pytest.raises(NotFound) as info:
        videos.add_video_to_group(s, group_id=group_id, video_id=own.id)
    assert info.value.field == "video_id"


def test_content_changes_are_audited_with_the_acting_teacher(school) -> None:
    with school.session() as s:
        lesson = lessons.create_lesson(s, title="Audited")
        lessons.update_lesson(s, lesson_id=lesson.id, title="Audited twice")
    with school.session() as s:
        rows = s.execute(
            select(AuditLog.action, AuditLog.actor_id, AuditLog.changed_fields)
            .where(AuditLog.table_name == "lessons", AuditLog.record_id == str(lesson.id))
            .order_by(AuditLog.occurred_at)
        ).all()
    assert [r.action for r in rows] == ["INSERT", "UPDATE"]
    assert {r.actor_id for r in rows} == {school.teacher_id}
    assert "title" in rows[1].changed_fields
