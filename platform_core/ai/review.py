"""Human review of generated questions: approve, reject (with a reason), edit, or edit then approve.

AI questions are stored as ``pending_review``; students only ever get ``approved`` or ``published`` ones
(``GRADABLE_STATUSES``, and a database trigger refuses answers to unapproved AI questions). Every action is
a ``question_reviews`` row with the question before and after, plus an application audit event (REVIEW);
the row-level audit triggers record the changes too. Editing an approved or published question without
approving it again sends it back to ``pending_review``.

Actions on several questions are all-or-nothing: every question is checked before any is changed.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from platform_core.audit import AuditAction, record_event
from platform_core.db.session import TENANT_KEY, USER_KEY
from platform_core.grading import InvalidQuestionData, validate_question_data
from platform_core.models import (
    Question,
    QuestionReview,
    QuestionSource,
    QuestionStatus,
    QuestionType,
    ReviewAction,
    User,
    UserRole,
)
from platform_core.validation import InvalidInput

REVIEWER_ROLES = frozenset({UserRole.TEACHER, UserRole.ADMIN})
APPROVABLE = frozenset({QuestionStatus.PENDING_REVIEW})
REJECTABLE = frozenset({QuestionStatus.PENDING_REVIEW, QuestionStatus.APPROVED})
EDITABLE = frozenset(
    {
        QuestionStatus.PENDING_REVIEW,
        QuestionStatus.APPROVED,
        QuestionStatus.PUBLISHED,
        QuestionStatus.REJECTED,
    }
)
MAX_BATCH = 1000


@dataclass(frozen=True)
class ReviewOutcome:
    question_id: uuid.UUID
    review_id: uuid.UUID
    action: ReviewAction
    status_before: QuestionStatus
    status_after: QuestionStatus

    def as_json(self) -> dict[str, str]:
        return {
            "question_id": str(self.question_id),
            "review_id": str(self.review_id),
            "action": self.action.value,
            "from": self.status_before.value,
            "to": self.status_after.value,
        }


def snapshot(question: Question) -> dict[str, Any]:
    """The reviewable content of a question (the same shape the content services record)."""
    return {
        "type": question.type.value,
        "prompt": question.prompt,
        "data": question.data,
        "points": question.points,
        "maxAttempts": question.max_attempts,
        "penalty": question.penalty,
        "explanation": question.explanation,
        "status": question.status.value,
        "version": question.version,
    }


def _reviewer(session: Session) -> uuid.UUID | None:
    """The acting user, who must be a teacher or an admin; None when an operator acts (CLI without user)."""
    user_id = session.info.get(USER_KEY)
    if user_id is None:
        return None
    role = session.scalar(select(User.role).where(User.id == user_id))
    if role not in REVIEWER_ROLES:
        raise InvalidInput("reviewer", "only teachers and admins may review questions")
    return user_id


def _ids(question_ids: Iterable[uuid.UUID | str]) -> list[uuid.UUID]:
    out = []
    for value in question_ids:
        try:
            out.append(value if isinstance(value, uuid.UUID) else uuid.UUID(str(value).strip()))
        except ValueError:
            raise InvalidInput("question_ids", f"not a question id: {value!r}") from None
    if not out:
        raise InvalidInput("question_ids", "no question given")
    if len(out) > MAX_BATCH:
        raise InvalidInput("question_ids", f"at most {MAX_BATCH} questions per action")
    return list(dict.fromkeys(out))


def _locked(
    session: Session, ids: list[uuid.UUID], allowed: frozenset[QuestionStatus], verb: str
) -> list[Question]:
    questions = {
        q.id: q
        for q in session.scalars(
            select(Question).where(Question.id.in_(ids)).order_by(Question.id).with_for_update()
        )
    }
    missing = [str(i) for i in ids if i not in questions]
    if missing:
        raise InvalidInput("question_ids", f"no such question in this tenant: {', '.join(missing[:5])}")
    wrong = [f"{q.id} is {q.status.value}" for q in questions.values() if q.status not in allowed]
    if wrong:
        names = " or ".join(sorted(s.value for s in allowed))
        raise InvalidInput(
            "question_ids", f"can only {verb} questions that are {names}: {'; '.join(wrong[:5])}"
        )
    return [questions[i] for i in ids]


def _record(
    session: Session,
    question: Question,
    *,
    action: ReviewAction,
    reviewer: uuid.UUID | None,
    before: dict[str, Any],
    reason: str | None,
) -> ReviewOutcome:
    review = QuestionReview(
        id=uuid.uuid4(),
        tenant_id=session.info[TENANT_KEY],
        question_id=question.id,
        reviewer_id=reviewer,
        action=action,
        reason=reason,
        before=before,
        after=snapshot(question),
    )
    session.add(review)
    record_event(
        session,
        AuditAction.REVIEW,
        table_name="questions",
        record_id=str(question.id),
        details={
            "action": action.value,
            "reviewId": str(review.id),
            "reason": reason,
            "from": before["status"],
            "to": question.status.value,
            "source": question.source.value,
        },
    )
    return ReviewOutcome(question.id, review.id, action, QuestionStatus(before["status"]), question.status)


def _reason(reason: str | None, *, required: bool) -> str | None:
    text = " ".join((reason or "").split())
    if required and not text:
        raise InvalidInput("reason", "a reason is required")
    if len(text) > 2000:
        raise InvalidInput("reason", "at most 2000 characters")
    return text or None


def _check_gradable_data(question: Question) -> None:
    try:
        validate_question_data(question.type.value, question.data)
    except InvalidQuestionData as exc:
        raise InvalidInput(f"questions[{question.id}].data", str(exc)) from None


def approve_questions(
    session: Session, *, question_ids: Iterable[uuid.UUID | str], reason: str | None = None
) -> list[ReviewOutcome]:
    """Approve questions awaiting review (students can answer them from now on)."""
    reviewer, note = _reviewer(session), _reason(reason, required=False)
    questions = _locked(session, _ids(question_ids), APPROVABLE, "approve")
    outcomes = []
    for question in questions:
        _check_gradable_data(question)
        before = snapshot(question)
        question.status = QuestionStatus.APPROVED
        outcomes.append(
            _record(
                session, question, action=ReviewAction.APPROVE, reviewer=reviewer, before=before, reason=note
            )
        )
    session.flush()
    return outcomes


def reject_questions(
    session: Session, *, question_ids: Iterable[uuid.UUID | str], reason: str
) -> list[ReviewOutcome]:
    """Reject questions (pending or approved but not yet published); the reason is required."""
    reviewer, note = _reviewer(session), _reason(reason, required=True)
    questions = _locked(session, _ids(question_ids), REJECTABLE, "reject")
    outcomes = []
    for question in questions:
        before = snapshot(question)
        question.status = QuestionStatus.REJECTED
        outcomes.append(
            _record(
                session, question, action=ReviewAction.REJECT, reviewer=reviewer, before=before, reason=note
            )
        )
    session.flush()
    return outcomes


def edit_questions(
    session: Session, *, edits: Sequence[Mapping[str, Any]], approve: bool = False, reason: str | None = None
) -> list[ReviewOutcome]:
    """Apply edits (``{id, type?, prompt?, data?, explanation?, points?}`` each) and, with ``approve``,
    approve the results. Without ``approve`` an edited question (re)enters ``pending_review``."""
    reviewer, note = _reviewer(session), _reason(reason, required=False)
    by_id: dict[uuid.UUID, Mapping[str, Any]] = {}
    for index, edit in enumerate(edits):
        unknown = set(edit) - {"id", "type", "prompt", "data", "explanation", "points"}
        if unknown:
            raise InvalidInput(f"edits[{index}]", f"unknown field(s) {sorted(unknown)}")
        by_id[_ids([edit.get("id", "")])[0]] = edit
    questions = _locked(session, _ids(by_id), EDITABLE, "edit")
    outcomes = []
    for question in questions:
        edit, before = by_id[question.id], snapshot(question)
        _apply(question, edit)
        changed = [k for k in before if k not in ("status", "version") and before[k] != snapshot(question)[k]]
        if changed:
            question.version += 1
        if approve:
            _check_gradable_data(question)
            question.status, action = QuestionStatus.APPROVED, ReviewAction.EDIT_APPROVE
        elif before["status"] in (QuestionStatus.APPROVED.value, QuestionStatus.PUBLISHED.value):
            question.status, action = QuestionStatus.PENDING_REVIEW, ReviewAction.RETURN_TO_REVIEW
        else:
            question.status, action = QuestionStatus.PENDING_REVIEW, ReviewAction.EDIT
        why = note or (f"edited: {', '.join(changed)}" if changed else None)
        outcomes.append(
            _record(session, question, action=action, reviewer=reviewer, before=before, reason=why)
        )
    session.flush()
    return outcomes


def _apply(question: Question, edit: Mapping[str, Any]) -> None:
    field = f"questions[{question.id}]"
    if "type" in edit or "data" in edit:
        kind = str(edit.get("type", question.type.value))
        data = edit.get("data", question.data)
        try:
            validate_question_data(kind, data)
        except InvalidQuestionData as exc:
            raise InvalidInput(f"{field}.data", str(exc)) from None
        question.type, question.data = (
            QuestionType(kind),
            {k: v for k, v in dict(data).items() if k != "type"},
        )
    if "prompt" in edit:
        prompt = " ".join(str(edit["prompt"] or "").split())
        if not prompt:
            raise InvalidInput(f"{field}.prompt", "must not be empty")
        question.prompt = prompt
    if "explanation" in edit:
        question.explanation = (str(edit["explanation"]).strip() or None) if edit["explanation"] else None
    if "points" in edit:
        points = edit["points"]
        if isinstance(points, bool) or not isinstance(points, int | float) or not points > 0:
            raise InvalidInput(f"{field}.points", "must be a positive number")
        question.points = float(points)


def pending_questions(
    session: Session,
    *,
    video_id: uuid.UUID | None = None,
    job_id: uuid.UUID | None = None,
    source: QuestionSource | None = None,
    limit: int = 100,
    after: uuid.UUID | None = None,
) -> list[Question]:
    """Questions awaiting review in id order (``after``: the last id of the previous page, for paging)."""
    query = select(Question).where(Question.status == QuestionStatus.PENDING_REVIEW)
    if video_id is not None:
        query = query.where(Question.video_id == video_id)
    if job_id is not None:
        query = query.where(Question.generation_job_id == job_id)
    if source is not None:
        query = query.where(Question.source == source)
    if after is not None:
        query = query.where(Question.id > after)
    return list(session.scalars(query.order_by(Question.id).limit(limit)))


def review_history(session: Session, *, question_id: uuid.UUID) -> list[QuestionReview]:
    return list(
        session.scalars(
            select(QuestionReview)
            .where(QuestionReview.question_id == question_id)
            .order_by(QuestionReview.created_at, QuestionReview.id)
        )
    )
