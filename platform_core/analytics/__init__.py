"""Every metric the dashboard and the notebooks show, computed one way on any source.

A metric takes a :class:`~platform_core.analytics.sources.Source` and keyword filters and returns a Polars
DataFrame whose columns its docstring defines. Sources:

- ``open_source(tenant_id)``: live PostgreSQL (the read replica when configured) as the application
  role, so Row-Level Security applies;
- ``DuckDBSource.open(export_dir)``: an export written by ``ilp export`` (Parquet files);
- ``duckdb_pg.live_source(tenant_id)``: DuckDB reading the live database through its PostgreSQL scanner.

Modules: ``classes`` (class dashboard), ``at_risk``, ``engagement`` (video), ``items`` (questions),
``ai_costs``, ``experiments``, ``rollups`` (daily roll-ups, incremental), ``export`` and ``pseudonym``.
Dashboards read summaries (progress, grades, roll-ups), never the raw event table, except the rewatch
heatmap of one video.
"""

from platform_core.analytics.ai_costs import (
    ai_cost_per_question,
    ai_job_costs,
    ai_spend,
    budget_burndown,
    budget_forecast,
)
from platform_core.analytics.at_risk import AtRiskRules, at_risk_students, evaluate_at_risk, rules_for_tenant
from platform_core.analytics.classes import (
    class_daily_activity,
    class_overview,
    class_students,
    letter_distribution,
)
from platform_core.analytics.engagement import (
    completion_funnel,
    drop_off_points,
    milestone_reach,
    retention_curve,
    rewatch_heatmap,
    watch_time_vs_coverage,
)
from platform_core.analytics.experiments import experiment_outcomes, experiment_results
from platform_core.analytics.items import (
    ItemThresholds,
    answer_distribution,
    item_analysis,
    watched_before_milestone,
)
from platform_core.analytics.scope import user_labels
from platform_core.analytics.sources import DuckDBSource, PostgresSource, Source, SourceError, open_source

__all__ = [
    "AtRiskRules",
    "DuckDBSource",
    "ItemThresholds",
    "PostgresSource",
    "Source",
    "SourceError",
    "ai_cost_per_question",
    "ai_job_costs",
    "ai_spend",
    "answer_distribution",
    "at_risk_students",
    "budget_burndown",
    "budget_forecast",
    "class_daily_activity",
    "class_overview",
    "class_students",
    "completion_funnel",
    "drop_off_points",
    "evaluate_at_risk",
    "experiment_outcomes",
    "experiment_results",
    "item_analysis",
    "letter_distribution",
    "milestone_reach",
    "open_source",
    "retention_curve",
    "rewatch_heatmap",
    "rules_for_tenant",
    "user_labels",
    "watch_time_vs_coverage",
    "watched_before_milestone",
]
