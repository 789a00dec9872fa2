"""Milestones (timestamps, branching settings) and questions of every type (validation, review status)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from platform_core.content import milestones, questions, videos
from platform_core.grading import grade_response
from platform_core.models import (
    Question,
    QuestionAttempt,
    QuestionReview,
    QuestionSource,
    QuestionStatus,
    ReviewAction,
)
from platform_core.validation import InvalidInput

#: One valid ``data`` per type, straight from QUESTIONS.md, with a response that earns full marks.
VALID = {
    "multiple_choice": (
        {"options": [{"id": "a", "text": "3 m/s", "isCorrect": True}, {"id": "b", "text": "9 m/s"}]},
        "a",
    ),
    "true_false": ({"correctAnswer": False}, False),
    "short_answer": ({"acceptedAnswers": ["photo*", {"text": "light", "fraction": 0.5}]}, "Photosynthesis"),
    "numeric": (
        {"answers": [{"value": 9.81, "tolerance": 0.05}], "units": [{"unit": "m/s^2", "multiplier": 1}]},
        "9.8 m/s^2",
    ),
    "matching": (
        {
            "pairs": [
                {"id": "1", "prompt": "H2O", "answer": "water"},
                {"id": "2", "prompt": "NaCl", "answer": "salt"},
            ]
        },
        {"1": "water", "2": "salt"},
    ),
    "ordering": (
        {
            "items": [{"id": "a", "text": "1066"}, {"id": "b", "text": "1215"}],
            "gradingMode": "all_or_nothing",
        },
        ["a", "b"],
    ),
    "fill_in_blanks": (
        {
            "text": "Water boils at {t} degrees and is made of {f}.",
            "blanks": [{"id": "t", "numeric": {"answer": 100}}, {"id": "f", "acceptedAnswers": ["H2O"]}],
        },
        {"t": "100", "f": "h2o"},
    ),
}


@pytest.fixture
def video(school):
    with school.session() as s:
        main = videos.create_video(s, title="Forces", duration_seconds=300)
        remedial = videos.create_video(s, title="Forces, again slowly", duration_seconds=120)
        return main.id, remedial.id


def test_milestone_timestamp_and_settings(school, video) -> None:
    main, remedial = video
    settings = {
        "pause": True,
        "requireCorrect": True,
        "onCorrect": {"action": "continue"},
        "onWrong": {"action": "jump", "to": str(remedial), "message": "Watch this first"},
    }
    with school.session() as s:
        late = milestones.create_milestone(s, video_id=main, timestamp_seconds=300, settings=settings)
        early = milestones.create_milestone(
            s,
            video_id=main,
            timestamp_seconds=12.5,
            title="Check",
            settings={"onWrong": {"action": "seek", "to": 3}},
        )
        assert [m.id for m in milestones.list_milestones(s, video_id=main)] == [early.id, late.id]
        assert late.settings["onWrong"] == {
            "action": "jump",
            "to": str(remedial),
            "message": "Watch this first",
        }
        assert milestones.parse_settings(late).require_correct is True
        assert milestones.parse_settings(early).on_wrong.to == 3.0
        assert milestones.remedial_targets(s, video_id=main) == [remedial]
        milestones.update_milestone(s, milestone_id=early.id, timestamp_seconds=20, settings=None)
        assert milestones.get_milestone(s, milestone_id=early.id).settings["pause"] is True


@pytest.mark.parametrize(
    ("timestamp", "settings", "field"),
    [
        (-1, None, "timestamp_seconds"),
        (300.5, None, "timestamp_seconds"),
        ("10", None, "timestamp_seconds"),
        (10, {"pauze": True}, "settings.pauze"),
        (10, {"onWrong": {"action": "seek"}}, "settings.onWrong"),
        (10, {"onWrong": {"action": "seek", "to": 301}}, "settings.onWrong.to"),
        (10, {"onCorrect": {"action": "jump", "to": str(uuid.UUID(int=7))}}, "settings.onCorrect.to"),
        (10, {"onWrong": {"action": "jump", "to": "SELF"}}, "settings.onWrong.to"),
        (10, {"onWrong": {"action": "rewind"}}, "settings.onWrong.action"),
    ],
)
def test_bad_milestone_names_the_field(school, video, timestamp, settings, field) -> None:
    main, _ = video
    if settings and settings.get("onWrong", {}).get("to") == "SELF":
        settings = {"onWrong": {"action": "jump", "to": str(main)}}
    with pytest.raises(InvalidInput) as info, school.session() as s:
        milestones.create_milestone(s, video_id=main, timestamp_seconds=timestamp, settings=settings)
    assert info.value.field == field


@pytest.mark.parametrize("kind", sorted(VALID))
def test_every_question_type_is_stored_draft_and_gradable(school, video, kind) -> None:
    main, _ = video
    data, response = VALID[kind]
    with school.session() as s:
        stop = milestones.create_milestone(s, video_id=main, timestamp_seconds=30)
        question = questions.create_question(
            s,
            video_id=main,
            milestone_id=stop.id,
            type=kind,
            prompt=f"A {kind} question",
            data=data,
            max_attempts=3,
        )
        assert question.status is QuestionStatus.DRAFT and question.source is QuestionSource.HUMAN
        question_id = question.id
    with school.session() as s:
        stored = questions.get_question(s, question_id=question_id)
        assert "type" not in stored.data
        assert grade_response(stored.type.value, stored.data, response).fraction == 1.0
        assert questions.publish_question(s, question_id=question_id).status is QuestionStatus.PUBLISHED
        assert questions.unpublish_question(s, question_id=question_id).status is QuestionStatus.DRAFT


@pytest.mark.parametrize(
    ("kind", "data", "extra", "field"),
    [
        ("essay", {}, {}, "type"),
        ("multiple_choice", {"options": []}, {}, "data.options"),
        ("multiple_choice", {"options": [{"id": "a", "text": "x"}]}, {}, "data.options"),
        ("true_false", {"correctAnswer": "yes"}, {}, "data.correctAnswer"),
        ("short_answer", {"acceptedAnswers": []}, {}, "data.acceptedAnswers"),
        ("numeric", {"answer": "abc"}, {}, "data.answer"),
        ("matching", {"pairs": []}, {}, "data.pairs"),
        ("ordering", {"items": [{"id": "a", "text": "x"}, {"id": "a", "text": "y"}]}, {}, "data.items[1].id"),
        (
            "fill_in_blanks",
            {"text": "no blanks", "blanks": [{"id": "x", "acceptedAnswers": ["y"]}]},
            {},
            "data.blanks[0].id",
        ),
        ("true_false", [True], {}, "data"),
        ("true_false", {"correctAnswer": True}, {"points": 0}, "points"),
        ("true_false", {"correctAnswer": True}, {"max_attempts": 0}, "max_attempts"),
        ("true_false", {"correctAnswer": True}, {"penalty": 1.5}, "penalty"),
        ("true_false", {"correctAnswer": True}, {"prompt": " "}, "prompt"),
    ],
)
def test_bad_question_names_the_field(school, video, kind, data, extra, field) -> None:
    main, _ = video
    args = {"video_id": main, "type": kind, "prompt": "Q?", "data": data, **extra}
    with pytest.raises(InvalidInput) as info, school.session() as s:
        questions.create_question(s, **args)
    assert info.value.field == field


def test_question_on_a_milestone_of_another_video_is_refused(school, video) -> None:
    main, remedial = video
    with school.session() as s:
        stop = milestones.create_milestone(s, video_id=remedial, timestamp_seconds=5)
        with pytest.raises(InvalidInput) as info:
            questions.create_question(
                s,
                video_id=main,
                milestone_id=stop.id,
                type="true_false",
                prompt="Q",
                data={"correctAnswer": True},
            )
        assert info.value.field == "milestone_id"


def _ai_question(school, video_id, status: QuestionStatus) -> uuid.UUID:
    """An AI question as the generation pipeline leaves it (the review workflow owns these rows)."""
    with school.session() as s:
        question = Question(
            id=uuid.uuid4(),
            tenant_id=school.tenant_id,
            video_id=video_id,
            type="true_false",
            prompt="Forces come in pairs.",
            data={"correctAnswer": True},
            status=status,
            source=QuestionSource.AI,
        )
        s.add(question)
        return question.id


@pytest.mark.parametrize("status", [QuestionStatus.APPROVED, QuestionStatus.PUBLISHED])
def test_editing_a_reviewed_ai_question_sends_it_back_to_review(school, video, status) -> None:
    main, _ = video
    question_id = _ai_question(school, main, status)
    with school.session() as s:
        edited = questions.update_question(s, question_id=question_id, prompt="Forces always come in pairs.")
        assert edited.status is QuestionStatus.PENDING_REVIEW
        assert edited.version == 2
    with school.session() as s:
        review = s.scalar(select(QuestionReview).where(QuestionReview.question_id == question_id))
        assert review.action is ReviewAction.RETURN_TO_REVIEW
        assert review.reviewer_id == school.teacher_id
        assert review.before["prompt"] == "Forces come in pairs."
        assert review.after["prompt"] == "Forces always come in pairs."
        assert review.after["status"] == "pending_review"
        assert "prompt" in review.reason
        # Still in review: a further edit keeps it there without another review row.
        questions.update_question(s, question_id=question_id, data={"correctAnswer": False})
        assert questions.get_question(s, question_id=question_id).status is QuestionStatus.PENDING_REVIEW
        assert (
            len(s.scalars(select(QuestionReview).where(QuestionReview.question_id == question_id)).all()) == 1
        )
        with pytest.raises(InvalidInput) as info:
            questions.publish_question(s, question_id=question_id)
        assert info.value.field == "status" and "approved" in info.value.reason


def test_no_op_edit_of_approved_ai_question_keeps_it_approved(school, video) -> None:
    main, _ = video
    question_id = _ai_question(school, main, QuestionStatus.APPROVED)
    with school.session() as s:
        same = questions.update_question(s, question_id=question_id, prompt="Forces come in pairs.")
        assert same.status is QuestionStatus.APPROVED and same.version == 1
        assert questions.publish_question(s, question_id=question_id).status is QuestionStatus.PUBLISHED


def test_human_question_edit_stays_published_and_bumps_version(school, video) -> None:
    main, _ = video
    with school.session() as s:
        q = questions.create_question(
            s, video_id=main, type="true_false", prompt="Q", data={"correctAnswer": True}, publish=True
        )
        edited = questions.update_question(
            s, question_id=q.id, type="short_answer", data={"acceptedAnswers": ["x"]}
        )
        assert edited.status is QuestionStatus.PUBLISHED and edited.version == 2
        assert edited.type.value == "short_answer"
        with pytest.raises(InvalidInput) as info:
            questions.update_question(s, question_id=q.id, type="numeric")
        assert info.value.field == "data.answers"
        with pytest.raises(InvalidInput) as info:
            questions.set_question_status(s, question_id=q.id, status="approved")
        assert info.value.field == "status"


def test_question_order_within_a_milestone_and_delete_rules(school, video) -> None:
    main, _ = video
    with school.session() as s:
        stop = milestones.create_milestone(s, video_id=main, timestamp_seconds=60)
        ids = [
            questions.create_question(
                s,
                video_id=main,
                milestone_id=stop.id,
                type="true_false",
                prompt=f"Q{i}",
                data={"correctAnswer": True},
            ).id
            for i in range(3)
        ]
        first = questions.create_question(
            s,
            video_id=main,
            milestone_id=stop.id,
            type="true_false",
            prompt="Q0",
            data={"correctAnswer": True},
            position=0,
        ).id
        assert [q.id for q in questions.list_questions(s, milestone_id=stop.id)] == [first, *ids]
        questions.reorder_questions(s, milestone_id=stop.id, question_ids=[ids[2], ids[1], ids[0], first])
        assert [q.id for q in questions.list_questions(s, milestone_id=stop.id)] == [
            ids[2],
            ids[1],
            ids[0],
            first,
        ]
        questions.publish_question(s, question_id=ids[0])
        s.add(
            QuestionAttempt(
                tenant_id=school.tenant_id,
                student_id=school.student_ids[0],
                question_id=ids[0],
                attempt_number=1,
                response=True,
                fraction=1,
                points_awarded=1,
                points_possible=1,
                is_correct=True,
            )
        )
        s.flush()
        with pytest.raises(InvalidInput) as info:
            questions.delete_question(s, question_id=ids[0])
        assert info.value.field == "question_id" and "1 attempt" in info.value.reason
        questions.delete_question(s, question_id=ids[1])
        assert [q.position for q in questions.list_questions(s, milestone_id=stop.id)] == [0, 1, 2]
        assert [q.id for q in questions.list_questions(s, video_id=main, status="published")] == [ids[0]]
        assert len(questions.list_questions(s, video_id=main, status=["draft", "published"])) == 3
        # Deleting the milestone keeps its questions on the video, detached.
        assert milestones.delete_milestone(s, milestone_id=stop.id) == 3
        assert {q.milestone_id for q in questions.list_questions(s, video_id=main)} == {None}
