"""The cost ledger (``ai_usage``): settling a reserved call, and reading usage back.

Every provider call has one row: reserved before the call (``budgets.reserve_call``), settled after it
with the request id, returned model, tokens, latency, status (``ok``, ``invalid`` = billed but unusable
output, ``error`` = no usable response) and the exact cost from the price in force when the call was made.
Roll-ups per tenant, UTC day, provider and model come from the security-invoker view ``ai_usage_daily``
(Row-Level Security applies to whoever reads it).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Integer, Numeric, String, column, func, select, table
from sqlalchemy.orm import Session

from platform_core.ai.pricing import call_cost, find_price
from platform_core.db.session import TENANT_KEY
from platform_core.models import AIGenerationJob, AIUsage

USAGE_DAILY = table(
    "ai_usage_daily",
    column("tenant_id"),
    column("day"),
    column("provider", String),
    column("model", String),
    column("calls", Integer),
    column("ok_calls", Integer),
    column("invalid_calls", Integer),
    column("failed_calls", Integer),
    column("open_reservations", Integer),
    column("prompt_tokens", Integer),
    column("cached_tokens", Integer),
    column("completion_tokens", Integer),
    column("reasoning_tokens", Integer),
    column("cost_usd", Numeric),
    column("unpriced_calls", Integer),
    column("avg_latency_ms", Integer),
)


@dataclass
class CallUsage:
    prompt_tokens: int = 0
    cached_tokens: int = 0
    completion_tokens: int = 0
    reasoning_tokens: int = 0


@dataclass
class CallRecord:
    """The outcome of one provider call, as the ledger stores it."""

    status: str  # ok | invalid | error
    latency_ms: int
    usage: CallUsage = field(default_factory=CallUsage)
    request_id: str | None = None
    returned_model: str | None = None
    finish_reason: str | None = None
    error_type: str | None = None
    http_status: int | None = None
    usage_reported: bool = True  # False: the server sent no usage, so the cost is unknown (NULL)


def settle_call(session: Session, *, usage_id: uuid.UUID, record: CallRecord) -> AIUsage:
    """Turn a reservation into the final ledger row, priced at the call's time (NULL when the model is
    unpriced or the server reported no usage: unknown is not free)."""
    row = session.get(AIUsage, (session.info[TENANT_KEY], usage_id), with_for_update=True)
    if row is None:
        raise LookupError(f"no ledger row {usage_id}")
    price = find_price(
        session, provider=row.provider, models=[record.returned_model, row.requested_model], at=row.created_at
    )
    row.status = record.status
    row.latency_ms = record.latency_ms
    row.request_id = (record.request_id or "")[:500] or None
    row.returned_model = (record.returned_model or "")[:128] or None
    row.finish_reason = (record.finish_reason or "")[:32] or None
    row.error_type = record.error_type
    row.http_status = record.http_status
    row.prompt_tokens = record.usage.prompt_tokens
    row.cached_tokens = record.usage.cached_tokens
    row.completion_tokens = record.usage.completion_tokens
    row.reasoning_tokens = record.usage.reasoning_tokens
    row.price_id = None if price is None else price.id
    row.cost_usd = (
        None
        if price is None or not record.usage_reported
        else call_cost(
            price,
            prompt_tokens=record.usage.prompt_tokens,
            cached_tokens=record.usage.cached_tokens,
            completion_tokens=record.usage.completion_tokens,
        )
    )
    row.settled_at = datetime.now(UTC)
    session.flush()
    return row


def abandon_stale_reservations(session: Session, *, older_than: timedelta = timedelta(hours=1)) -> int:
    """Mark reservations left open by a crashed process as errors of type ``abandoned`` (they keep counting
    against budgets at their reserved amount: the call may have been made)."""
    rows = session.scalars(
        select(AIUsage)
        .where(AIUsage.status == "reserved", AIUsage.created_at < datetime.now(UTC) - older_than)
        .with_for_update(skip_locked=True)
    ).all()
    for row in rows:
        row.status, row.error_type, row.settled_at = "error", "abandoned", datetime.now(UTC)
    session.flush()
    return len(rows)


def _money(value: Any) -> str | None:
    return None if value is None else f"{Decimal(value):f}"


def daily_usage(session: Session, *, since: date, until: date | None = None) -> list[dict[str, Any]]:
    """Per UTC day, provider and model: calls by outcome, tokens, cost (exact) and unpriced calls."""
    query = select(USAGE_DAILY).where(USAGE_DAILY.c.day >= since)
    if until is not None:
        query = query.where(USAGE_DAILY.c.day <= until)
    rows = session.execute(query.order_by(USAGE_DAILY.c.day, USAGE_DAILY.c.provider, USAGE_DAILY.c.model))
    out = []
    for row in rows.mappings():
        item = {key: row[key] for key in row if key != "tenant_id"}
        item["day"] = row["day"].isoformat()
        item["cost_usd"] = _money(row["cost_usd"])
        out.append(item)
    return out


def job_usage(
    session: Session, *, job_ids: list[uuid.UUID] | None = None, since: date | None = None
) -> list[dict[str, Any]]:
    """Per generation job: calls, tokens and cost, with the job's video and status."""
    query = (
        select(
            AIUsage.job_id,
            AIGenerationJob.video_id,
            AIGenerationJob.status,
            func.count().label("calls"),
            func.sum(AIUsage.prompt_tokens).label("prompt_tokens"),
            func.sum(AIUsage.completion_tokens).label("completion_tokens"),
            func.sum(AIUsage.cost_usd).label("cost_usd"),
            func.count().filter(AIUsage.cost_usd.is_(None)).label("unpriced_calls"),
            func.min(AIUsage.created_at).label("first_call"),
        )
        .join(
            AIGenerationJob,
            (AIGenerationJob.tenant_id == AIUsage.tenant_id) & (AIGenerationJob.id == AIUsage.job_id),
        )
        .group_by(AIUsage.job_id, AIGenerationJob.video_id, AIGenerationJob.status)
        .order_by(func.min(AIUsage.created_at))
    )
    if job_ids is not None:
        query = query.where(AIUsage.job_id.in_(job_ids))
    if since is not None:
        query = query.where(AIUsage.created_at >= datetime(since.year, since.month, since.day, tzinfo=UTC))
    return [
        {
            "job_id": str(row.job_id),
            "video_id": str(row.video_id),
            "status": row.status.value,
            "calls": row.calls,
            "prompt_tokens": int(row.prompt_tokens or 0),
            "completion_tokens": int(row.completion_tokens or 0),
            "cost_usd": _money(row.cost_usd),
            "unpriced_calls": row.unpriced_calls,
            "first_call": row.first_call.isoformat(),
        }
        for row in session.execute(query)
    ]


def totals(session: Session, *, since: date, until: date | None = None) -> dict[str, Any]:
    """Totals over the period: calls, tokens, cost (exact), unpriced and open reservations."""
    start = datetime(since.year, since.month, since.day, tzinfo=UTC)
    query = select(
        func.count(),
        func.coalesce(func.sum(AIUsage.prompt_tokens), 0),
        func.coalesce(func.sum(AIUsage.cached_tokens), 0),
        func.coalesce(func.sum(AIUsage.completion_tokens), 0),
        func.coalesce(func.sum(AIUsage.reasoning_tokens), 0),
        func.sum(AIUsage.cost_usd),
        func.count().filter(AIUsage.cost_usd.is_(None), AIUsage.status != "reserved"),
        func.count().filter(AIUsage.status == "reserved"),
        func.count().filter(AIUsage.status == "error"),
    ).where(AIUsage.created_at >= start)
    if until is not None:
        query = query.where(
            AIUsage.created_at < datetime(until.year, until.month, until.day, tzinfo=UTC) + timedelta(days=1)
        )
    calls, prompt, cached, completion, reasoning, cost, unpriced, reserved, failed = session.execute(
        query
    ).one()
    return {
        "calls": calls,
        "prompt_tokens": int(prompt),
        "cached_tokens": int(cached),
        "completion_tokens": int(completion),
        "reasoning_tokens": int(reasoning),
        "cost_usd": _money(cost) or "0",
        "unpriced_calls": unpriced,
        "open_reservations": reserved,
        "failed_calls": failed,
    }


def calls_of_job(session: Session, *, job_id: uuid.UUID) -> list[AIUsage]:
    return list(session.scalars(select(AIUsage).where(AIUsage.job_id == job_id).order_by(AIUsage.created_at)))


def usage_report(session: Session, *, since: date, until: date | None = None) -> dict[str, Any]:
    """Everything an admin reads about a period: totals, daily roll-up, per job, budgets and alerts."""
    from platform_core.ai.budgets import budget_status, list_alerts, month_start

    return {
        "since": since.isoformat(),
        "until": None if until is None else until.isoformat(),
        "totals": totals(session, since=since, until=until),
        "daily": daily_usage(session, since=since, until=until),
        "jobs": job_usage(session, since=since),
        "budgets": [status.as_json() for status in budget_status(session)],
        "alerts": [
            {
                "level": alert.level,
                "scope": alert.scope,
                "message": alert.message,
                "created_at": alert.created_at.isoformat(),
            }
            for alert in list_alerts(session, since=min(since, month_start()))
        ],
    }
