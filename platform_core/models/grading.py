"""Graded attempts at questions and the lesson grades maintained from them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, Double, Index, String, Text, UniqueConstraint, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from platform_core.models.base import Base, HasId, TenantScoped, Timestamps, tenant_fk


class QuestionAttempt(TenantScoped, HasId, Base):
    """One graded try; ``attempt_number`` counts per (student, question) from 1 and is unique."""

    __tablename__ = "question_attempts"

    student_id: Mapped[uuid.UUID]
    question_id: Mapped[uuid.UUID]
    attempt_number: Mapped[int]
    response: Mapped[Any] = mapped_column(JSONB)
    fraction: Mapped[float] = mapped_column(Double)
    points_awarded: Mapped[float] = mapped_column(Double)
    points_possible: Mapped[float] = mapped_column(Double)
    is_correct: Mapped[bool]
    feedback: Mapped[str | None] = mapped_column(Text)
    time_spent_ms: Mapped[int | None]
    session_id: Mapped[uuid.UUID | None]
    submitted_at: Mapped[datetime] = mapped_column(server_default=func.now())

    __table_args__ = (
        tenant_fk(["student_id"], "users"),
        tenant_fk(["question_id"], "questions"),
        tenant_fk(["session_id"], "student_sessions", ondelete=None),
        UniqueConstraint("tenant_id", "student_id", "question_id", "attempt_number"),
        CheckConstraint("attempt_number >= 1", name="attempt_number_positive"),
        CheckConstraint("fraction >= 0 AND fraction <= 1", name="fraction_range"),
        CheckConstraint("time_spent_ms IS NULL OR time_spent_ms >= 0", name="time_spent_non_negative"),
        Index("ix_question_attempts_question_time", "tenant_id", "question_id", "submitted_at"),
    )


class Grade(TenantScoped, HasId, Timestamps, Base):
    """A student's grade for a lesson, kept up to date as attempts arrive."""

    __tablename__ = "grades"

    student_id: Mapped[uuid.UUID]
    lesson_id: Mapped[uuid.UUID]
    earned_points: Mapped[float] = mapped_column(Double, server_default=text("0"))
    possible_points: Mapped[float] = mapped_column(Double, server_default=text("0"))
    percentage: Mapped[float] = mapped_column(Double, server_default=text("0"))
    letter: Mapped[str] = mapped_column(String(8))
    attempts_count: Mapped[int] = mapped_column(server_default=text("0"))
    grading_method: Mapped[str] = mapped_column(String(16))
    breakdown: Mapped[dict[str, Any]] = mapped_column(server_default=text("'{}'::jsonb"))
    computed_at: Mapped[datetime] = mapped_column(server_default=func.now())

    __table_args__ = (
        tenant_fk(["student_id"], "users"),
        tenant_fk(["lesson_id"], "lessons"),
        UniqueConstraint("tenant_id", "student_id", "lesson_id"),
        CheckConstraint("percentage >= 0 AND percentage <= 100", name="percentage_range"),
        Index("ix_grades_tenant_lesson", "tenant_id", "lesson_id"),
    )
