"""SQLAlchemy models of the whole schema; importing this package registers every table on the metadata."""

from platform_core.models.activity import (
    AnalyticsEvent,
    EventQuarantine,
    Experiment,
    ExperimentAssignment,
    ExperimentStatus,
    LessonProgress,
    StudentProgress,
    StudentSession,
)
from platform_core.models.ai import (
    AIConfig,
    AIGenerationJob,
    AIModelPrice,
    AIProvider,
    AIRejectedCandidate,
    AIUsage,
    JobStatus,
    QuestionReview,
    ReviewAction,
)
from platform_core.models.audit import AuditLog
from platform_core.models.base import Base
from platform_core.models.content import (
    GRADABLE_STATUSES,
    ClassLesson,
    GradingMethod,
    Lesson,
    LessonStatus,
    Milestone,
    PreventSkipping,
    ProcessingStatus,
    Question,
    QuestionSource,
    QuestionStatus,
    QuestionType,
    Video,
    VideoGroup,
    VideoGroupVideo,
)
from platform_core.models.grading import Grade, QuestionAttempt
from platform_core.models.ops import MonitoringSnapshot
from platform_core.models.tenancy import Enrollment, SchoolClass, Tenant, User, UserRole

metadata = Base.metadata

__all__ = [
    "GRADABLE_STATUSES",
    "AIConfig",
    "AIGenerationJob",
    "AIModelPrice",
    "AIProvider",
    "AIRejectedCandidate",
    "AIUsage",
    "AnalyticsEvent",
    "AuditLog",
    "Base",
    "ClassLesson",
    "Enrollment",
    "EventQuarantine",
    "Experiment",
    "ExperimentAssignment",
    "ExperimentStatus",
    "Grade",
    "GradingMethod",
    "JobStatus",
    "Lesson",
    "LessonProgress",
    "LessonStatus",
    "Milestone",
    "MonitoringSnapshot",
    "PreventSkipping",
    "ProcessingStatus",
    "Question",
    "QuestionAttempt",
    "QuestionReview",
    "QuestionSource",
    "QuestionStatus",
    "QuestionType",
    "ReviewAction",
    "SchoolClass",
    "StudentProgress",
    "StudentSession",
    "Tenant",
    "User",
    "UserRole",
    "Video",
    "VideoGroup",
    "VideoGroupVideo",
    "metadata",
]
