"""Lesson grades: computed from scratch, or patched incrementally as attempts arrive; both give one row.

A lesson's gradable questions are the questions in a gradable status (``GRADABLE_STATUSES``) on the videos
of its video groups (a video listed twice counts once). Each question's final fraction combines the
student's attempts by the lesson's grading method (the lesson's override, else the tenant's default);
unanswered questions score 0. ``grades`` keeps earned/possible points, the percentage, the letter from the
tenant's scale, the number of attempts and a breakdown by video and question (``GradeBreakdown``).
The lesson's content and the student's attempts are read by :mod:`platform_core.grading.lesson_structure`.

Writers of one (student, lesson) grade are serialised by a transaction-level advisory lock, always taken
in lesson-id order, so the incremental path (``update_grades_for_attempt``) and the recompute
(``recompute_lesson_grade``) never lose each other's work. Totals are always derived from the breakdown by
the same function, with exactly rounded sums, so an incrementally maintained row equals a recomputed one.
The incremental path replaces the one question's entry of the stored breakdown; it falls back to a full
computation when the stored row cannot simply be patched: no row yet, another grading method, or a
breakdown whose videos, questions or points differ from the lesson's current content (a question published
or withdrawn, a video added or moved, points edited). A teacher's edit of another question's *penalty* is
not visible in the breakdown: ``ilp grade recompute`` brings such rows up to date and reports them.
"""

from __future__ import annotations

import hashlib
import math
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import ValidationError
from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from platform_core.db.session import TENANT_KEY
from platform_core.grading.breakdown import GradeBreakdown, QuestionScore, VideoScore
from platform_core.grading.lesson_structure import (
    GradedQuestion,
    LessonStructure,
    QuestionFinal,
    lesson_structure,
    question_final_fractions,
    structures_of_video,
)
from platform_core.grading.letters import letter_grade
from platform_core.grading.methods import final_fraction
from platform_core.models import Grade, Lesson, Tenant
from platform_core.tenancy.schemas import TenantSettings
from platform_core.validation import InvalidInput, validate_as

__all__ = [
    "LessonGradeUpdate",
    "LessonGradeValues",
    "compute_lesson_grade",
    "effective_grading_method",
    "parse_tenant_settings",
    "recompute_lesson_grade",
    "refresh_lesson_grade",
    "resolve_grading_method",
    "tenant_settings",
    "update_grades_for_attempt",
    "xact_lock",
]

GradeChange = Literal["created", "changed", "unchanged"]


@dataclass(frozen=True, slots=True)
class LessonGradeValues:
    """Everything a ``grades`` row holds besides its identity and timestamps."""

    earned_points: float
    possible_points: float
    percentage: float
    letter: str
    attempts_count: int
    grading_method: str
    breakdown: dict[str, Any]

    def same_as(self, grade: Grade) -> bool:
        """Exactly equal to the stored row (floats compared exactly, the breakdown as JSON)."""
        return all(getattr(self, name) == getattr(grade, name) for name in self.__dataclass_fields__)


@dataclass(frozen=True, slots=True)
class LessonGradeUpdate:
    """One lesson grade touched by an attempt, as reported back to the submitter."""

    lesson_id: uuid.UUID
    grading_method: str
    question_final_fraction: float
    earned_points: float
    possible_points: float
    percentage: float
    letter: str
    attempts_count: int
    recomputed: bool  # True when the incremental path fell back to a full computation


# --- locks and settings ------------------------------------------------------------------------------


def xact_lock(session: Session, namespace: str, *ids: uuid.UUID) -> None:
    """Take a transaction-level advisory lock on a 64-bit key derived from ``namespace`` and ``ids``."""
    digest = hashlib.blake2b("|".join([namespace, *(str(i) for i in ids)]).encode(), digest_size=8).digest()
    session.execute(
        text("SELECT pg_advisory_xact_lock(:k)"), {"k": int.from_bytes(digest, "big", signed=True)}
    )


def _tenant_id(session: Session) -> uuid.UUID:
    tenant_id = session.info.get(TENANT_KEY)
    if tenant_id is None:
        raise ValueError("session: grading needs a tenant_session (no tenant set)")
    return tenant_id


def parse_tenant_settings(raw: dict[str, Any] | None) -> TenantSettings:
    return validate_as(TenantSettings, raw or {}, root="tenants.settings")


def tenant_settings(session: Session) -> TenantSettings:
    """The session tenant's validated settings (grading method default, letter scale)."""
    return parse_tenant_settings(
        session.execute(select(Tenant.settings).where(Tenant.id == _tenant_id(session))).scalar_one_or_none()
    )


def resolve_grading_method(lesson_method: str | None, settings: TenantSettings) -> str:
    """The lesson's override when it has one, else the tenant's default."""
    return str(lesson_method) if lesson_method else settings.grading_method


def effective_grading_method(
    session: Session, *, lesson_id: uuid.UUID, settings: TenantSettings | None = None
) -> str:
    lesson_method = session.execute(select(Lesson.grading_method).where(Lesson.id == lesson_id)).one_or_none()
    if lesson_method is None:
        raise InvalidInput("lesson_id", f"no lesson {lesson_id} in this tenant")
    return resolve_grading_method(lesson_method[0], settings or tenant_settings(session))


# --- the one way totals are derived ------------------------------------------------------------------


def _question_score(question: GradedQuestion, final: QuestionFinal) -> QuestionScore:
    return QuestionScore(
        question_id=question.id,
        points_possible=question.points,
        points_earned=final.fraction * question.points,
        fraction=final.fraction,
        attempts=final.attempts,
    )


def _finish(breakdown: GradeBreakdown, settings: TenantSettings) -> LessonGradeValues:
    """Video subtotals and lesson totals from the question entries (exactly rounded sums)."""
    videos = [
        video.model_copy(
            update={
                "points_possible": math.fsum(q.points_possible for q in video.questions),
                "points_earned": math.fsum(q.points_earned for q in video.questions),
            }
        )
        for video in breakdown.videos
    ]
    questions = [q for video in videos for q in video.questions]
    earned = math.fsum(q.points_earned for q in questions)
    possible = math.fsum(q.points_possible for q in questions)
    percentage = min(100.0, max(0.0, earned / possible * 100.0)) if possible > 0 else 0.0
    document = GradeBreakdown(method=breakdown.method, videos=videos)
    return LessonGradeValues(
        earned_points=earned,
        possible_points=possible,
        percentage=percentage,
        letter=letter_grade(percentage, settings.scale()),
        attempts_count=sum(q.attempts for q in questions),
        grading_method=breakdown.method,
        breakdown=document.model_dump(mode="json", by_alias=True),
    )


def compute_lesson_grade(
    session: Session,
    *,
    student_id: uuid.UUID,
    lesson_id: uuid.UUID,
    settings: TenantSettings | None = None,
    method: str | None = None,
    structure: LessonStructure | None = None,
) -> LessonGradeValues:
    """The grade from scratch, from the lesson's content and the student's attempts; writes nothing.

    ``structure`` and its effective ``method`` may be passed when the caller has just read them.
    """
    settings = settings or tenant_settings(session)
    structure = structure or lesson_structure(session, lesson_id)
    method = method or resolve_grading_method(structure.grading_method, settings)
    finals = question_final_fractions(
        session, student_id=student_id, questions=structure.questions, method=method
    )
    breakdown = GradeBreakdown(
        method=method,
        videos=[
            VideoScore(
                video_id=video_id,
                points_possible=0.0,
                points_earned=0.0,
                questions=[_question_score(q, finals[q.id]) for q in questions],
            )
            for video_id, questions in structure.videos
        ],
    )
    return _finish(breakdown, settings)


Shape = list[tuple[uuid.UUID, list[tuple[uuid.UUID, float]]]]


def _shape(videos: Iterable[tuple[uuid.UUID, Iterable[tuple[uuid.UUID, float]]]], skip: uuid.UUID) -> Shape:
    """Videos, their questions and points, in order; the points of ``skip`` (being replaced) are ignored."""
    return [(v, [(q, -1.0 if q == skip else points) for q, points in qs]) for v, qs in videos]


def _patched(
    grade: Grade | None,
    structure: LessonStructure,
    question: GradedQuestion,
    final: QuestionFinal,
    method: str,
    settings: TenantSettings,
) -> LessonGradeValues | None:
    """The stored grade with one question's entry replaced, or None when it cannot simply be patched:
    no row, another method, or a breakdown whose videos, questions or points differ from the lesson's
    current content (a question published or withdrawn, a video added, points edited)."""
    if grade is None or grade.grading_method != method:
        return None
    try:
        breakdown = GradeBreakdown.model_validate(grade.breakdown)
    except ValidationError:
        return None
    stored = _shape(
        ((v.video_id, ((q.question_id, q.points_possible) for q in v.questions)) for v in breakdown.videos),
        question.id,
    )
    current = _shape(((v, ((q.id, q.points) for q in qs)) for v, qs in structure.videos), question.id)
    if breakdown.method != method or stored != current:
        return None
    videos = [
        video.model_copy(
            update={
                "questions": [
                    _question_score(question, final) if q.question_id == question.id else q
                    for q in video.questions
                ]
            }
        )
        if video.video_id == question.video_id
        else video
        for video in breakdown.videos
    ]
    return _finish(breakdown.model_copy(update={"videos": videos}), settings)


# --- writing -----------------------------------------------------------------------------------------


def _load_grade(session: Session, student_id: uuid.UUID, lesson_id: uuid.UUID) -> Grade | None:
    return session.scalars(
        select(Grade)
        .where(Grade.student_id == student_id, Grade.lesson_id == lesson_id)
        .execution_options(populate_existing=True)
    ).one_or_none()


_GRADE_COLUMNS = (
    "earned_points",
    "possible_points",
    "percentage",
    "letter",
    "attempts_count",
    "grading_method",
    "breakdown",
)
_new_grade = insert(Grade)
#: Built once: statements are executed with parameters only, so nothing is rebuilt per attempt.
_UPSERT_GRADE = _new_grade.on_conflict_do_update(
    index_elements=[Grade.tenant_id, Grade.student_id, Grade.lesson_id],
    set_={
        **{name: _new_grade.excluded[name] for name in _GRADE_COLUMNS},
        "computed_at": func.now(),
        "updated_at": func.now(),
    },
).returning(Grade)


def _store(session: Session, student_id: uuid.UUID, lesson_id: uuid.UUID, values: LessonGradeValues) -> Grade:
    row = {name: getattr(values, name) for name in _GRADE_COLUMNS}
    row.update(tenant_id=_tenant_id(session), student_id=student_id, lesson_id=lesson_id)
    return session.scalars(_UPSERT_GRADE, row, execution_options={"populate_existing": True}).one()


def refresh_lesson_grade(
    session: Session,
    *,
    student_id: uuid.UUID,
    lesson_id: uuid.UUID,
    settings: TenantSettings | None = None,
) -> tuple[Grade, GradeChange]:
    """Recompute one grade from scratch under its lock; write only when it differs from the stored row."""
    xact_lock(session, "grade", _tenant_id(session), student_id, lesson_id)
    values = compute_lesson_grade(session, student_id=student_id, lesson_id=lesson_id, settings=settings)
    grade = _load_grade(session, student_id, lesson_id)
    if grade is not None and values.same_as(grade):
        return grade, "unchanged"
    return _store(session, student_id, lesson_id, values), "created" if grade is None else "changed"


def recompute_lesson_grade(session: Session, *, student_id: uuid.UUID, lesson_id: uuid.UUID) -> Grade:
    """The student's grade for the lesson recomputed from scratch and stored (created when missing)."""
    return refresh_lesson_grade(session, student_id=student_id, lesson_id=lesson_id)[0]


def update_grades_for_attempt(
    session: Session,
    *,
    student_id: uuid.UUID,
    question: GradedQuestion,
    fractions: Sequence[float],
    settings: TenantSettings,
) -> list[LessonGradeUpdate]:
    """Bring every lesson grade that contains the question's video up to date after a new attempt.

    ``fractions`` are all of the student's attempt fractions at the question, in order, the new one
    included. Locks are taken in lesson-id order (the recompute job takes them in the same order).
    """
    tenant_id = _tenant_id(session)
    updates: list[LessonGradeUpdate] = []
    for structure in structures_of_video(session, question.video_id):
        lesson_id = structure.lesson_id
        method = resolve_grading_method(structure.grading_method, settings)
        final = QuestionFinal(
            final_fraction(fractions, method=method, penalty=question.penalty), len(fractions)
        )
        xact_lock(session, "grade", tenant_id, student_id, lesson_id)
        grade = _load_grade(session, student_id, lesson_id)
        values = _patched(grade, structure, question, final, method, settings)
        recomputed = values is None
        if values is None:
            values = compute_lesson_grade(
                session,
                student_id=student_id,
                lesson_id=lesson_id,
                settings=settings,
                method=method,
                structure=structure,
            )
        if grade is None or not values.same_as(grade):
            _store(session, student_id, lesson_id, values)
        updates.append(
            LessonGradeUpdate(
                lesson_id=lesson_id,
                grading_method=method,
                question_final_fraction=final.fraction,
                earned_points=values.earned_points,
                possible_points=values.possible_points,
                percentage=values.percentage,
                letter=values.letter,
                attempts_count=values.attempts_count,
                recomputed=recomputed,
            )
        )
    return updates
