"""What the research notebooks (``notebooks/``) need beyond the dashboard metrics.

- ``notebook``: a notebook's parameters turned into a source (live PostgreSQL read-only, or an export)
  and a date range;
- ``catalog``: classes, videos, questions and experiments with the labels a reader recognises;
- ``engagement``: completion over time per class, activity by hour of the week, drop-off around
  milestones, rewatching before a question vs its difficulty;
- ``ai``: tokens per generated question, and why generated questions were kept or dropped;
- ``distractors``: distractor analysis and the questions to revise.

Like every metric in :mod:`platform_core.analytics`, these give the same frames on PostgreSQL and on an
export.
"""

from platform_core.analytics.research.ai import ai_review_reasons, tokens_per_question
from platform_core.analytics.research.catalog import (
    class_catalog,
    experiment_catalog,
    question_catalog,
    video_catalog,
)
from platform_core.analytics.research.distractors import distractor_analysis, questions_to_revise
from platform_core.analytics.research.engagement import (
    activity_by_hour,
    completion_over_time,
    milestone_dropoff,
    rewatch_vs_difficulty,
)
from platform_core.analytics.research.notebook import (
    DateRange,
    ReadOnlyPostgresSource,
    open_research_source,
    parse_date_range,
    source_label,
    tenant_timezone,
)

__all__ = [
    "DateRange",
    "ReadOnlyPostgresSource",
    "activity_by_hour",
    "ai_review_reasons",
    "class_catalog",
    "completion_over_time",
    "distractor_analysis",
    "experiment_catalog",
    "milestone_dropoff",
    "open_research_source",
    "parse_date_range",
    "question_catalog",
    "questions_to_revise",
    "rewatch_vs_difficulty",
    "source_label",
    "tenant_timezone",
    "tokens_per_question",
    "video_catalog",
]
