"""What a lesson grade is computed from: a lesson's videos and gradable questions, and a student's attempts.

A lesson's gradable questions are the questions in a gradable status (``GRADABLE_STATUSES``) on the videos
of its video groups (a video listed twice counts once, at its first place). Each question's final fraction
combines the student's attempts by a grading method; unanswered questions score 0.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.orm import Session

from platform_core.grading.methods import final_fraction
from platform_core.models import (
    GRADABLE_STATUSES,
    Lesson,
    Question,
    QuestionAttempt,
    VideoGroup,
    VideoGroupVideo,
)
from platform_core.validation import InvalidInput

__all__ = [
    "GradedQuestion",
    "LessonStructure",
    "QuestionFinal",
    "lesson_structure",
    "question_final_fractions",
    "structures_of_video",
]


@dataclass(frozen=True, slots=True)
class GradedQuestion:
    id: uuid.UUID
    video_id: uuid.UUID
    points: float
    penalty: float


@dataclass(frozen=True, slots=True)
class QuestionFinal:
    fraction: float
    attempts: int


_GROUP_JOIN = and_(
    VideoGroup.tenant_id == VideoGroupVideo.tenant_id, VideoGroup.id == VideoGroupVideo.video_group_id
)


@dataclass(frozen=True, slots=True)
class LessonStructure:
    """A lesson's grading method override, its videos in order (each once) and their gradable questions."""

    lesson_id: uuid.UUID
    grading_method: str | None
    videos: tuple[tuple[uuid.UUID, tuple[GradedQuestion, ...]], ...]

    @property
    def questions(self) -> list[GradedQuestion]:
        return [q for _, questions in self.videos for q in questions]


def _structures(session: Session, lessons: ColumnElement[bool]) -> list[LessonStructure]:
    """The structures of the lessons matched by ``lessons`` (a condition on ``VideoGroup.lesson_id``), by
    lesson id, in one query. Videos come in group order, then position; a video listed twice counts at its
    first place; questions come by position, creation, id."""
    rows = session.execute(
        select(
            Lesson.id,
            Lesson.grading_method,
            VideoGroup.id,
            VideoGroupVideo.video_id,
            Question.id,
            Question.points,
            Question.penalty,
        )
        .join(VideoGroup, and_(VideoGroup.tenant_id == Lesson.tenant_id, VideoGroup.lesson_id == Lesson.id))
        .join(VideoGroupVideo, _GROUP_JOIN)
        .outerjoin(
            Question,
            and_(
                Question.tenant_id == VideoGroupVideo.tenant_id,
                Question.video_id == VideoGroupVideo.video_id,
                Question.status.in_(sorted(GRADABLE_STATUSES)),
            ),
        )
        .where(lessons)
        .order_by(
            Lesson.id,
            VideoGroup.position,
            VideoGroup.id,
            VideoGroupVideo.position,
            VideoGroupVideo.video_id,
            Question.position,
            Question.created_at,
            Question.id,
        )
    )
    found: dict[uuid.UUID, tuple[str | None, dict[uuid.UUID, list[GradedQuestion]]]] = {}
    owner: dict[tuple[uuid.UUID, uuid.UUID], uuid.UUID] = {}  # (lesson, video) -> group of first appearance
    for lesson_id, method, group_id, video_id, question_id, points, penalty in rows:
        if owner.setdefault((lesson_id, video_id), group_id) != group_id:
            continue
        questions = found.setdefault(lesson_id, (method, {}))[1].setdefault(video_id, [])
        if question_id is not None:
            questions.append(GradedQuestion(question_id, video_id, points, penalty))
    return [
        LessonStructure(lesson_id, method, tuple((v, tuple(qs)) for v, qs in videos.items()))
        for lesson_id, (method, videos) in found.items()
    ]


def lesson_structure(session: Session, lesson_id: uuid.UUID) -> LessonStructure:
    """One lesson's structure (a lesson without videos has none: an empty structure)."""
    found = _structures(session, VideoGroup.lesson_id == lesson_id)
    if found:
        return found[0]
    lesson_method = session.execute(select(Lesson.grading_method).where(Lesson.id == lesson_id)).one_or_none()
    if lesson_method is None:
        raise InvalidInput("lesson_id", f"no lesson {lesson_id} in this tenant")
    return LessonStructure(lesson_id, lesson_method[0], ())


def structures_of_video(session: Session, video_id: uuid.UUID) -> list[LessonStructure]:
    """The structures of every lesson containing the video, by lesson id (the order locks are taken in)."""
    containing = (
        select(VideoGroup.lesson_id)
        .join(VideoGroupVideo, _GROUP_JOIN)
        .where(VideoGroupVideo.video_id == video_id)
    )
    return _structures(session, VideoGroup.lesson_id.in_(containing))


def question_final_fractions(
    session: Session, *, student_id: uuid.UUID, questions: Iterable[GradedQuestion], method: str
) -> dict[uuid.UUID, QuestionFinal]:
    """Each question's final fraction (and attempt count) for the student by ``method``; none = 0."""
    by_id = {q.id: q for q in questions}
    fractions: dict[uuid.UUID, list[float]] = {qid: [] for qid in by_id}
    if by_id:
        rows = session.execute(
            select(QuestionAttempt.question_id, QuestionAttempt.fraction)
            .where(QuestionAttempt.student_id == student_id, QuestionAttempt.question_id.in_(list(by_id)))
            .order_by(QuestionAttempt.question_id, QuestionAttempt.attempt_number)
        )
        for question_id, fraction in rows:
            fractions[question_id].append(fraction)
    return {
        qid: QuestionFinal(final_fraction(fs, method=method, penalty=by_id[qid].penalty), len(fs))
        for qid, fs in fractions.items()
    }
