"""Content management through the pages (AppTest on the real database): lessons, videos, milestones,
questions with live validation and a graded "try it", search and reuse."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from platform_core.content import lessons as lesson_service
from platform_core.content import videos as video_service
from platform_core.db.session import tenant_session
from platform_core.models import Milestone, Question, UserRole
from tests.dashboard.conftest import app_as


@pytest.fixture
def teacher(school):
    return school.users[UserRole.TEACHER]


def _button(at, label: str):
    matches = [b for b in at.button if b.label == label]
    assert matches, f"no button {label!r}; have {[b.label for b in at.button]}"
    return matches[0]


def test_create_a_lesson_and_a_video_placed_in_it(school, teacher) -> None:
    at = app_as(teacher)
    at.switch_page("pages/lessons.py").run()
    form_title = next(t for t in at.text_input if t.label == "Title")
    form_title.input("Forces and motion")
    _button(at, "Create lesson").click().run()
    assert not at.exception, at.exception
    lesson_id = at.query_params["lesson"]
    with tenant_session(school.tenant.tenant_id) as s:
        assert lesson_service.get_lesson(s, lesson_id=lesson_id).title == "Forces and motion"

    at.switch_page("pages/videos.py").run()
    next(t for t in at.text_input if t.label == "Title").input("Newton's first law")
    next(n for n in at.number_input if n.label == "Duration (minutes)").set_value(4.0)
    next(s for s in at.selectbox if s.label == "Add to lesson").set_value(lesson_id)
    _button(at, "Create video").click().run()
    assert not at.exception, at.exception
    video_id = at.query_params["video"]
    with tenant_session(school.tenant.tenant_id) as s:
        video = video_service.get_video(s, video_id=video_id)
        assert video.duration_seconds == 240.0
        assert [x.title for x in video_service.lessons_using_video(s, video_id=video_id)] == [
            "Forces and motion"
        ]


def test_place_a_milestone_on_the_timeline(school, teacher) -> None:
    video_id = str(school.tenant.ids["video"])
    at = app_as(teacher)
    at.switch_page("pages/milestones.py")
    at.query_params["video"] = video_id
    at.run()
    assert not at.exception, at.exception
    next(n for n in at.number_input if n.label == "At (seconds)").set_value(42.0)
    next(t for t in at.text_input if t.label == "Title").input("Quick check")
    next(s for s in at.selectbox if s.label == "After a wrong answer").set_value("seek").run()
    next(n for n in at.number_input if n.label == "Seek to (s)").set_value(10.0)
    _button(at, "Create milestone").click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    with tenant_session(school.tenant.tenant_id) as s:
        stop = s.scalar(select(Milestone).where(Milestone.title == "Quick check"))
    assert stop is not None and stop.timestamp_seconds == 42.0
    assert stop.settings["onWrong"] == {"action": "seek", "to": 10.0}


def test_question_editor_validates_live_and_grades_the_try_it_answer(school, teacher) -> None:
    video_id = str(school.tenant.ids["video"])
    at = app_as(teacher)
    at.switch_page("pages/question_editor.py")
    at.query_params["video"] = video_id
    at.run()
    assert not at.exception, at.exception
    next(s for s in at.selectbox if s.label == "Type").set_value("short_answer").run()
    prompt = next(t for t in at.text_area if t.label == "Question")
    prompt.input("What is the capital of France?").run()
    accepted = next(t for t in at.text_area if t.label.startswith("Accepted answers"))
    accepted.input("").run()
    assert any("acceptedAnswers" in e.value for e in at.error), [e.value for e in at.error]
    _button(at, "Create question").click().run()
    assert any("Not saved" in e.value for e in at.error)

    accepted.input("Paris\nParis, France | 0.5").run()
    assert any("Ready to save" in s.value for s in at.success)
    next(t for t in at.text_input if t.label == "Your answer").input("  paris ")
    _button(at, "Check answer").click().run()
    assert [m.value for m in at.metric] == ["100%"]
    next(t for t in at.text_input if t.label == "Your answer").input("paris, france")
    _button(at, "Check answer").click().run()
    assert [m.value for m in at.metric] == ["50%"]

    _button(at, "Create question").click().run()
    assert not at.exception, at.exception
    with tenant_session(school.tenant.tenant_id) as s:
        saved = s.scalar(select(Question).where(Question.prompt == "What is the capital of France?"))
    assert saved is not None and saved.status.value == "draft"
    assert saved.data["acceptedAnswers"] == ["Paris", {"text": "Paris, France", "fraction": 0.5}]
    assert at.query_params["question"] == str(saved.id)
    _button(at, "Publish").click().run()
    with tenant_session(school.tenant.tenant_id) as s:
        assert s.get(Question, (school.tenant.tenant_id, saved.id)).status.value == "published"


@pytest.mark.parametrize(
    "qtype", ["multiple_choice", "true_false", "numeric", "matching", "ordering", "fill_in_blanks"]
)
def test_every_question_type_has_an_editor_whose_starter_is_valid_once_filled(school, teacher, qtype) -> None:
    at = app_as(teacher)
    at.switch_page("pages/question_editor.py")
    at.query_params["video"] = str(school.tenant.ids["video"])
    at.run()
    next(s for s in at.selectbox if s.label == "Type").set_value(qtype).run()
    assert not at.exception, at.exception
    next(t for t in at.text_area if t.label == "Question").input("Which?").run()
    assert not at.exception, at.exception
    # the starter data of true/false and fill-in-the-blanks is answerable as it stands
    if qtype in ("true_false", "fill_in_blanks", "numeric"):
        assert any("Ready to save" in s.value for s in at.success), [e.value for e in at.error]
    else:  # the others wait for option texts, pairs or items, and say which field is missing
        assert at.error or at.success


def test_search_finds_the_video_by_its_transcript(school, teacher) -> None:
    at = app_as(teacher)
    at.switch_page("pages/search.py").run()
    next(t for t in at.text_input if t.label == "Search").input("direction").run()
    assert not at.exception, at.exception
    assert any("Velocity" in m.value for m in at.markdown)
    assert at.query_params["q"] == "direction"
