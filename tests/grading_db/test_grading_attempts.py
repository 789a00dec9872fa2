"""submit_attempt: grading, storage, refusals, maxAttempts under concurrency."""

from __future__ import annotations

import json
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, update

from platform_core.grading import InvalidResponse
from platform_core.grading import attempts as attempts_module
from platform_core.grading.attempts import (
    AttemptLimitReached,
    QuestionNotAvailable,
    submit_attempt,
)
from platform_core.models import Grade, QuestionAttempt, StudentProgress, StudentSession, User
from platform_core.validation import InvalidInput

from .conftest import CHOICE, SHORT, World


def _attempts(world: World, student_id: uuid.UUID, question_id: uuid.UUID) -> list[QuestionAttempt]:
    with world.session() as s:
        return list(
            s.scalars(
                select(QuestionAttempt)
                .where(QuestionAttempt.student_id == student_id, QuestionAttempt.question_id == question_id)
                .order_by(QuestionAttempt.attempt_number)
            )
        )


def _count(world: World, model) -> int:
    with world.session() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def test_attempt_is_graded_and_stored(world: World) -> None:
    video = world.video()
    world.lesson([[video]])
    question = world.question(video, type="multiple_choice", data=CHOICE, points=4, max_attempts=3)
    student = world.student()
    with world.session() as s:
        sync = StudentSession(id=uuid.uuid4(), tenant_id=world.tenant_id, student_id=student, video_id=video)
        s.add(sync)
    when = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    with world.session() as s:
        outcome = submit_attempt(
            s,
            student_id=student,
            question_id=question,
            response="b",
            time_spent_ms=4200,
            session_id=sync.id,
            submitted_at=when,
        )
    assert outcome.attempt_number == 1
    assert outcome.fraction == 0.5
    assert outcome.points_awarded == 2.0
    assert outcome.points_possible == 4.0
    assert outcome.is_correct is False
    assert outcome.attempts_left == 2
    assert outcome.grading_method == "penalized"
    assert outcome.question_final_fraction == 0.5
    assert outcome.next_step.action == "continue"
    [stored] = _attempts(world, student, question)
    assert stored.id == outcome.attempt_id
    assert (stored.response, stored.fraction, stored.points_awarded, stored.points_possible) == (
        "b",
        0.5,
        2.0,
        4.0,
    )
    assert (stored.time_spent_ms, stored.session_id, stored.submitted_at) == (4200, sync.id, when)
    assert stored.is_correct is False

    with world.session() as s:
        second = submit_attempt(s, student_id=student, question_id=question, response="a")
    assert (second.attempt_number, second.fraction, second.is_correct, second.attempts_left) == (
        2,
        1.0,
        True,
        1,
    )
    assert second.question_final_fraction == pytest.approx(2 / 3)  # penalized: 1 - 1 x 1/3


def test_unlimited_attempts_report_none_left(world: World) -> None:
    video = world.video()
    question = world.question(video, type="short_answer", data=SHORT)
    student = world.student()
    for expected in range(1, 6):
        with world.session() as s:
            outcome = submit_attempt(s, student_id=student, question_id=question, response="Lyon")
        assert (outcome.attempt_number, outcome.attempts_left, outcome.fraction) == (expected, None, 0.0)
    # A video in no lesson: no grade, and the tenant default method.
    assert outcome.lessons == ()
    assert outcome.grading_method == "penalized"


def test_limit_refuses_with_a_clear_message(world: World) -> None:
    video = world.video()
    lesson = world.lesson([[video]])
    question = world.question(video, max_attempts=2)
    student = world.student()
    for answer in (False, False):
        with world.session() as s:
            submit_attempt(s, student_id=student, question_id=question, response=answer)
    grade_before = world.grade(student, lesson)
    with pytest.raises(AttemptLimitReached, match="no attempts left") as info, world.session() as s:
        submit_attempt(s, student_id=student, question_id=question, response=True)
    assert info.value.field == "question_id"
    assert f"question {question} allows 2 attempts and all 2 have been used" in str(info.value)
    assert len(_attempts(world, student, question)) == 2
    grade_after = world.grade(student, lesson)
    assert grade_after is not None and grade_before is not None
    assert (grade_after.attempts_count, grade_after.updated_at) == (2, grade_before.updated_at)


@pytest.mark.parametrize("status", ["draft", "pending_review", "rejected", "archived"])
def test_unpublished_questions_are_refused(world: World, status: str) -> None:
    video = world.video()
    question = world.question(video, status=status)
    student = world.student()
    reason = f"not published to students \\(status '{status}'\\)"
    with pytest.raises(QuestionNotAvailable, match=reason), world.session() as s:
        submit_attempt(s, student_id=student, question_id=question, response=True)
    assert _attempts(world, student, question) == []


@pytest.mark.parametrize("status", ["approved", "published"])
def test_gradable_statuses_are_accepted(world: World, status: str) -> None:
    video = world.video()
    question = world.question(video, status=status)
    student = world.student()
    with world.session() as s:
        assert submit_attempt(s, student_id=student, question_id=question, response=True).is_correct


def test_missing_question_and_other_tenant(world: World, make_world) -> None:
    other = make_world()
    foreign_question = other.question(other.video())
    student = world.student()
    for question_id in (uuid.uuid4(), foreign_question):
        with pytest.raises(QuestionNotAvailable, match="no question"), world.session() as s:
            submit_attempt(s, student_id=student, question_id=question_id, response=True)


@pytest.mark.parametrize(
    ("question_type", "data", "response", "field"),
    [
        ("multiple_choice", CHOICE, "z", "response"),
        ("multiple_choice", CHOICE, ["a", "b"], "response"),
        ("true_false", {"correctAnswer": True}, {"x": 1}, "response"),
        ("short_answer", SHORT, float("nan"), "response"),
        ("ordering", {"items": [{"id": "a", "text": "A"}, {"id": "b", "text": "B"}]}, ["a"], "response"),
    ],
)
def test_malformed_response_stores_nothing(world: World, question_type, data, response, field) -> None:
    video = world.video()
    lesson = world.lesson([[video]])
    milestone = world.milestone(video, {"onWrong": {"action": "seek", "to": 5}})
    question = world.question(video, type=question_type, data=data, max_attempts=1, milestone_id=milestone)
    student = world.student()
    with pytest.raises(InvalidResponse) as info, world.session() as s:
        submit_attempt(s, student_id=student, question_id=question, response=response)
    assert info.value.field.startswith(field)
    assert _attempts(world, student, question) == []
    assert world.grade(student, lesson) is None
    assert _count(world, StudentProgress) == 0


def test_refusal_inside_a_larger_transaction_leaves_it_usable(world: World) -> None:
    """A caller may catch the refusal and carry on: the savepoint undid everything of the refused one."""
    video = world.video()
    lesson = world.lesson([[video]])
    question = world.question(video, max_attempts=1)
    student = world.student()
    with world.session() as s:
        submit_attempt(s, student_id=student, question_id=question, response=False)
        with pytest.raises(AttemptLimitReached):
            submit_attempt(s, student_id=student, question_id=question, response=True)
        assert s.scalar(select(func.count()).select_from(QuestionAttempt)) == 1
    grade = world.grade(student, lesson)
    assert grade is not None and grade.attempts_count == 1


def test_student_must_be_a_student_of_the_tenant(world: World, make_world) -> None:
    video = world.video()
    question = world.question(video)
    other_student = make_world().student()
    with pytest.raises(InvalidInput, match="not a student") as info, world.session() as s:
        submit_attempt(s, student_id=world.teacher_id, question_id=question, response=True)
    assert info.value.field == "student_id"
    with pytest.raises(InvalidInput, match="no user") as info, world.session() as s:
        submit_attempt(s, student_id=other_student, question_id=question, response=True)
    assert info.value.field == "student_id"
    assert _count(world, QuestionAttempt) == 0


def test_session_must_belong_to_the_student(world: World) -> None:
    video = world.video()
    question = world.question(video)
    alice, bob = world.student(), world.student()
    with world.session() as s:
        sync = StudentSession(id=uuid.uuid4(), tenant_id=world.tenant_id, student_id=bob, video_id=video)
        s.add(sync)
    with pytest.raises(InvalidInput, match="no session") as info, world.session() as s:
        submit_attempt(s, student_id=alice, question_id=question, response=True, session_id=sync.id)
    assert info.value.field == "session_id"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"time_spent_ms": -1}, "time_spent_ms"),
        ({"time_spent_ms": 1.5}, "time_spent_ms"),
        ({"submitted_at": datetime(2026, 1, 1)}, "submitted_at"),
    ],
)
def test_bad_metadata_is_refused(world: World, kwargs, field) -> None:
    question = world.question(world.video())
    student = world.student()
    with pytest.raises(InvalidInput) as info, world.session() as s:
        submit_attempt(s, student_id=student, question_id=question, response=True, **kwargs)
    assert info.value.field == field


def _submit_concurrently(world: World, student, question, count: int) -> tuple[list, list[str]]:
    barrier = threading.Barrier(count)

    def one(index: int):
        barrier.wait()
        try:
            with world.session() as s:
                return submit_attempt(
                    s, student_id=student, question_id=question, response=index % 2 == 0, time_spent_ms=index
                )
        except AttemptLimitReached as exc:
            return str(exc)

    with ThreadPoolExecutor(max_workers=count) as pool:
        results = list(pool.map(one, range(count)))
    return [r for r in results if not isinstance(r, str)], [r for r in results if isinstance(r, str)]


def test_fifty_concurrent_submissions_store_exactly_max_attempts(world: World) -> None:
    video = world.video()
    lesson = world.lesson([[video]])
    milestone = world.milestone(video, {"requireCorrect": True, "onWrong": {"action": "seek", "to": 10}})
    question = world.question(video, max_attempts=3, milestone_id=milestone)
    student = world.student()

    stored, refused = _submit_concurrently(world, student, question, 50)

    assert len(stored) == 3
    assert len(refused) == 47
    assert all(
        f"no attempts left: question {question} allows 3 attempts and all 3 have been used" in r
        for r in refused
    )
    assert sorted(o.attempt_number for o in stored) == [1, 2, 3]
    rows = _attempts(world, student, question)
    assert [r.attempt_number for r in rows] == [1, 2, 3]
    assert {r.id for r in rows} == {o.attempt_id for o in stored}
    grade = world.grade(student, lesson)
    assert grade is not None and grade.attempts_count == 3
    with world.session() as s:
        progress = s.scalars(select(StudentProgress)).one()
    assert progress.milestone_details["milestones"][str(milestone)]["answered"] == 3


def test_unique_key_is_the_backstop_without_the_lock(world: World, monkeypatch) -> None:
    """With the advisory lock switched off, the unique key and the re-count still cap the attempts."""
    video = world.video()
    question = world.question(video, max_attempts=3)
    student = world.student()
    real_lock = attempts_module.xact_lock

    def no_attempt_lock(session, namespace, *ids):
        if namespace != "attempt":
            real_lock(session, namespace, *ids)

    monkeypatch.setattr(attempts_module, "xact_lock", no_attempt_lock)
    stored, refused = _submit_concurrently(world, student, question, 20)
    assert len(stored) == 3 and len(refused) == 17
    assert [r.attempt_number for r in _attempts(world, student, question)] == [1, 2, 3]


def test_grade_rows_are_audited_per_attempt(world: World) -> None:
    video = world.video()
    lesson = world.lesson([[video]])
    question = world.question(video)
    student = world.student()
    with world.session() as s:
        submit_attempt(s, student_id=student, question_id=question, response=True)
    with world.session() as s:
        grade = s.scalars(select(Grade).where(Grade.lesson_id == lesson)).one()
    assert (grade.earned_points, grade.possible_points, grade.percentage, grade.letter) == (
        1.0,
        1.0,
        100.0,
        "A",
    )


def test_broken_stored_question_is_not_available(world: World) -> None:
    video = world.video()
    question = world.question(video, type="multiple_choice", data={"options": []})
    student = world.student()
    with pytest.raises(QuestionNotAvailable, match="cannot be graded: options") as info, world.session() as s:
        submit_attempt(s, student_id=student, question_id=question, response="a")
    assert info.value.field == "question_id"
    assert _count(world, QuestionAttempt) == 0


def test_deactivated_student_is_refused(world: World) -> None:
    question = world.question(world.video())
    student = world.student()
    with world.session() as s:
        s.execute(update(User).where(User.id == student).values(is_active=False))
    with pytest.raises(InvalidInput, match="deactivated"), world.session() as s:
        submit_attempt(s, student_id=student, question_id=question, response=True)


def test_outcome_as_json(world: World) -> None:
    video = world.video()
    lesson = world.lesson([[video]])
    milestone = world.milestone(video, {"onWrong": {"action": "seek", "to": 12}})
    question = world.question(video, milestone_id=milestone, max_attempts=2)
    student = world.student()
    with world.session() as s:
        outcome = submit_attempt(s, student_id=student, question_id=question, response=False)
    payload = json.loads(json.dumps(outcome.as_dict()))
    assert payload["attempt_id"] == str(outcome.attempt_id)
    assert payload["attempts_left"] == 1 and payload["fraction"] == 0.0
    assert payload["next_step"] == {"action": "seek", "target": 12.0, "message": None, "branch": "onWrong"}
    assert payload["lessons"][0]["lesson_id"] == str(lesson)
    assert payload["lessons"][0]["letter"] == "F"
