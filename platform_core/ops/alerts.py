"""`ilp ops alerts`: evaluate the declared rules, store state changes, deliver them to a webhook.

An incident opens when a rule starts firing (``fired_at``) and closes when it stops (``resolved_at``);
while open, ``value`` and ``last_seen_at`` follow the latest evaluation. Database-wide incidents live in
``alert_incidents``; a tenant's business incidents in ``tenant_alert_incidents`` (under RLS, so a
tenant's dashboard shows only its own). Evaluations are serialised by an advisory lock and the partial
unique indexes allow one open incident per rule (and tenant), so overlapping runs are safe.

When the primary database itself cannot be reached nothing can be stored: the failure is returned (and
sent to the webhook) directly.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from platform_core.db.engine import owner_engine
from platform_core.db.replica import replica_configured, replica_owner_url
from platform_core.db.runtime import app_url, owner_url
from platform_core.models import AlertIncident, AlertRuleRecord, AlertStatus, Tenant, TenantAlertIncident
from platform_core.ops.alert_rules import AlertRule, evaluate, load_rules
from platform_core.ops.metrics import KIND, check_connection, latest_metrics, take_snapshot
from platform_core.ops.webhooks import check_webhook_url, post_json
from platform_core.settings import get_settings

LOCK_NAME = "ilp_alerts"


@dataclass
class Change:
    event: str  # "firing" | "resolved"
    rule: str
    scope: str
    tenant_id: uuid.UUID | None
    value: float | None
    message: str


@dataclass
class AlertRun:
    stored: bool
    connectivity: dict[str, Any]
    evaluated: int = 0
    skipped: list[str] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    firing: list[dict[str, Any]] = field(default_factory=list)
    delivered: int = 0
    delivery_errors: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "stored": self.stored,
            "connectivity": self.connectivity,
            "evaluated": self.evaluated,
            "skipped": self.skipped,
            "changes": [
                {**c.__dict__, "tenant_id": str(c.tenant_id) if c.tenant_id else None} for c in self.changes
            ],
            "firing": self.firing,
            "delivered": self.delivered,
            "delivery_errors": self.delivery_errors,
        }


def connectivity() -> dict[str, Any]:
    """Fresh connections as the owner, as the application role and to the replica (when configured)."""
    targets = {"primary_owner": owner_url(), "primary_app": app_url()}
    replica = replica_owner_url()
    if replica is not None:
        targets["replica"] = replica
    found: dict[str, Any] = {name: check_connection(url) for name, url in targets.items()}
    found["failed_targets"] = sum(1 for v in found.values() if isinstance(v, dict) and not v["ok"])
    return found


def evaluate_alerts(
    *,
    engine: Engine | None = None,
    rules: list[AlertRule] | None = None,
    collect: bool = True,
    now: datetime | None = None,
    webhook_url: str | None = None,
) -> AlertRun:
    """Evaluate ``rules`` (default: :data:`DEFAULT_RULES`) on a fresh snapshot (``collect``) or the latest
    one, store the state changes and deliver pending notifications to ``webhook_url`` (default
    ``ILP_ALERT_WEBHOOK_URL``; none: stored only)."""
    rules = rules if rules is not None else load_rules()
    webhook_url = webhook_url or get_settings().alert_webhook_url
    if webhook_url:
        check_webhook_url(webhook_url)
    now = now or datetime.now(UTC)
    checks = connectivity()
    run = AlertRun(stored=False, connectivity=checks)
    if not checks["primary_owner"]["ok"]:
        message = f"Database connection failures: primary unreachable ({checks['primary_owner']['error']})"
        run.changes.append(Change("firing", "db_connection_failure", "database", None, 1.0, message))
        if webhook_url:
            sent = post_json(webhook_url, {"event": "alert.firing", "rule": "db_connection_failure",
                                           "severity": "critical", "scope": "database", "message": message,
                                           "stored": False, "at": now.isoformat()})  # fmt: skip
            run.delivered += int(sent.ok)
            if not sent.ok:
                run.delivery_errors.append(sent.error or "delivery failed")
        return run
    engine = engine or owner_engine()
    if collect:
        take_snapshot(engine=engine, now=now)
    with Session(engine, expire_on_commit=False) as s, s.begin():
        s.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": LOCK_NAME})
        _sync_rules(s, rules)
        latest = latest_metrics(s.connection(), KIND)
        document = {**(latest[1] if latest else {}), "connectivity": checks}
        for rule in (r for r in rules if r.enabled and r.scope == "database"):
            if rule.requires == "replica" and not replica_configured():
                _apply(s, run, rule, False, None, None, now)
                continue
            firing, value = evaluate(rule, document)
            _apply(s, run, rule, firing, value, None, now)
        tenant_rules = [r for r in rules if r.enabled and r.scope == "tenant"]
        for tenant_id in s.scalars(select(Tenant.id).where(Tenant.is_active)).all():
            s.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(tenant_id)})
            figures = s.execute(
                text(
                    "SELECT metrics FROM tenant_metrics WHERE tenant_id = :t ORDER BY taken_at DESC LIMIT 1"
                ),
                {"t": tenant_id},
            ).scalar()
            for rule in tenant_rules:
                firing, value = evaluate(rule, figures or {})
                _apply(s, run, rule, firing, value, tenant_id, now)
    run.stored = True
    if webhook_url:
        _deliver(engine, run, webhook_url)
    return run


def _sync_rules(s: Session, rules: list[AlertRule]) -> None:
    for rule in rules:
        values = {
            "key": rule.key,
            "title": rule.title,
            "scope": rule.scope,
            "severity": rule.severity.value,
            "definition": rule.model_dump(mode="json"),
            "enabled": rule.enabled,
        }
        s.execute(
            insert(AlertRuleRecord)
            .values(**values)
            .on_conflict_do_update(index_elements=["key"], set_={**values, "updated_at": text("now()")})
        )


def _apply(s: Session, run: AlertRun, rule: AlertRule, firing: bool | None, value: float | None,
           tenant_id: uuid.UUID | None, now: datetime) -> None:  # fmt: skip
    """Open, refresh or resolve the rule's incident. ``firing=None`` (not evaluable) changes nothing."""
    model = AlertIncident if tenant_id is None else TenantAlertIncident
    label = rule.key if tenant_id is None else f"{rule.key}@{tenant_id}"
    if firing is None:
        run.skipped.append(label)
        return
    run.evaluated += 1
    query = select(model).where(model.rule_key == rule.key, model.resolved_at.is_(None))
    if tenant_id is not None:
        query = query.where(TenantAlertIncident.tenant_id == tenant_id)
    incident = s.scalars(query.with_for_update()).first()
    scope = "database" if tenant_id is None else "tenant"
    if firing:
        message = rule.describe(value if value is not None else float("nan"))
        if incident is None:
            fields: dict[str, Any] = {
                "rule_key": rule.key,
                "severity": rule.severity.value,
                "value": value,
                "threshold": rule.threshold,
                "message": message,
                "fired_at": now,
                "last_seen_at": now,
                "details": {"metric": rule.metric, "op": rule.op},
            }
            if tenant_id is not None:
                fields["tenant_id"] = tenant_id
            s.add(model(id=uuid.uuid4(), **fields))
            s.flush()
            run.changes.append(Change("firing", rule.key, scope, tenant_id, value, message))
        else:
            incident.value, incident.last_seen_at, incident.message = value, now, message
        run.firing.append(
            {
                "rule": rule.key,
                "scope": scope,
                "tenant_id": str(tenant_id) if tenant_id else None,
                "severity": rule.severity.value,
                "value": value,
                "message": message,
            }
        )
    elif incident is not None:
        incident.status, incident.resolved_at, incident.last_seen_at = AlertStatus.RESOLVED.value, now, now
        run.changes.append(Change("resolved", rule.key, scope, tenant_id, value, f"{rule.title}: resolved"))


def _payload(incident: AlertIncident | TenantAlertIncident, event: str, slug: str | None) -> dict[str, Any]:
    return {
        "event": f"alert.{event}",
        "incident_id": str(incident.id),
        "rule": incident.rule_key,
        "severity": incident.severity,
        "scope": "tenant" if slug else "database",
        "tenant": slug,
        "value": incident.value,
        "threshold": incident.threshold,
        "message": incident.message,
        "fired_at": incident.fired_at.isoformat(),
        "resolved_at": incident.resolved_at.isoformat() if incident.resolved_at else None,
    }


def _deliver(engine: Engine, run: AlertRun, url: str) -> None:
    """Send every notification not yet delivered (this run's and earlier failures)."""
    with Session(engine) as s, s.begin():
        slugs = {t.id: t.slug for t in s.scalars(select(Tenant))}
        pending: list[tuple[Any, str | None]] = [
            (i, None)
            for i in s.scalars(
                select(AlertIncident).where(
                    (AlertIncident.notified_firing_at.is_(None))
                    | (AlertIncident.resolved_at.is_not(None) & AlertIncident.notified_resolved_at.is_(None))
                )
            )
        ]
        for tenant_id, slug in slugs.items():
            s.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(tenant_id)})
            pending += [
                (i, slug)
                for i in s.scalars(
                    select(TenantAlertIncident).where(
                        TenantAlertIncident.tenant_id == tenant_id,
                        (TenantAlertIncident.notified_firing_at.is_(None))
                        | (
                            TenantAlertIncident.resolved_at.is_not(None)
                            & TenantAlertIncident.notified_resolved_at.is_(None)
                        ),
                    )
                )
            ]
        for incident, slug in pending:
            if slug is not None:
                s.execute(
                    text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(incident.tenant_id)}
                )
            events = [] if incident.notified_firing_at else ["firing"]
            if incident.resolved_at is not None and incident.notified_resolved_at is None:
                events.append("resolved")
            for event in events:
                sent = post_json(url, _payload(incident, event, slug))
                incident.delivery_attempts += sent.attempts
                if sent.ok:
                    run.delivered += 1
                    setattr(incident, f"notified_{event}_at", datetime.now(UTC))
                    incident.last_delivery_error = None
                else:
                    incident.last_delivery_error = sent.error
                    run.delivery_errors.append(f"{incident.rule_key}: {sent.error}")
                    break
            s.flush()
