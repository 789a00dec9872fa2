"""Questions of every type: create, update, publish, archive, delete, list and reorder.

``data`` is validated with :func:`platform_core.grading.validate_question_data` (QUESTIONS.md) and stored
as given, without a ``type`` key. Human questions start as drafts and are published by a teacher. AI
questions go through the review workflow (``platform_core.ai.review``); editing the content of an AI
question that a person already approved (or published) sends it back to ``pending_review``, recorded as a
``return_to_review`` review row, so no AI text reaches students unreviewed.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import func, select
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
from platform_core.grading import InvalidQuestionData, validate_question_data
from platform_core.models import (
    Milestone,
    Question,
    QuestionAttempt,
    QuestionReview,
    QuestionSource,
    QuestionStatus,
    QuestionType,
    ReviewAction,
    Video,
    VideoGroup,
    VideoGroupVideo,
)
from platform_core.validation import InvalidInput

#: Statuses of an AI question that mean "a person has signed off on this text".
REVIEWED_AI_STATUSES = frozenset({QuestionStatus.APPROVED, QuestionStatus.PUBLISHED})


def validate_data(question_type: QuestionType | str, data: Any) -> tuple[QuestionType, dict[str, Any]]:
    """Check a question's type and ``data``; returns the type and the JSON to store (``InvalidInput`` on
    failure, its field prefixed with ``data.``)."""
    kind = as_enum(QuestionType, question_type, "type")
    if not isinstance(data, Mapping):
        raise InvalidInput("data", "must be an object")
    try:
        validate_question_data(kind.value, data)
        stored = json.loads(json.dumps({k: v for k, v in data.items() if k != "type"}, allow_nan=False))
    except InvalidQuestionData as exc:
        raise InvalidInput(f"data.{exc.field}" if exc.field else "data", exc.reason) from None
    except (TypeError, ValueError) as exc:
        raise InvalidInput("data", f"must be JSON: {exc}") from None
    return kind, stored


def _points(value: Any) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value <= 0
    ):
        raise InvalidInput("points", "must be a number > 0")
    return float(value)


def _max_attempts(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidInput("max_attempts", "must be an integer >= 1, or null for unlimited")
    return value


def _penalty(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise InvalidInput("penalty", "must be a fraction in [0, 1]")
    return float(value)


def _milestone_of(
    session: Session, milestone_id: uuid.UUID | str | None, video_id: uuid.UUID
) -> uuid.UUID | None:
    if milestone_id is None:
        return None
    milestone = fetch(session, Milestone, milestone_id, "milestone_id")
    if milestone.video_id != video_id:
        raise InvalidInput("milestone_id", f"milestone {milestone.id} belongs to another video")
    return milestone.id


def _siblings(session: Session, question: Question) -> list[Question]:
    """Questions sharing the question's milestone (or, without one, its video's free questions)."""
    query = select(Question).where(
        Question.tenant_id == question.tenant_id, Question.video_id == question.video_id
    )
    if question.milestone_id is None:
        query = query.where(Question.milestone_id.is_(None))
    else:
        query = query.where(Question.milestone_id == question.milestone_id)
    return list(session.scalars(query.order_by(Question.position, Question.created_at, Question.id)))


def create_question(
    session: Session,
    *,
    video_id: uuid.UUID | str,
    type: QuestionType | str,
    prompt: str,
    data: Mapping[str, Any],
    milestone_id: uuid.UUID | str | None = None,
    points: float = 1.0,
    max_attempts: int | None = None,
    penalty: float = 1 / 3,
    explanation: str | None = None,
    position: int | None = None,
    publish: bool = False,
    id: uuid.UUID | None = None,
) -> Question:
    """A human-written question, in draft (or published at once with ``publish=True``)."""
    video = fetch(session, Video, video_id, "video_id")
    kind, stored = validate_data(type, data)
    question = Question(
        id=id or uuid.uuid4(),
        tenant_id=video.tenant_id,
        video_id=video.id,
        milestone_id=_milestone_of(session, milestone_id, video.id),
        type=kind,
        prompt=required_text(prompt, "prompt", max_length=5000, single_line=False),
        data=stored,
        points=_points(points),
        max_attempts=_max_attempts(max_attempts),
        penalty=_penalty(penalty),
        explanation=optional_text(explanation, "explanation"),
        status=QuestionStatus.PUBLISHED if publish else QuestionStatus.DRAFT,
        source=QuestionSource.HUMAN,
        created_by=acting_user(session),
        position=0,
    )
    siblings = _siblings(session, question)
    index = len(siblings) if position is None else _position(position, len(siblings))
    session.add(question)
    siblings.insert(index, question)
    _renumber(siblings)
    session.flush()
    return question


def get_question(session: Session, *, question_id: uuid.UUID | str) -> Question:
    return fetch(session, Question, question_id, "question_id")


def snapshot(question: Question) -> dict[str, Any]:
    """The reviewable content of a question as JSON (for review rows and diffs)."""
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


def update_question(
    session: Session,
    *,
    question_id: uuid.UUID | str,
    type: QuestionType | str | _Unset = UNSET,
    prompt: str | _Unset = UNSET,
    data: Mapping[str, Any] | _Unset = UNSET,
    points: float | _Unset = UNSET,
    max_attempts: int | _Unset | None = UNSET,
    penalty: float | _Unset = UNSET,
    explanation: str | _Unset | None = UNSET,
    milestone_id: uuid.UUID | str | _Unset | None = UNSET,
    reason: str | None = None,
) -> Question:
    """Edit a question. A content change bumps ``version``; on an approved or published AI question it also
    sends the question back to ``pending_review``, with a review row naming the acting user and ``reason``."""
    question = fetch(session, Question, question_id, "question_id", lock=True)
    before = snapshot(question)
    if type is not UNSET or data is not UNSET:
        new_type = question.type if type is UNSET else type
        new_data = question.data if data is UNSET else data
        question.type, question.data = validate_data(new_type, new_data)
    if prompt is not UNSET:
        question.prompt = required_text(prompt, "prompt", max_length=5000, single_line=False)
    if points is not UNSET:
        question.points = _points(points)
    if max_attempts is not UNSET:
        question.max_attempts = _max_attempts(max_attempts)
    if penalty is not UNSET:
        question.penalty = _penalty(penalty)
    if explanation is not UNSET:
        question.explanation = optional_text(explanation, "explanation")
    if milestone_id is not UNSET:
        moved_to = _milestone_of(session, milestone_id, question.video_id)
        if moved_to != question.milestone_id:
            question.milestone_id = moved_to
            question.position = len([q for q in _siblings(session, question) if q.id != question.id])
    after = snapshot(question)
    changed = [key for key in before if key not in ("status", "version") and before[key] != after[key]]
    if changed:
        question.version += 1
        if question.source is QuestionSource.AI and question.status in REVIEWED_AI_STATUSES:
            question.status = QuestionStatus.PENDING_REVIEW
            session.add(
                QuestionReview(
                    tenant_id=question.tenant_id,
                    question_id=question.id,
                    reviewer_id=acting_user(session),
                    action=ReviewAction.RETURN_TO_REVIEW,
                    reason=optional_text(reason, "reason") or f"edited after review: {', '.join(changed)}",
                    before=before,
                    after=snapshot(question),
                )
            )
    session.flush()
    return question


def set_question_status(
    session: Session, *, question_id: uuid.UUID | str, status: QuestionStatus | str
) -> Question:
    """Publish, unpublish or archive a question. AI questions are published only once approved, and never
    moved into or out of review here (that is the review workflow's job)."""
    question = fetch(session, Question, question_id, "question_id", lock=True)
    target = as_enum(QuestionStatus, status, "status")
    current = question.status
    if target == current:
        return question
    if question.source is QuestionSource.AI:
        allowed = {
            QuestionStatus.PUBLISHED: {QuestionStatus.APPROVED, QuestionStatus.ARCHIVED},
            QuestionStatus.APPROVED: {QuestionStatus.PUBLISHED},
            QuestionStatus.ARCHIVED: set(QuestionStatus) - {QuestionStatus.ARCHIVED},
        }
        if current not in allowed.get(target, set()):
            if target is QuestionStatus.PUBLISHED and current is not QuestionStatus.ARCHIVED:
                raise InvalidInput(
                    "status", f"an AI question must be approved before publishing (it is {current})"
                )
            raise InvalidInput("status", f"an AI question cannot go from {current} to {target} here")
        if target is QuestionStatus.PUBLISHED and current is QuestionStatus.ARCHIVED:
            # Only a question that had been reviewed may come back; the review rows say so.
            reviewed = session.scalar(
                select(func.count())
                .select_from(QuestionReview)
                .where(
                    QuestionReview.tenant_id == question.tenant_id,
                    QuestionReview.question_id == question.id,
                    QuestionReview.action.in_(
                        [ReviewAction.APPROVE, ReviewAction.EDIT_APPROVE, ReviewAction.PUBLISH]
                    ),
                )
            )
            if not reviewed:
                raise InvalidInput("status", "this AI question was never approved; send it to review first")
    else:
        allowed_human = {QuestionStatus.DRAFT, QuestionStatus.PUBLISHED, QuestionStatus.ARCHIVED}
        if target not in allowed_human:
            raise InvalidInput("status", f"a human question is draft, published or archived, not {target}")
    question.status = target
    session.flush()
    return question


def publish_question(session: Session, *, question_id: uuid.UUID | str) -> Question:
    return set_question_status(session, question_id=question_id, status=QuestionStatus.PUBLISHED)


def unpublish_question(session: Session, *, question_id: uuid.UUID | str) -> Question:
    """Hide a published question from students: a human one goes back to draft, an AI one to approved."""
    question = fetch(session, Question, question_id, "question_id")
    back = QuestionStatus.APPROVED if question.source is QuestionSource.AI else QuestionStatus.DRAFT
    return set_question_status(session, question_id=question_id, status=back)


def archive_question(session: Session, *, question_id: uuid.UUID | str) -> Question:
    return set_question_status(session, question_id=question_id, status=QuestionStatus.ARCHIVED)


def delete_question(session: Session, *, question_id: uuid.UUID | str, force: bool = False) -> None:
    """Delete a question. Students' attempts would go with it, so that needs ``force``; archive instead."""
    question = fetch(session, Question, question_id, "question_id", lock=True)
    attempts = session.scalar(
        select(func.count())
        .select_from(QuestionAttempt)
        .where(QuestionAttempt.tenant_id == question.tenant_id, QuestionAttempt.question_id == question.id)
    )
    if attempts and not force:
        raise InvalidInput("question_id", f"has {attempts} attempt(s); archive it, or pass force=True")
    siblings = [q for q in _siblings(session, question) if q.id != question.id]
    session.delete(question)
    _renumber(siblings)
    session.flush()


def list_questions(
    session: Session,
    *,
    video_id: uuid.UUID | str | None = None,
    milestone_id: uuid.UUID | str | None = None,
    lesson_id: uuid.UUID | str | None = None,
    status: QuestionStatus | str | Sequence[QuestionStatus | str] | None = None,
    source: QuestionSource | str | None = None,
    type: QuestionType | str | None = None,
    limit: int = 1000,
    offset: int = 0,
) -> list[Question]:
    """Questions filtered by video, milestone, lesson, status(es), source and type, in video/stop order."""
    tenant_id = tenant_of(session)
    query = select(Question).where(Question.tenant_id == tenant_id)
    if video_id is not None:
        query = query.where(Question.video_id == as_uuid(video_id, "video_id"))
    if milestone_id is not None:
        query = query.where(Question.milestone_id == as_uuid(milestone_id, "milestone_id"))
    if lesson_id is not None:
        videos = (
            select(VideoGroupVideo.video_id)
            .join(
                VideoGroup,
                (VideoGroup.tenant_id == VideoGroupVideo.tenant_id)
                & (VideoGroup.id == VideoGroupVideo.video_group_id),
            )
            .where(VideoGroup.tenant_id == tenant_id, VideoGroup.lesson_id == as_uuid(lesson_id, "lesson_id"))
        )
        query = query.where(Question.video_id.in_(videos))
    if status is not None:
        statuses = [status] if isinstance(status, str) else list(status)
        query = query.where(Question.status.in_([as_enum(QuestionStatus, s, "status") for s in statuses]))
    if source is not None:
        query = query.where(Question.source == as_enum(QuestionSource, source, "source"))
    if type is not None:
        query = query.where(Question.type == as_enum(QuestionType, type, "type"))
    milestone_time = (
        select(Milestone.timestamp_seconds)
        .where(Milestone.tenant_id == Question.tenant_id, Milestone.id == Question.milestone_id)
        .scalar_subquery()
    )
    query = query.order_by(Question.video_id, milestone_time.nulls_last(), Question.position, Question.id)
    return list(session.scalars(query.limit(limit).offset(offset)))


def reorder_questions(
    session: Session, *, milestone_id: uuid.UUID | str, question_ids: Sequence[uuid.UUID | str]
) -> list[Question]:
    """Put a milestone's questions in the order given (which must list each of them once)."""
    milestone = fetch(session, Milestone, milestone_id, "milestone_id", lock=True)
    rows = session.scalars(
        select(Question).where(
            Question.tenant_id == milestone.tenant_id, Question.milestone_id == milestone.id
        )
    )
    current = {q.id: q for q in rows}
    ordered = [current[ident] for ident in check_permutation(list(current), question_ids, "question_ids")]
    _renumber(ordered)
    session.flush()
    return ordered


def _position(value: Any, count: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidInput("position", "must be an integer >= 0")
    return min(value, count)


def _renumber(rows: list[Question]) -> None:
    for index, row in enumerate(rows):
        if row.position != index:
            row.position = index


__all__ = [
    "REVIEWED_AI_STATUSES",
    "archive_question",
    "create_question",
    "delete_question",
    "get_question",
    "list_questions",
    "publish_question",
    "reorder_questions",
    "set_question_status",
    "snapshot",
    "unpublish_question",
    "update_question",
    "validate_data",
]
