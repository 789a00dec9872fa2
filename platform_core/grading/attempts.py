"""Submitting an answer: grade it, store the attempt, keep lesson grades and milestone progress current.

``submit_attempt`` runs inside the caller's ``tenant_session`` transaction and inside a savepoint of its
own, so a refused or failed submission leaves nothing behind even when the caller carries on. The cap
``maxAttempts`` is enforced in the database transaction: a transaction-level advisory lock on (tenant,
student, question) serialises submissions for the same question, and the attempt count is read after the
lock is granted, so concurrent submissions can never store more attempts than allowed. The unique key
(tenant, student, question, attempt_number) is the backstop: the insert uses ``ON CONFLICT DO NOTHING``
and counts again if another writer took the number. The locks are held until the caller's transaction
ends, so callers should commit promptly (``tenant_session`` does at the end of its block). The default
READ COMMITTED isolation is assumed: each statement sees what committed before it started.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from platform_core.activity.milestones import record_milestone_answer
from platform_core.db.session import TENANT_KEY
from platform_core.grading.engine import grade_response
from platform_core.grading.errors import InvalidQuestionData, InvalidResponse
from platform_core.grading.lesson_grades import (
    LessonGradeUpdate,
    parse_tenant_settings,
    update_grades_for_attempt,
    xact_lock,
)
from platform_core.grading.lesson_structure import GradedQuestion
from platform_core.grading.letters import letter_grade
from platform_core.grading.methods import final_fraction
from platform_core.grading.next_step import NextStep, decide_next_step, milestone_settings
from platform_core.models import (
    GRADABLE_STATUSES,
    Milestone,
    Question,
    QuestionAttempt,
    StudentSession,
    Tenant,
    User,
    UserRole,
)
from platform_core.tenancy.schemas import TenantSettings
from platform_core.validation import InvalidInput

__all__ = [
    "AttemptConflict",
    "AttemptLimitReached",
    "AttemptOutcome",
    "AttemptRefused",
    "QuestionNotAvailable",
    "submit_attempt",
]

#: How often an insert that lost its attempt number to a writer bypassing the lock is retried.
_INSERT_TRIES = 10
#: Built once and executed with parameters only; the unique key is the backstop behind the lock.
_INSERT_ATTEMPT = (
    insert(QuestionAttempt)
    .on_conflict_do_nothing(
        index_elements=[
            QuestionAttempt.tenant_id,
            QuestionAttempt.student_id,
            QuestionAttempt.question_id,
            QuestionAttempt.attempt_number,
        ]
    )
    .returning(QuestionAttempt.id)
)


class AttemptRefused(InvalidInput):
    """A submission the platform refuses; nothing was stored. ``field`` names what was refused."""


class QuestionNotAvailable(AttemptRefused):
    """The question does not exist in this tenant or is not published to students."""


class AttemptLimitReached(AttemptRefused):
    """Every attempt the question allows has been used."""

    def __init__(self, question_id: uuid.UUID, max_attempts: int) -> None:
        self.question_id = question_id
        self.max_attempts = max_attempts
        plural = "attempt" if max_attempts == 1 else "attempts"
        super().__init__(
            "question_id",
            f"no attempts left: question {question_id} allows {max_attempts} {plural} "
            f"and all {max_attempts} have been used",
        )


class AttemptConflict(AttemptRefused):
    """Other submissions kept taking the next attempt number; the submission may simply be retried."""


@dataclass(frozen=True, slots=True)
class AttemptOutcome:
    """The stored attempt and what follows from it.

    ``attempts_left`` is None when the question allows unlimited attempts. ``question_final_fraction`` is
    the question's score after this attempt by ``grading_method``: the effective method of the lessons
    containing the question when they agree on one, else the tenant's default. ``lessons`` has the
    updated grade of every lesson containing the question's video, with its own method's final fraction.
    """

    attempt_id: uuid.UUID
    attempt_number: int
    fraction: float
    points_awarded: float
    points_possible: float
    is_correct: bool
    feedback: str
    attempts_left: int | None
    question_final_fraction: float
    grading_method: str
    next_step: NextStep
    lessons: tuple[LessonGradeUpdate, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (ids as strings), e.g. for the player's API or the simulator's log."""
        data = {f: getattr(self, f) for f in self.__dataclass_fields__ if f not in ("next_step", "lessons")}
        data["attempt_id"] = str(self.attempt_id)
        data["next_step"] = self.next_step.model_dump(mode="json")
        data["lessons"] = [
            {**{f: getattr(u, f) for f in u.__dataclass_fields__}, "lesson_id": str(u.lesson_id)}
            for u in self.lessons
        ]
        return data


def _check_inputs(response: Any, time_spent_ms: int | None, submitted_at: datetime | None) -> None:
    try:
        json.dumps(response, allow_nan=False)
    except (TypeError, ValueError) as exc:
        reason = f"must be JSON (strings, finite numbers, booleans, lists, objects): {exc}"
        raise InvalidResponse("response", reason) from exc
    if time_spent_ms is not None and (
        not isinstance(time_spent_ms, int) or isinstance(time_spent_ms, bool) or time_spent_ms < 0
    ):
        raise InvalidInput("time_spent_ms", "must be a whole number of milliseconds >= 0")
    if submitted_at is not None and (not isinstance(submitted_at, datetime) or submitted_at.tzinfo is None):
        raise InvalidInput("submitted_at", "must be a datetime with a time zone")


@dataclass(frozen=True, slots=True)
class _Context:
    question: Question
    milestone: Milestone | None
    settings: TenantSettings


def _load_context(
    session: Session,
    tenant_id: uuid.UUID,
    student_id: uuid.UUID,
    question_id: uuid.UUID,
    session_id: uuid.UUID | None,
) -> _Context:
    """The question (with its milestone), the student's role and the session's owner, and the tenant's
    settings, in one round trip; then every check that refuses the submission before anything is locked."""
    role = select(User.role).where(User.id == student_id).scalar_subquery()
    active = select(User.is_active).where(User.id == student_id).scalar_subquery()
    owner = select(StudentSession.student_id).where(StudentSession.id == session_id).scalar_subquery()
    settings = select(Tenant.settings).where(Tenant.id == tenant_id).scalar_subquery()
    row = session.execute(
        select(Question, Milestone, role, active, owner, settings)
        .outerjoin(
            Milestone, and_(Milestone.tenant_id == Question.tenant_id, Milestone.id == Question.milestone_id)
        )
        .where(Question.id == question_id)
    ).one_or_none()
    if row is None:
        raise QuestionNotAvailable("question_id", f"no question {question_id} in this tenant")
    question, milestone, role, active, owner, settings = row
    if question.status not in GRADABLE_STATUSES:
        raise QuestionNotAvailable(
            "question_id",
            f"question {question_id} is not published to students (status '{question.status.value}')",
        )
    if role is None:
        raise InvalidInput("student_id", f"no user {student_id} in this tenant")
    if role != UserRole.STUDENT:
        raise InvalidInput("student_id", f"user {student_id} is a {UserRole(role).value}, not a student")
    if not active:
        raise InvalidInput("student_id", f"student {student_id} is deactivated")
    if session_id is not None and owner != student_id:
        raise InvalidInput("session_id", f"no session {session_id} of this student")
    return _Context(question, milestone, parse_tenant_settings(settings))


def _previous_attempts(
    session: Session, student_id: uuid.UUID, question_id: uuid.UUID
) -> tuple[list[float], int]:
    """The fractions of the stored attempts in order, and the last attempt number (0 when none)."""
    rows = session.execute(
        select(QuestionAttempt.attempt_number, QuestionAttempt.fraction)
        .where(QuestionAttempt.student_id == student_id, QuestionAttempt.question_id == question_id)
        .order_by(QuestionAttempt.attempt_number)
    ).all()
    # Numbers are dense (the application role cannot delete attempts); taking last + 1 rather than
    # count + 1 keeps the next number fresh even if an operator removed one.
    return [r.fraction for r in rows], rows[-1].attempt_number if rows else 0


def _method_for_outcome(updates: list[LessonGradeUpdate], default: str) -> str:
    methods = {u.grading_method for u in updates}
    return methods.pop() if len(methods) == 1 else default


def submit_attempt(
    session: Session,
    *,
    student_id: uuid.UUID,
    question_id: uuid.UUID,
    response: Any,
    time_spent_ms: int | None = None,
    session_id: uuid.UUID | None = None,
    submitted_at: datetime | None = None,
) -> AttemptOutcome:
    """Grade ``response`` to the question, store the attempt and update grades and milestone progress.

    Raises :class:`QuestionNotAvailable` (missing, not in a gradable status, or its stored data cannot be
    graded), ``InvalidInput`` (unknown, deactivated or non-student user, someone else's session, bad
    ``time_spent_ms``/``submitted_at``, broken milestone settings), ``InvalidResponse`` (malformed
    response), :class:`AttemptLimitReached` (``maxAttempts`` used up). Nothing is stored when any error is
    raised, even if the caller catches it and commits.
    """
    tenant_id = session.info.get(TENANT_KEY)
    if tenant_id is None:
        raise ValueError("session: submit_attempt needs a tenant_session (no tenant set)")
    _check_inputs(response, time_spent_ms, submitted_at)
    context = _load_context(session, tenant_id, student_id, question_id, session_id)
    question, milestone, settings = context.question, context.milestone, context.settings
    # Everything that can refuse the submission runs before the first write: grading (a malformed
    # response), the milestone's settings, the tenant's letter scale. The lock is held only for the writes.
    try:
        result = grade_response(question.type.value, question.data, response, points=question.points)
    except InvalidQuestionData as exc:  # stored data is validated on the way in; this is a safety net
        raise QuestionNotAvailable("question_id", f"question {question_id} cannot be graded: {exc}") from exc
    rules = milestone_settings(milestone.settings) if milestone is not None else None
    letter_grade(0, settings.scale())

    values = {
        "tenant_id": tenant_id,
        "student_id": student_id,
        "question_id": question_id,
        "response": response,
        "fraction": result.fraction,
        "points_awarded": result.points,
        "points_possible": result.max_points,
        "is_correct": result.is_correct,
        "feedback": result.feedback or None,
        "time_spent_ms": time_spent_ms,
        "session_id": session_id,
    }
    if submitted_at is not None:  # else the column's default: the transaction's time
        values["submitted_at"] = submitted_at

    with session.begin_nested():
        xact_lock(session, "attempt", tenant_id, student_id, question_id)
        for _ in range(_INSERT_TRIES):
            fractions, last_number = _previous_attempts(session, student_id, question_id)
            number = last_number + 1
            if question.max_attempts is not None and len(fractions) >= question.max_attempts:
                raise AttemptLimitReached(question_id, question.max_attempts)
            row = {**values, "id": uuid.uuid4(), "attempt_number": number}
            attempt_id = session.execute(_INSERT_ATTEMPT, row).scalar_one_or_none()
            if attempt_id is not None:
                break
        else:
            raise AttemptConflict(
                "question_id", "other submissions kept arriving at the same time; try again"
            )

        fractions.append(result.fraction)
        graded = GradedQuestion(question.id, question.video_id, question.points, question.penalty)
        updates = update_grades_for_attempt(
            session, student_id=student_id, question=graded, fractions=fractions, settings=settings
        )
        attempts_left = None if question.max_attempts is None else question.max_attempts - len(fractions)
        step = decide_next_step(rules, is_correct=result.is_correct, attempts_left=attempts_left)
        if milestone is not None:
            record_milestone_answer(
                session,
                student_id=student_id,
                video_id=milestone.video_id,
                milestone_id=milestone.id,
                fraction=result.fraction,
                is_correct=result.is_correct,
                branch=step.branch,
                action=step.action,
                answered_at=submitted_at,
            )

    method = _method_for_outcome(updates, settings.grading_method)
    agreed = next((u.question_final_fraction for u in updates if u.grading_method == method), None)
    return AttemptOutcome(
        attempt_id=attempt_id,
        attempt_number=number,
        fraction=result.fraction,
        points_awarded=result.points,
        points_possible=result.max_points,
        is_correct=result.is_correct,
        feedback=result.feedback,
        attempts_left=attempts_left,
        question_final_fraction=(
            agreed
            if agreed is not None
            else final_fraction(fractions, method=method, penalty=question.penalty)
        ),
        grading_method=method,
        next_step=step,
        lessons=tuple(updates),
    )
