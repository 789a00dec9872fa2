"""Monthly AI budgets per tenant (``ai_budgets``) and per configuration, enforced by atomic reservations.

Before every provider call the worst-case cost of that call is *reserved*: a ledger row with status
``reserved`` is inserted while the tenant's budget row (and the configuration's row, when it has a budget)
is locked with ``SELECT ... FOR UPDATE``. Concurrent reservations of a tenant therefore queue on that lock,
and each one sums the month's spend *after* the previous one committed (READ COMMITTED takes a new snapshot
per statement), so concurrent jobs cannot overshoot a hard limit. After the call the row is settled with the
real cost (``ledger.settle_call``).

What counts against a budget: settled costs, open reservations at their reserved amount, and, for calls
whose cost is unknown (timeouts, abandoned reservations, answers without usage), the larger of the two,
since the provider may have billed them. Months are calendar months in UTC.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import ColumnElement, case, func, literal, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from platform_core.ai.configs import ResolvedConfig, parse_budget
from platform_core.ai.pricing import Price
from platform_core.audit import AuditAction, record_event
from platform_core.db.session import TENANT_KEY
from platform_core.models import AIBudget, AIBudgetAlert, AIConfig, AIUsage
from platform_core.validation import InvalidInput

log = logging.getLogger(__name__)

UNCERTAIN_ERRORS = ("timeout", "abandoned", "usage_missing")
DEFAULT_SOFT_RATIO = Decimal("0.8")


class BudgetError(RuntimeError):
    """A job or call refused by a budget; ``message`` says which budget and by how much."""

    error_type = "budget_exceeded"

    def __init__(
        self,
        message: str,
        *,
        scope: str,
        limit: Decimal,
        spent: Decimal,
        needed: Decimal | None,
        config_id: uuid.UUID | None = None,
    ):
        super().__init__(message)
        self.scope, self.limit, self.spent, self.needed = scope, limit, spent, needed
        self.config_id = config_id


class BudgetExceeded(BudgetError):
    pass


class UnpricedUnderBudget(BudgetError):
    error_type = "unpriced_model"


@dataclass(frozen=True)
class Limit:
    scope: str  # "tenant" or "config:<name>"
    limit: Decimal
    soft_ratio: Decimal
    config_id: uuid.UUID | None


@dataclass(frozen=True)
class BudgetStatus:
    scope: str
    limit_usd: Decimal
    spent_usd: Decimal
    reserved_usd: Decimal
    soft_limit_ratio: Decimal

    @property
    def remaining_usd(self) -> Decimal:
        return self.limit_usd - self.spent_usd - self.reserved_usd

    @property
    def level(self) -> str:
        used = self.spent_usd + self.reserved_usd
        if used >= self.limit_usd:
            return "hard"
        return "soft" if used >= self.limit_usd * self.soft_limit_ratio else "ok"

    def as_json(self) -> dict[str, str]:
        return {
            "scope": self.scope,
            "limitUsd": str(self.limit_usd),
            "spentUsd": str(self.spent_usd),
            "reservedUsd": str(self.reserved_usd),
            "remainingUsd": str(self.remaining_usd),
            "softLimitRatio": str(self.soft_limit_ratio),
            "level": self.level,
        }


def month_start(now: datetime | None = None) -> date:
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return date(moment.year, moment.month, 1)


def _month_start_ts(now: datetime | None = None) -> datetime:
    start = month_start(now)
    return datetime(start.year, start.month, 1, tzinfo=UTC)


def budget_spend_expression() -> ColumnElement[Decimal]:
    """What one ledger row counts against a budget (see the module docstring)."""
    settled = func.coalesce(AIUsage.cost_usd, 0)
    held = func.greatest(func.coalesce(AIUsage.reserved_usd, 0), settled)
    return case(
        (or_(AIUsage.status == "reserved", AIUsage.error_type.in_(UNCERTAIN_ERRORS)), held), else_=settled
    )


def _sums(session: Session, config_id: uuid.UUID | None) -> tuple[Decimal, Decimal]:
    """(settled or uncertain spend, open reservations) of this month, for the tenant or one config."""
    query = select(
        func.coalesce(func.sum(case((AIUsage.status != "reserved", budget_spend_expression()), else_=0)), 0),
        func.coalesce(func.sum(case((AIUsage.status == "reserved", budget_spend_expression()), else_=0)), 0),
    ).where(AIUsage.created_at >= _month_start_ts())
    if config_id is not None:
        query = query.where(AIUsage.config_id == config_id)
    spent, reserved = session.execute(query).one()
    return Decimal(spent), Decimal(reserved)


def get_tenant_budget(session: Session, *, lock: bool = False) -> AIBudget | None:
    query = select(AIBudget)
    return session.scalar(query.with_for_update() if lock else query)


def set_tenant_budget(
    session: Session,
    *,
    monthly_budget_usd: Decimal | float | str | None,
    soft_limit_ratio: Decimal | float | str | None = None,
) -> AIBudget:
    """Set (or with ``None`` remove) the tenant's monthly limit; ``soft_limit_ratio`` in (0, 1] sets when the
    soft alert fires."""
    ratio = None if soft_limit_ratio is None else parse_budget(soft_limit_ratio, "soft_limit_ratio")
    if ratio is not None and not (0 < ratio <= 1):
        raise InvalidInput("soft_limit_ratio", "must be greater than 0 and at most 1")
    amount = parse_budget(monthly_budget_usd)
    values: dict[str, object] = {"tenant_id": session.info[TENANT_KEY], "monthly_budget_usd": amount}
    if ratio is not None:
        values["soft_limit_ratio"] = ratio
    statement = insert(AIBudget).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=["tenant_id"],
        set_={key: statement.excluded[key] for key in values if key != "tenant_id"}
        | {"updated_at": func.now()},
    )
    session.execute(statement)
    budget = session.scalar(select(AIBudget).execution_options(populate_existing=True))
    assert budget is not None
    record_event(
        session,
        AuditAction.CONFIG_CHANGE,
        table_name="ai_budgets",
        details={
            "change": "ai_budget_set",
            "monthlyBudgetUsd": None if amount is None else str(amount),
            "softLimitRatio": str(budget.soft_limit_ratio),
        },
    )
    return budget


def _limits(session: Session, config: ResolvedConfig, *, lock: bool) -> list[Limit]:
    """The limits that apply to a call with ``config``, locking their rows (tenant first, then config)."""
    limits = []
    budget = get_tenant_budget(session, lock=lock)
    ratio = budget.soft_limit_ratio if budget is not None else DEFAULT_SOFT_RATIO
    if budget is not None and budget.monthly_budget_usd is not None:
        limits.append(Limit("tenant", budget.monthly_budget_usd, ratio, None))
    if config.config_id is not None:
        query = select(AIConfig.monthly_budget_usd).where(AIConfig.id == config.config_id)
        config_limit = session.scalar(query.with_for_update() if lock else query)
        if config_limit is not None:
            limits.append(Limit(f"config:{config.name}", config_limit, ratio, config.config_id))
    return limits


def budget_status(session: Session, *, config: ResolvedConfig | None = None) -> list[BudgetStatus]:
    """This month's figures for the tenant budget and (given one) the configuration's budget."""
    statuses = []
    budget = get_tenant_budget(session)
    ratio = budget.soft_limit_ratio if budget is not None else DEFAULT_SOFT_RATIO
    if budget is not None and budget.monthly_budget_usd is not None:
        statuses.append(BudgetStatus("tenant", budget.monthly_budget_usd, *_sums(session, None), ratio))
    configs = (
        [config.config_id]
        if config is not None and config.config_id is not None
        else list(session.scalars(select(AIConfig.id).where(AIConfig.monthly_budget_usd.is_not(None))))
    )
    for config_id in configs:
        row = session.get(AIConfig, (session.info[TENANT_KEY], config_id))
        if row is not None and row.monthly_budget_usd is not None:
            statuses.append(
                BudgetStatus(f"config:{row.name}", row.monthly_budget_usd, *_sums(session, config_id), ratio)
            )
    return statuses


def _refusal(limit: Limit, spent: Decimal, needed: Decimal | None, what: str) -> BudgetError:
    if needed is None:
        return UnpricedUnderBudget(
            f"{what} refused: the model has no price, so the {limit.scope} budget of ${limit.limit} "
            "cannot be enforced; add a price with `ilp ai prices add` (or remove the budget)",
            scope=limit.scope,
            limit=limit.limit,
            spent=spent,
            needed=None,
            config_id=limit.config_id,
        )
    return BudgetExceeded(
        f"{what} refused: the {limit.scope} monthly budget is ${limit.limit}, ${spent.normalize():f} is "
        f"already spent or reserved this month, and this needs up to ${needed.normalize():f}",
        scope=limit.scope,
        limit=limit.limit,
        spent=spent,
        needed=needed,
        config_id=limit.config_id,
    )


def check_budget(session: Session, *, config: ResolvedConfig, needed: Decimal | None, what: str) -> None:
    """Raise :class:`BudgetError` when ``needed`` (None = unpriced) does not fit in every applicable budget
    (a check without reserving: used before a job starts)."""
    for limit in _limits(session, config, lock=False):
        spent, reserved = _sums(session, limit.config_id)
        if needed is None or spent + reserved + needed > limit.limit:
            raise _refusal(limit, spent + reserved, needed, what)


def reserve_call(
    session: Session,
    *,
    config: ResolvedConfig,
    price: Price | None,
    amount: Decimal | None,
    job_id: uuid.UUID | None,
    purpose: str,
    attempt: int,
    window_index: int | None,
) -> AIUsage:
    """Atomically check every budget and insert the ``reserved`` ledger row for one call.

    Use a session of its own and commit right after, so the lock is held only for the check. Raises
    :class:`BudgetError` (nothing written); the caller records the hard alert in a new transaction.
    """
    for limit in _limits(session, config, lock=True):
        spent, reserved = _sums(session, limit.config_id)
        used = spent + reserved
        if amount is None or used + amount > limit.limit:
            raise _refusal(limit, used, amount, "AI call")
        if used + amount >= limit.limit * limit.soft_ratio:
            record_alert(session, limit=limit, level="soft", spent=used + amount)
    usage = AIUsage(
        id=uuid.uuid4(),
        tenant_id=session.info[TENANT_KEY],
        job_id=job_id,
        config_id=config.config_id,
        provider=config.provider.value,
        requested_model=config.model,
        purpose=purpose,
        status="reserved",
        reserved_usd=amount,
        price_id=None if price is None else price.id,
        attempt=attempt,
        window_index=window_index,
    )
    session.add(usage)
    session.flush()
    return usage


def record_alert(session: Session, *, limit: Limit | BudgetError, level: str, spent: Decimal) -> bool:
    """Record a budget alert once per scope, level and month; True when this call recorded it."""
    scope = limit.scope
    config_id = limit.config_id
    amount = limit.limit
    message = (
        f"{scope} AI budget: ${spent.normalize():f} of ${amount} used this month"
        if level == "soft"
        else str(limit)
    )
    inserted = session.execute(
        insert(AIBudgetAlert)
        .values(
            tenant_id=session.info[TENANT_KEY],
            period_start=month_start(),
            scope=scope,
            config_id=config_id,
            level=level,
            limit_usd=amount,
            spent_usd=spent,
            message=message[:2000],
        )
        .on_conflict_do_nothing(index_elements=["tenant_id", "period_start", "scope", "level"])
        .returning(literal(1))
    ).first()
    if inserted:
        log.warning("budget alert (%s): %s", level, message)
    return inserted is not None


def list_alerts(session: Session, *, since: date | None = None) -> list[AIBudgetAlert]:
    return list(
        session.scalars(
            select(AIBudgetAlert)
            .where(AIBudgetAlert.period_start >= (since or month_start()))
            .order_by(AIBudgetAlert.created_at)
        )
    )
