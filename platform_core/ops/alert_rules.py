"""Declarative alert rules: a metric, a comparison, a threshold, an optional guard.

A rule with scope ``database`` reads the latest monitoring snapshot (plus the connection checks of the
evaluation itself); a rule with scope ``tenant`` reads each tenant's latest business metrics. ``metric``
is a dotted path into those JSON documents. ``guard_metric >= guard_min`` must hold for the rule to be
evaluated at all (no "AI failure rate 100%" from a single job). Rules load from JSON
(``ilp ops alerts --rules FILE``: a list of rules; a rule with a default's key replaces it).
"""

from __future__ import annotations

import json
import operator
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel

from platform_core.models import AlertSeverity
from platform_core.validation import InvalidInput, validate_as

METRIC_PATH = r"^[a-z_][a-z0-9_]*(\.[a-z0-9_]+)*$"
Op = Literal[">", ">=", "<", "<="]
OPERATORS: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}


class AlertRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str = Field(pattern=r"^[a-z][a-z0-9_]{2,63}$")
    title: str = Field(min_length=1, max_length=200)
    scope: Literal["database", "tenant"]
    metric: str = Field(pattern=METRIC_PATH)
    op: Op
    threshold: float
    severity: AlertSeverity = AlertSeverity.WARNING
    guard_metric: str | None = Field(default=None, pattern=METRIC_PATH)
    guard_min: float | None = None
    requires: Literal["replica"] | None = None
    description: str = ""
    enabled: bool = True

    def describe(self, value: float) -> str:
        return f"{self.title}: {self.metric} = {value:g} (alert when {self.op} {self.threshold:g})"


class RuleList(RootModel[list[AlertRule]]):
    pass


def lookup(document: Mapping[str, Any], path: str) -> float | None:
    """The number at a dotted path, or None when missing or not a number (booleans count as 0/1)."""
    current: Any = document
    for part in path.split("."):
        if not isinstance(current, Mapping) or part not in current:
            return None
        current = current[part]
    if isinstance(current, bool):
        return float(current)
    return float(current) if isinstance(current, int | float) else None


def evaluate(rule: AlertRule, document: Mapping[str, Any]) -> tuple[bool | None, float | None]:
    """``(firing, value)``; ``firing`` is None when the rule cannot be evaluated (metric or guard missing,
    guard below its minimum)."""
    if rule.guard_metric is not None:
        guard = lookup(document, rule.guard_metric)
        if guard is None or (rule.guard_min is not None and guard < rule.guard_min):
            return None, lookup(document, rule.metric)
    value = lookup(document, rule.metric)
    if value is None:
        return None, None
    return OPERATORS[rule.op](value, rule.threshold), value


def _rule(**fields: Any) -> AlertRule:
    return AlertRule.model_validate(fields)


DEFAULT_RULES: tuple[AlertRule, ...] = (
    # Critical alerts of the seed: connection failures, query timeout increases, disk space, replication lag.
    _rule(key="db_connection_failure", title="Database connection failures", scope="database",
          metric="connectivity.failed_targets", op=">", threshold=0, severity="critical",
          description="A connection check (owner, application role, replica) failed during evaluation."),
    _rule(key="db_session_failures", title="Sessions ended by errors", scope="database",
          metric="connections.failures_delta", op=">", threshold=10,
          description="Sessions ended by fatal errors or abandoned since the previous snapshot."),
    _rule(key="connection_pool_saturation", title="Connection slots nearly exhausted", scope="database",
          metric="connections.usage_ratio", op=">", threshold=0.8),
    _rule(key="query_latency_increase", title="Query latency increased", scope="database",
          metric="latency.increase_ratio", op=">", threshold=1.5, guard_metric="latency.interval_calls",
          guard_min=100, description="Mean statement time, this interval vs the previous one."),
    _rule(key="disk_space_low", title="Disk space low", scope="database", metric="disk.free_ratio", op="<",
          threshold=0.1, severity="critical"),
    _rule(key="database_growth", title="Database growing fast", scope="database",
          metric="database.growth_bytes_per_day", op=">", threshold=5e9),
    _rule(key="replication_lag", title="Replication lag", scope="database", metric="replication.lag_seconds",
          op=">", threshold=30, severity="critical", requires="replica"),
    _rule(key="partitions_not_ahead", title="Partitions not created ahead", scope="database",
          metric="partitions.analytics_events.months_ahead", op="<", threshold=1,
          description="Run `ilp ops partitions` (schedule it)."),
    _rule(key="archive_failing", title="Archive runs failing", scope="database", metric="archive.failing",
          op=">", threshold=0),
    _rule(key="cache_hit_ratio_low", title="Cache hit ratio low", scope="database",
          metric="database.cache_hit_ratio", op="<", threshold=0.9, severity="info"),
    # Business alerts of the seed: engagement drop, AI generation failures, video processing errors.
    _rule(key="engagement_drop", title="Drop in student engagement", scope="tenant",
          metric="engagement_change_7d", op="<", threshold=0.7, guard_metric="active_students_prev_7d",
          guard_min=5, description="Active students this week vs the week before."),
    _rule(key="ai_generation_failures", title="AI question generation failing", scope="tenant",
          metric="ai_success_rate_7d", op="<", threshold=0.8, guard_metric="ai_jobs_7d", guard_min=5),
    _rule(key="ai_call_failures", title="AI provider calls failing", scope="tenant",
          metric="ai_call_failure_rate_24h", op=">", threshold=0.2, guard_metric="ai_calls_24h",
          guard_min=10),
    _rule(key="video_processing_errors", title="Video processing errors", scope="tenant",
          metric="videos_failed", op=">", threshold=0),
    _rule(key="client_error_rate", title="Client error rate high", scope="tenant", metric="error_rate_24h",
          op=">", threshold=0.05, guard_metric="events_24h", guard_min=100),
)  # fmt: skip


def load_rules(
    path: Path | str | None = None, *, base: tuple[AlertRule, ...] = DEFAULT_RULES
) -> list[AlertRule]:
    """The default rules, overridden and extended by the rules in the JSON file at ``path``."""
    rules = {rule.key: rule for rule in base}
    if path is not None:
        try:
            raw = json.loads(Path(path).read_text())
        except (OSError, ValueError) as exc:
            raise InvalidInput("rules", f"cannot read {path}: {exc}") from None
        for rule in validate_as(RuleList, raw, root="rules").root:
            rules[rule.key] = rule
    return list(rules.values())
