"""Classes, enrollments, lesson assignments, and full-text search."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from platform_core.content import classes, lessons, questions, search, videos
from platform_core.validation import InvalidInput


def test_class_enrollment_and_assignments(school) -> None:
    due = datetime(2030, 5, 1, 12, tzinfo=UTC)
    with school.session() as s:
        klass = classes.create_class(s, name="Physics 9B", teacher_id=school.teacher_id, code="PHY-9B")
        assert classes.enroll_students(s, class_id=klass.id, student_ids=school.student_ids[:2]) == 2
        assert classes.enroll_students(s, class_id=klass.id, student_ids=school.student_ids) == 1
        assert [u.id for u in classes.list_class_students(s, class_id=klass.id)] == school.student_ids
        l1, l2, l3 = (lessons.create_lesson(s, title=t) for t in ("Motion", "Forces", "Energy"))
        classes.assign_lesson(s, class_id=klass.id, lesson_id=l1.id)
        classes.assign_lesson(s, class_id=klass.id, lesson_id=l2.id, due_at=due)
        classes.assign_lesson(s, class_id=klass.id, lesson_id=l3.id, position=0)
        assigned = classes.list_class_lessons(s, class_id=klass.id)
        assert [lesson.id for _, lesson in assigned] == [l3.id, l1.id, l2.id]
        assert assigned[2][0].due_at == due
        # Assigning again updates the due date in place.
        classes.assign_lesson(s, class_id=klass.id, lesson_id=l2.id, due_at=due + timedelta(days=1))
        assert classes.list_class_lessons(s, class_id=klass.id)[2][0].due_at == due + timedelta(days=1)
        classes.reorder_class_lessons(s, class_id=klass.id, lesson_ids=[l1.id, l2.id, l3.id])
        assert [lesson.title for _, lesson in classes.list_class_lessons(s, class_id=klass.id)] == [
            "Motion",
            "Forces",
            "Energy",
        ]
        assert classes.unassign_lesson(s, class_id=klass.id, lesson_id=l2.id)
        assert [a.position for a, _ in classes.list_class_lessons(s, class_id=klass.id)] == [0, 1]
        assert classes.unenroll_student(s, class_id=klass.id, student_id=school.student_ids[0])
        assert not classes.unenroll_student(s, class_id=klass.id, student_id=school.student_ids[0])
        assert [c.id for c in classes.list_classes(s, student_id=school.student_ids[1])] == [klass.id]
        assert [c.id for c in classes.list_classes(s, teacher_id=school.teacher_id)] == [klass.id]
        archived = classes.archive_class(s, class_id=klass.id)
        assert archived.archived_at is not None
        assert classes.list_classes(s) == []
        assert [c.id for c in classes.list_classes(s, include_archived=True)] == [klass.id]


def test_class_input_is_checked(school) -> None:
    with school.session() as s:
        with pytest.raises(InvalidInput) as info:
            classes.create_class(s, name="X", teacher_id=school.student_ids[0])
        assert info.value.field == "teacher_id" and "student" in info.value.reason
        with pytest.raises(InvalidInput) as info:
            classes.create_class(s, name="X", code="has space")
        assert info.value.field == "code"
        klass = classes.create_class(s, name="X", teacher_id=school.admin_id)
        with pytest.raises(InvalidInput) as info:
            classes.enroll_students(
                s, class_id=klass.id, student_ids=[school.student_ids[0], school.teacher_id]
            )
        assert info.value.field == "student_ids[1]" and "teacher" in info.value.reason
        with pytest.raises(InvalidInput) as info:
            classes.enroll_students(s, class_id=klass.id, student_ids=["nope"])
        assert info.value.field == "student_ids[0]"
        lesson = lessons.create_lesson(s, title="L")
        with pytest.raises(InvalidInput) as info:
            classes.assign_lesson(s, class_id=klass.id, lesson_id=lesson.id, due_at=datetime(2030, 1, 1))
        assert info.value.field == "due_at"


@pytest.fixture
def library(school):
    """Lessons, videos with transcripts and questions about physics and history."""
    with school.session() as s:
        light = lessons.create_lesson(s, title="The speed of light", description="Why nothing travels faster")
        lessons.create_lesson(s, title="Medieval Europe", description="Castles, kings and the Magna Carta")
        video = videos.create_video(
            s,
            title="Measuring light",
            description="Classic experiments",
            duration_seconds=200,
            transcript=[
                {"start": 0, "end": 10, "text": "Welcome back to the physics channel."},
                {"start": 10, "end": 20, "text": "Rømer used the moons of Jupiter to time eclipses."},
                {"start": 95, "end": 110, "text": "Fizeau measured it with a toothed wheel and a mirror."},
            ],
        )
        sound = videos.create_video(
            s,
            title="Sound waves",
            duration_seconds=100,
            transcript=[{"start": 0, "end": 10, "text": "Sound is much slower than light."}],
        )
        q_draft = questions.create_question(
            s,
            video_id=video.id,
            type="numeric",
            prompt="How fast does light travel in a vacuum (km/s)?",
            data={"answer": 299792, "tolerance": 100},
            explanation="About 300 000 kilometres per second.",
        )
        q_live = questions.create_question(
            s,
            video_id=sound.id,
            type="true_false",
            prompt="Sound travels faster than light.",
            data={"correctAnswer": False},
            publish=True,
        )
        return {
            "lesson": light.id,
            "video": video.id,
            "sound": sound.id,
            "draft": q_draft.id,
            "live": q_live.id,
        }


def test_search_ranks_titles_first_and_marks_matches(school, library) -> None:
    with school.session() as s:
        hits = search.search_content(s, query="light")
    kinds = [(h.kind, h.id) for h in hits]
    assert ("lesson", library["lesson"]) in kinds and ("video", library["video"]) in kinds
    assert ("question", library["draft"]) in kinds and ("question", library["live"]) in kinds
    ranks = {h.id: h.rank for h in hits}
    assert ranks[library["video"]] > ranks[library["sound"]], "a title match outranks a transcript match"
    assert all(0 < h.rank < 1 for h in hits)
    assert [h.rank for h in hits] == sorted((h.rank for h in hits), reverse=True)
    assert all("<mark>" in h.snippet for h in hits)
    question_hit = next(h for h in hits if h.id == library["draft"])
    assert question_hit.video_id == library["video"] and question_hit.status == "draft"


def test_search_finds_transcript_words_and_where_they_are_said(school, library) -> None:
    with school.session() as s:
        (hit,) = search.search_content(s, query="toothed wheel", markers=("[", "]"))
    assert hit.kind == "video" and hit.id == library["video"]
    assert hit.at_seconds == 95.0
    assert "[toothed]" in hit.snippet and "[wheel]" in hit.snippet


def test_search_understands_web_syntax_and_filters(school, library) -> None:
    with school.session() as s:
        phrase = search.search_content(s, query='"moons of Jupiter"')
        assert [h.id for h in phrase] == [library["video"]]
        without_sound = search.search_content(s, query="light -sound", kinds=["video", "question"])
        assert library["sound"] not in {h.id for h in without_sound}
        assert library["live"] not in {h.id for h in without_sound}
        either = search.search_content(s, query="castles or Fizeau", kinds=["lesson", "video"])
        assert {h.kind for h in either} == {"lesson", "video"}
        live_only = search.search_content(
            s, query="light", kinds=["question"], question_statuses=["published"]
        )
        assert [h.id for h in live_only] == [library["live"]]
        page = search.search_content(s, query="light", limit=2)
        rest = search.search_content(s, query="light", limit=2, offset=2)
        assert len(page) == 2 and not {h.id for h in page} & {h.id for h in rest}
        assert search.search_content(s, query="the and of") == []  # only stop words


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"query": "  "}, "query"),
        ({"query": "x" * 501}, "query"),
        ({"query": "x", "kinds": ["lessons"]}, "kinds"),
        ({"query": "x", "limit": 0}, "limit"),
        ({"query": "x", "offset": -1}, "offset"),
        ({"query": "x", "question_statuses": ["live"]}, "question_statuses"),
        ({"query": "x", "markers": ("<b class=x>", "</b>")}, "markers"),
    ],
)
def test_bad_search_input_names_the_field(school, kwargs, field) -> None:
    with pytest.raises(InvalidInput) as info, school.session() as s:
        search.search_content(s, **kwargs)
    assert info.value.field == field


def test_search_stays_in_its_tenant(school, library, make_school) -> None:
    other = make_school()
    with other.session() as s:
        assert search.search_content(s, query="light") == []
