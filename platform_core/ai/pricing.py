"""The versioned price table (USD per million tokens) and exact cost arithmetic.

Prices are shared by every tenant (``ai_model_prices``: the application role may only read it; adding a
price is an operator task done as the owner). A price applies from its ``effective_from`` until a newer row
for the same provider and model. Costs are ``Decimal`` to 10 places, the precision of ``ai_usage.cost_usd``.
A model without a price is *unpriced* (cost NULL), never free.

Azure OpenAI and OpenAI-compatible servers that serve an OpenAI model name (a proxy such as LiteLLM) fall
back to the ``openai`` price of that name when they have no price of their own.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_CEILING, ROUND_HALF_EVEN, Decimal

from sqlalchemy import Engine, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from platform_core.ai.configs import parse_provider
from platform_core.db.engine import owner_engine
from platform_core.models import AIModelPrice, AIProvider
from platform_core.validation import InvalidInput

MTOK = Decimal(1_000_000)
COST_QUANTUM = Decimal("0.0000000001")
FALLBACK_PROVIDER = {
    AIProvider.AZURE_OPENAI: AIProvider.OPENAI,
    AIProvider.OPENAI_COMPATIBLE: AIProvider.OPENAI,
}
SEED_NOTE = "seed 0030"
# (provider, model, effective_from, input, cached input, output) in USD per million tokens: public list
# prices (openai.com/api/pricing, anthropic.com/pricing) as checked on the date given. The same table is
# loaded by migration 0030; `ilp ai prices seed` adds whatever rows are missing.
DEFAULT_PRICES: tuple[tuple[str, str, str, str, str, str], ...] = (
    ("openai", "gpt-4o", "2025-08-07", "2.50", "1.25", "10.00"),
    ("openai", "gpt-4o-mini", "2025-08-07", "0.15", "0.075", "0.60"),
    ("openai", "gpt-4.1", "2025-08-07", "2.00", "0.50", "8.00"),
    ("openai", "gpt-4.1-mini", "2025-08-07", "0.40", "0.10", "1.60"),
    ("openai", "gpt-4.1-nano", "2025-08-07", "0.10", "0.025", "0.40"),
    ("openai", "o4-mini", "2025-08-07", "1.10", "0.275", "4.40"),
    ("openai", "gpt-5", "2025-08-07", "1.25", "0.125", "10.00"),
    ("openai", "gpt-5-mini", "2025-08-07", "0.25", "0.025", "2.00"),
    ("openai", "gpt-5-nano", "2025-08-07", "0.05", "0.005", "0.40"),
    ("anthropic", "claude-sonnet-4-20250514", "2025-08-07", "3.00", "0.30", "15.00"),
    ("anthropic", "claude-3-5-haiku-20241022", "2025-08-07", "0.80", "0.08", "4.00"),
    ("offline", "offline-1", "2025-01-01", "0", "0", "0"),
)


@dataclass(frozen=True)
class Price:
    id: uuid.UUID
    provider: AIProvider
    model: str
    effective_from: datetime
    input_usd_per_mtok: Decimal
    cached_input_usd_per_mtok: Decimal | None
    output_usd_per_mtok: Decimal

    @classmethod
    def of(cls, row: AIModelPrice) -> Price:
        return cls(
            row.id,
            row.provider,
            row.model,
            row.effective_from,
            row.input_usd_per_mtok,
            row.cached_input_usd_per_mtok,
            row.output_usd_per_mtok,
        )


def _lookup(session: Session, provider: AIProvider, model: str, at: datetime | None) -> Price | None:
    row = session.scalar(
        select(AIModelPrice)
        .where(
            AIModelPrice.provider == provider,
            AIModelPrice.model == model,
            AIModelPrice.effective_from <= (at or datetime.now(UTC)),
        )
        .order_by(AIModelPrice.effective_from.desc())
        .limit(1)
    )
    return None if row is None else Price.of(row)


def find_price(
    session: Session, *, provider: AIProvider | str, models: list[str | None], at: datetime | None = None
) -> Price | None:
    """The price in force at ``at`` (default now) for the first of ``models`` that has one: the provider's
    own price first, then its fallback provider's."""
    kind = parse_provider(provider)
    providers = [kind] + ([FALLBACK_PROVIDER[kind]] if kind in FALLBACK_PROVIDER else [])
    for candidate in providers:
        for model in models:
            if model:
                price = _lookup(session, candidate, model, at)
                if price is not None:
                    return price
    return None


def _exact_cost(price: Price, *, prompt_tokens: int, cached_tokens: int, completion_tokens: int) -> Decimal:
    cached = max(0, min(cached_tokens, prompt_tokens))
    uncached = max(0, prompt_tokens - cached)
    cached_rate = (
        price.cached_input_usd_per_mtok
        if price.cached_input_usd_per_mtok is not None
        else price.input_usd_per_mtok
    )
    return (
        uncached * price.input_usd_per_mtok
        + cached * cached_rate
        + max(0, completion_tokens) * price.output_usd_per_mtok
    ) / MTOK


def call_cost(price: Price, *, prompt_tokens: int, cached_tokens: int, completion_tokens: int) -> Decimal:
    """Exact cost of one call. ``prompt_tokens`` includes the cached ones (OpenAI usage semantics), which
    are charged at the cached rate (the input rate when the model has none); reasoning tokens are part of
    ``completion_tokens`` and charged as output."""
    exact = _exact_cost(
        price, prompt_tokens=prompt_tokens, cached_tokens=cached_tokens, completion_tokens=completion_tokens
    )
    return exact.quantize(COST_QUANTUM, rounding=ROUND_HALF_EVEN)


def worst_case_cost(price: Price, *, max_prompt_tokens: int, max_output_tokens: int) -> Decimal:
    """An upper bound of a call's cost: every prompt token uncached, every allowed output token used."""
    exact = _exact_cost(
        price, prompt_tokens=max_prompt_tokens, cached_tokens=0, completion_tokens=max_output_tokens
    )
    return exact.quantize(COST_QUANTUM, rounding=ROUND_CEILING)


def list_prices(session: Session, *, current_only: bool = False) -> list[AIModelPrice]:
    rows = list(
        session.scalars(
            select(AIModelPrice).order_by(
                AIModelPrice.provider, AIModelPrice.model, AIModelPrice.effective_from.desc()
            )
        )
    )
    if not current_only:
        return rows
    now = datetime.now(UTC)
    seen: set[tuple[str, str]] = set()
    current = []
    for row in rows:
        key = (row.provider.value, row.model)
        if row.effective_from <= now and key not in seen:
            seen.add(key)
            current.append(row)
    return current


def _amount(value: Decimal | str | float | None, field: str, *, required: bool = True) -> Decimal | None:
    if value is None:
        if required:
            raise InvalidInput(field, "is required")
        return None
    try:
        amount = Decimal(str(value))
    except ArithmeticError:
        raise InvalidInput(field, f"not a number: {value!r}") from None
    if not amount.is_finite() or amount < 0:
        raise InvalidInput(field, "must be a non-negative price in USD per million tokens")
    return amount


def add_price(
    *,
    provider: AIProvider | str,
    model: str,
    input_usd_per_mtok: Decimal | str | float,
    output_usd_per_mtok: Decimal | str | float,
    cached_input_usd_per_mtok: Decimal | str | float | None = None,
    effective_from: datetime | None = None,
    notes: str | None = None,
    engine: Engine | None = None,
) -> AIModelPrice:
    """Add a price version (an operator task: runs as the schema owner). Old versions stay, so past calls
    keep the price they were charged at."""
    if not model or not model.strip():
        raise InvalidInput("model", "must not be empty")
    row = AIModelPrice(
        id=uuid.uuid4(),
        provider=parse_provider(provider),
        model=model.strip(),
        effective_from=effective_from or datetime.now(UTC),
        input_usd_per_mtok=_amount(input_usd_per_mtok, "input_usd_per_mtok"),
        cached_input_usd_per_mtok=_amount(
            cached_input_usd_per_mtok, "cached_input_usd_per_mtok", required=False
        ),
        output_usd_per_mtok=_amount(output_usd_per_mtok, "output_usd_per_mtok"),
        notes=notes,
    )
    with Session(engine or owner_engine(), expire_on_commit=False) as session:
        session.add(row)
        session.commit()
    return row


def seed_default_prices(*, engine: Engine | None = None) -> int:
    """Insert the default price rows that are missing; returns how many were added."""
    rows = [
        {
            "provider": provider,
            "model": model,
            "effective_from": datetime.fromisoformat(f"{since}T00:00:00+00:00"),
            "input_usd_per_mtok": Decimal(price_in),
            "cached_input_usd_per_mtok": Decimal(price_cached),
            "output_usd_per_mtok": Decimal(price_out),
            "notes": f"{SEED_NOTE}: public list price, checked {since}",
        }
        for provider, model, since, price_in, price_cached, price_out in DEFAULT_PRICES
    ]
    statement = (
        insert(AIModelPrice)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["provider", "model", "effective_from"])
        .returning(AIModelPrice.id)
    )
    with Session(engine or owner_engine()) as session:
        added = len(session.execute(statement).all())
        session.commit()
    return added
