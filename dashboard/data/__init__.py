"""Every read the pages make, cached with a time-to-live and keyed by tenant and role.

Each function takes a :class:`Scope` first (tenant id and role: part of every cache key, so one tenant
never sees another's cached rows and a role never sees a wider role's), opens a ``tenant_session`` (so
Row-Level Security applies) and returns plain data: Polars DataFrames, dicts and lists, never ORM objects.
Writes go through ``components.page.writing``, which calls :func:`invalidate` after they commit.

The reads live in :mod:`.content` (tenancy and content), :mod:`.learning` (analytics) and :mod:`.admin`
(review, AI, operations); :mod:`.base` holds what they share.
"""

from dashboard.data.admin import (
    REVIEW_SCHEMA,
    ai_budget,
    ai_config_list,
    ai_config_names,
    ai_cost_per_question,
    ai_jobs,
    ai_spend,
    alerts,
    health,
    review_history,
    review_queue,
)
from dashboard.data.base import (
    TTL_ANALYTICS,
    TTL_CONTENT,
    TTL_LIVE,
    Scope,
    as_uuid,
    frame,
    invalidate,
    session_for,
    start_of,
)
from dashboard.data.content import (
    CLASS_SCHEMA,
    LESSON_SCHEMA,
    VIDEO_SCHEMA,
    audit_filter_values,
    audit_log,
    class_list,
    counts,
    lesson_detail,
    lesson_list,
    question_detail,
    question_dict,
    question_list,
    search,
    users,
    video_detail,
    video_list,
)
from dashboard.data.learning import (
    answer_distribution,
    class_activity,
    class_overview,
    class_students,
    item_analysis,
    letter_distribution,
    people_names,
    question_prompts,
    student_detail,
    video_engagement,
)

__all__ = [
    "CLASS_SCHEMA",
    "LESSON_SCHEMA",
    "REVIEW_SCHEMA",
    "TTL_ANALYTICS",
    "TTL_CONTENT",
    "TTL_LIVE",
    "VIDEO_SCHEMA",
    "Scope",
    "ai_budget",
    "ai_config_list",
    "ai_config_names",
    "ai_cost_per_question",
    "ai_jobs",
    "ai_spend",
    "alerts",
    "answer_distribution",
    "as_uuid",
    "audit_filter_values",
    "audit_log",
    "class_activity",
    "class_list",
    "class_overview",
    "class_students",
    "counts",
    "frame",
    "health",
    "invalidate",
    "item_analysis",
    "lesson_detail",
    "lesson_list",
    "letter_distribution",
    "people_names",
    "question_detail",
    "question_dict",
    "question_list",
    "question_prompts",
    "review_history",
    "review_queue",
    "search",
    "session_for",
    "start_of",
    "student_detail",
    "users",
    "video_detail",
    "video_engagement",
    "video_list",
]
