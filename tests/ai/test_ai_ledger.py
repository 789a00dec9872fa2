"""Prices and the ledger: exact arithmetic, versioned prices, the daily roll-up under RLS, the report."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from platform_core.ai import budgets, jobs, ledger, pricing
from platform_core.ai.pricing import Price
from platform_core.db.session import tenant_session
from platform_core.models import AIProvider
from tests.ai.conftest import AITenant, expected_cost, make_video
from tests.ai.fake_openai import FakeOpenAI
from tests.factories import new_tenant

PRICE = Price(
    None, AIProvider.OPENAI, "m", datetime.now(UTC), Decimal("0.15"), Decimal("0.075"), Decimal("0.60")
)


def test_costs_are_exact_decimals_with_cached_input_priced_apart():
    assert pricing.call_cost(PRICE, prompt_tokens=1000, cached_tokens=400, completion_tokens=300) == Decimal(
        "0.000300"
    )  # 600 x 0.15 + 400 x 0.075 + 300 x 0.60 = 90 + 30 + 180 per million
    no_cache_rate = Price(
        None, AIProvider.OPENAI, "m", PRICE.effective_from, Decimal("2"), None, Decimal("8")
    )
    assert pricing.call_cost(
        no_cache_rate, prompt_tokens=10, cached_tokens=5, completion_tokens=1
    ) == Decimal("0.000028")
    assert pricing.worst_case_cost(PRICE, max_prompt_tokens=1000, max_output_tokens=300) >= pricing.call_cost(
        PRICE, prompt_tokens=1000, cached_tokens=0, completion_tokens=300
    )


def test_price_versions_apply_from_their_date(ai_tenant: AITenant, database):
    model = ai_tenant.model + "-v"
    now = datetime.now(UTC)
    pricing.add_price(
        provider="openai",
        model=model,
        input_usd_per_mtok="1",
        output_usd_per_mtok="2",
        effective_from=now - timedelta(days=30),
    )
    pricing.add_price(
        provider="openai",
        model=model,
        input_usd_per_mtok="3",
        output_usd_per_mtok="4",
        effective_from=now - timedelta(days=1),
    )
    with tenant_session(ai_tenant.tenant_id) as session:
        old = pricing.find_price(session, provider="openai", models=[model], at=now - timedelta(days=10))
        new = pricing.find_price(session, provider="openai", models=[model])
        fallback = pricing.find_price(session, provider="openai_compatible", models=["unknown", model])
        none = pricing.find_price(session, provider="anthropic", models=[model])
    assert old.input_usd_per_mtok == 1 and new.input_usd_per_mtok == 3 and fallback == new and none is None


def test_seeded_default_prices_are_present_and_seeding_is_idempotent(database):
    assert pricing.seed_default_prices() == 0  # the migration loaded them
    with tenant_session(uuid.uuid4()) as session:
        price = pricing.find_price(session, provider="openai", models=["gpt-4o-mini"])
    assert (price.input_usd_per_mtok, price.cached_input_usd_per_mtok, price.output_usd_per_mtok) == (
        Decimal("0.15"),
        Decimal("0.075"),
        Decimal("0.60"),
    )


def test_daily_roll_up_per_provider_and_model_sees_only_its_tenant(
    ai_tenant: AITenant, fake: FakeOpenAI, database
):
    ai_tenant.add_config(fake)
    today = datetime.now(UTC).date()  # before the calls: a run across midnight still finds them
    for _ in range(2):
        assert jobs.generate_questions(ai_tenant.tenant_id, video_id=ai_tenant.video_id).calls == 1
    other = new_tenant("other")
    other_job = jobs.generate_questions(other.tenant_id, video_id=make_video(other.tenant_id))
    assert other_job.status.value == "succeeded"
    with tenant_session(ai_tenant.tenant_id) as session:
        [day] = [d for d in ledger.daily_usage(session, since=today) if d["provider"] == "openai_compatible"]
        report = ledger.usage_report(session, since=budgets.month_start())
    assert day["model"] == ai_tenant.model and day["calls"] == 2 and day["ok_calls"] == 2
    assert (day["prompt_tokens"], day["cached_tokens"], day["completion_tokens"]) == (2400, 400, 800)
    assert Decimal(day["cost_usd"]) == 2 * expected_cost(1200, 200, 400) and day["unpriced_calls"] == 0
    assert report["totals"]["calls"] == 2 and Decimal(report["totals"]["cost_usd"]) == Decimal("0.0053")
    assert len(report["jobs"]) == 2 and all(j["calls"] == 1 for j in report["jobs"])
    with tenant_session(other.tenant_id) as session:
        assert [d["provider"] for d in ledger.daily_usage(session, since=today)] == ["offline"]
