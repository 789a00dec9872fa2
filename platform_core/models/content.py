"""Content hierarchy: lessons -> video groups -> videos (reusable) -> milestones -> questions."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, Computed, Double, Index, Text, func, text
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from platform_core.models.base import Base, HasId, TenantScoped, Timestamps, str_enum, tenant_fk


class LessonStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class GradingMethod(enum.StrEnum):
    PENALIZED = "penalized"
    HIGHEST = "highest"
    AVERAGE = "average"
    FIRST = "first"
    LAST = "last"


class PreventSkipping(enum.StrEnum):
    NONE = "none"
    FORWARD = "forward"
    BOTH = "both"


class ProcessingStatus(enum.StrEnum):
    PENDING = "pending"
    PROCESSING = "processing"
    READY = "ready"
    FAILED = "failed"


class QuestionType(enum.StrEnum):
    MULTIPLE_CHOICE = "multiple_choice"
    TRUE_FALSE = "true_false"
    SHORT_ANSWER = "short_answer"
    NUMERIC = "numeric"
    MATCHING = "matching"
    ORDERING = "ordering"
    FILL_IN_BLANKS = "fill_in_blanks"


class QuestionStatus(enum.StrEnum):
    DRAFT = "draft"
    PENDING_REVIEW = "pending_review"
    APPROVED = "approved"
    REJECTED = "rejected"
    PUBLISHED = "published"
    ARCHIVED = "archived"


#: Statuses in which students may see and answer a question.
GRADABLE_STATUSES = frozenset({QuestionStatus.APPROVED, QuestionStatus.PUBLISHED})


class QuestionSource(enum.StrEnum):
    HUMAN = "human"
    AI = "ai"


class Lesson(TenantScoped, HasId, Timestamps, Base):
    __tablename__ = "lessons"

    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[LessonStatus] = mapped_column(
        str_enum(LessonStatus, "lesson_status"), server_default=LessonStatus.DRAFT.value
    )
    grading_method: Mapped[GradingMethod | None] = mapped_column(str_enum(GradingMethod, "grading_method"))
    settings: Mapped[dict[str, Any]] = mapped_column(server_default=text("'{}'::jsonb"))
    created_by: Mapped[uuid.UUID | None]
    published_at: Mapped[datetime | None]
    search: Mapped[str | None] = mapped_column(
        TSVECTOR,
        Computed(
            "setweight(to_tsvector('english', coalesce(title, '')), 'A') || "
            "setweight(to_tsvector('english', coalesce(description, '')), 'B')",
            persisted=True,
        ),
    )

    __table_args__ = (
        tenant_fk(["created_by"], "users", ondelete=None),
        Index("idx_teacher_content_analytics", "tenant_id", "created_by", "status", "updated_at"),
        Index("ix_lessons_search", "search", postgresql_using="gin"),
    )


class ClassLesson(TenantScoped, Base):
    """A lesson assigned to a class, in the class's order, with an optional due date."""

    __tablename__ = "class_lessons"

    class_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    lesson_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    position: Mapped[int] = mapped_column(server_default=text("0"))
    assigned_at: Mapped[datetime] = mapped_column(server_default=func.now())
    due_at: Mapped[datetime | None]

    __table_args__ = (
        tenant_fk(["class_id"], "classes"),
        tenant_fk(["lesson_id"], "lessons"),
        Index("ix_class_lessons_tenant_lesson", "tenant_id", "lesson_id"),
    )


class VideoGroup(TenantScoped, HasId, Timestamps, Base):
    __tablename__ = "video_groups"

    lesson_id: Mapped[uuid.UUID]
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    position: Mapped[int] = mapped_column(server_default=text("0"))

    __table_args__ = (
        tenant_fk(["lesson_id"], "lessons"),
        Index("ix_video_groups_tenant_lesson_position", "tenant_id", "lesson_id", "position"),
    )


class Video(TenantScoped, HasId, Timestamps, Base):
    __tablename__ = "videos"

    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    source_url: Mapped[str | None] = mapped_column(Text)
    duration_seconds: Mapped[float] = mapped_column(Double)
    transcript: Mapped[list[Any]] = mapped_column(server_default=text("'[]'::jsonb"))
    video_metadata: Mapped[dict[str, Any]] = mapped_column("metadata", server_default=text("'{}'::jsonb"))
    completion_threshold: Mapped[float] = mapped_column(Double, server_default=text("0.95"))
    prevent_skipping: Mapped[PreventSkipping] = mapped_column(
        str_enum(PreventSkipping, "prevent_skipping"), server_default=PreventSkipping.NONE.value
    )
    processing_status: Mapped[ProcessingStatus] = mapped_column(
        str_enum(ProcessingStatus, "processing_status"), server_default=ProcessingStatus.READY.value
    )
    processing_error: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[uuid.UUID | None]
    search: Mapped[str | None] = mapped_column(
        TSVECTOR,
        Computed(
            "setweight(to_tsvector('english', coalesce(title, '')), 'A') || "
            "setweight(to_tsvector('english', coalesce(description, '')), 'B') || "
            "setweight(jsonb_to_tsvector('english', coalesce(transcript, '[]'::jsonb), '[\"string\"]'), 'C')",
            persisted=True,
        ),
    )

    __table_args__ = (
        tenant_fk(["created_by"], "users", ondelete=None),
        CheckConstraint("duration_seconds > 0", name="duration_positive"),
        CheckConstraint("completion_threshold > 0 AND completion_threshold <= 1", name="threshold_range"),
        Index("ix_videos_search", "search", postgresql_using="gin"),
        Index(
            "ix_videos_metadata",
            "metadata",
            postgresql_using="gin",
            postgresql_ops={"metadata": "jsonb_path_ops"},
        ),
    )


class VideoGroupVideo(TenantScoped, Base):
    """Ordered membership of a video in a group; the same video can appear in several lessons."""

    __tablename__ = "video_group_videos"

    video_group_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    video_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    position: Mapped[int] = mapped_column(server_default=text("0"))

    __table_args__ = (
        tenant_fk(["video_group_id"], "video_groups"),
        tenant_fk(["video_id"], "videos"),
        Index("ix_video_group_videos_tenant_video", "tenant_id", "video_id"),
    )


class Milestone(TenantScoped, HasId, Timestamps, Base):
    """A stop at a timestamp of a video; ``settings`` says what the player does there (EVENTS.md)."""

    __tablename__ = "milestones"

    video_id: Mapped[uuid.UUID]
    timestamp_seconds: Mapped[float] = mapped_column(Double)
    title: Mapped[str | None] = mapped_column(Text)
    settings: Mapped[dict[str, Any]] = mapped_column(server_default=text("'{}'::jsonb"))

    __table_args__ = (
        tenant_fk(["video_id"], "videos"),
        CheckConstraint("timestamp_seconds >= 0", name="timestamp_non_negative"),
        Index("idx_milestones_video_timestamp", "tenant_id", "video_id", "timestamp_seconds"),
    )


class Question(TenantScoped, HasId, Timestamps, Base):
    """One table for every question type; the type-specific part is the validated JSONB ``data``."""

    __tablename__ = "questions"

    video_id: Mapped[uuid.UUID]
    milestone_id: Mapped[uuid.UUID | None]
    type: Mapped[QuestionType] = mapped_column(str_enum(QuestionType, "question_type"))
    prompt: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]]
    points: Mapped[float] = mapped_column(Double, server_default=text("1"))
    max_attempts: Mapped[int | None]
    penalty: Mapped[float] = mapped_column(Double, server_default=text("0.3333333333333333"))
    explanation: Mapped[str | None] = mapped_column(Text)
    status: Mapped[QuestionStatus] = mapped_column(
        str_enum(QuestionStatus, "question_status"), server_default=QuestionStatus.DRAFT.value
    )
    source: Mapped[QuestionSource] = mapped_column(
        str_enum(QuestionSource, "question_source"), server_default=QuestionSource.HUMAN.value
    )
    position: Mapped[int] = mapped_column(server_default=text("0"))
    generation_job_id: Mapped[uuid.UUID | None]
    ai_metadata: Mapped[dict[str, Any]] = mapped_column(server_default=text("'{}'::jsonb"))
    version: Mapped[int] = mapped_column(server_default=text("1"))
    created_by: Mapped[uuid.UUID | None]
    search: Mapped[str | None] = mapped_column(
        TSVECTOR,
        Computed(
            "setweight(to_tsvector('english', coalesce(prompt, '')), 'A') || "
            "setweight(to_tsvector('english', coalesce(explanation, '')), 'B')",
            persisted=True,
        ),
    )

    __table_args__ = (
        tenant_fk(["video_id"], "videos"),
        tenant_fk(["milestone_id"], "milestones"),
        tenant_fk(["generation_job_id"], "ai_generation_jobs", ondelete=None),
        tenant_fk(["created_by"], "users", ondelete=None),
        CheckConstraint("points > 0", name="points_positive"),
        CheckConstraint("max_attempts IS NULL OR max_attempts >= 1", name="max_attempts_positive"),
        CheckConstraint("penalty >= 0 AND penalty <= 1", name="penalty_range"),
        Index("ix_questions_tenant_milestone", "tenant_id", "milestone_id", "position"),
        Index("ix_questions_tenant_video_status", "tenant_id", "video_id", "status"),
        Index(
            "ix_questions_pending_review",
            "tenant_id",
            "created_at",
            postgresql_where=text("status = 'pending_review'"),
        ),
        Index("ix_questions_search", "search", postgresql_using="gin"),
        Index("ix_questions_data", "data", postgresql_using="gin", postgresql_ops={"data": "jsonb_path_ops"}),
    )
