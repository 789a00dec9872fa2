"""AI cost analytics by hand: spend, unpriced and in-flight calls, budget burn-down and forecast, tenants."""

from __future__ import annotations

import calendar
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from platform_core.analytics import ai_spend, budget_burndown, budget_forecast, open_source
from platform_core.analytics.ai_costs import ai_cost_per_question, ai_spend_all_tenants, monthly_budget
from platform_core.db.session import tenant_session
from platform_core.models import AIBudget, AIConfig, AIGenerationJob, AIProvider, AIUsage, Question, Video
from tests.factories import new_tenant


def _ledger(tenant_id: uuid.UUID, now: datetime, *, tenant_budget: str | None) -> dict[str, uuid.UUID]:
    first = now.replace(day=1, hour=9, minute=0, second=0, microsecond=0)
    with tenant_session(tenant_id) as s:
        cfg = AIConfig(
            id=uuid.uuid4(),
            tenant_id=tenant_id,
            name="fast",
            provider=AIProvider.OPENAI,
            model="gpt-x",
            monthly_budget_usd=Decimal("10"),
        )
        video = Video(id=uuid.uuid4(), tenant_id=tenant_id, title="V", duration_seconds=60.0)
        s.add_all([cfg, video])
        if tenant_budget is not None:
            s.add(AIBudget(tenant_id=tenant_id, monthly_budget_usd=Decimal(tenant_budget)))
        s.flush()
        job = AIGenerationJob(id=uuid.uuid4(), tenant_id=tenant_id, video_id=video.id, config_id=cfg.id)
        s.add(job)
        s.flush()

        def usage(at: datetime, cost: str | None, status: str = "ok") -> AIUsage:
            return AIUsage(
                tenant_id=tenant_id,
                job_id=job.id,
                config_id=cfg.id,
                provider="openai",
                requested_model="gpt-x",
                status=status,
                prompt_tokens=100,
                completion_tokens=10,
                cost_usd=Decimal(cost) if cost is not None else None,
                created_at=at,
            )

        s.add_all(
            [
                usage(first, "1.0"),  # day 1
                usage(first + timedelta(days=1), "2.0"),  # day 2
                usage(first + timedelta(days=1, hours=1), None),  # day 2, no price: counted, not summed
                usage(first + timedelta(days=1, hours=2), None, status="reserved"),  # in flight: not spend
                usage(first - timedelta(days=2), "5.0"),  # last month
            ]
        )
        for status in ("approved", "published", "rejected", "pending_review"):
            s.add(
                Question(
                    id=uuid.uuid4(),
                    tenant_id=tenant_id,
                    video_id=video.id,
                    type="true_false",
                    prompt=status,
                    data={"correctAnswer": True},
                    status=status,
                    source="ai",
                    generation_job_id=job.id,
                )
            )
    return {"job": job.id, "config": cfg.id}


@pytest.fixture
def now() -> datetime:
    today = datetime.now(UTC)
    return datetime(today.year, today.month, 4, 12, tzinfo=UTC)  # the 4th of this month, noon


def test_spend_burndown_and_forecast_by_hand(database, now: datetime) -> None:
    tenant = new_tenant("ai")
    ids = _ledger(tenant.tenant_id, now, tenant_budget="20")
    days = calendar.monthrange(now.year, now.month)[1]
    with open_source(tenant.tenant_id) as src:
        daily = {r["day"]: r for r in ai_spend(src, by=("day",)).iter_rows(named=True)}
        day1, day2 = date(now.year, now.month, 1), date(now.year, now.month, 2)
        assert (daily[day1]["calls"], daily[day1]["cost_usd"]) == (1, 1.0)
        assert (daily[day2]["calls"], daily[day2]["unpriced_calls"], daily[day2]["cost_usd"]) == (2, 1, 2.0)
        by_job = ai_spend(src, by=("job", "model")).row(0, named=True)
        assert (by_job["job_id"], by_job["model"], by_job["calls"]) == (str(ids["job"]), "gpt-x", 4)
        assert by_job["cost_usd"] == 8.0 and by_job["prompt_tokens"] == 400
        assert monthly_budget(src) == 20.0  # the tenant budget wins over the config's 10
        burn = budget_burndown(src, now=now)
        assert burn.height == days and burn.filter(~burn["is_forecast"]).height == 4
        assert burn["cumulative_usd"][3] == 3.0  # 1 + 2 through the 4th
        assert burn["spend_usd"][4] == pytest.approx(0.75)  # run rate 3 / 4 days
        forecast = budget_forecast(src, now=now).row(0, named=True)
        assert forecast["month_to_date_usd"] == 3.0 and forecast["daily_run_rate_usd"] == 0.75
        assert forecast["forecast_month_end_usd"] == pytest.approx(3 + 0.75 * (days - 4))
        assert forecast["forecast_over_budget"] == (3 + 0.75 * (days - 4) > 20)
        assert forecast["exhausted_on"] == (date(now.year, now.month, 27) if days >= 27 else None)
        cheaper = budget_forecast(src, now=now, budget_usd=1.0).row(0, named=True)
        assert cheaper["exhausted_on"] == day1 and cheaper["forecast_over_budget"]  # 1.0 spent on the 1st
        model = ai_cost_per_question(src).row(0, named=True)
        assert (model["generated"], model["approved"], model["rejected"]) == (4, 2, 1)
        assert model["cost_per_approved"] == 4.0 and model["approval_rate"] == 0.5
        assert model["review_approval_rate"] == pytest.approx(2 / 3)
        with pytest.raises(ValueError, match="by"):
            ai_spend(src, by=("colour",))


def test_budget_falls_back_to_configs_and_spend_spans_tenants(database, now: datetime) -> None:
    a, b = new_tenant("aia"), new_tenant("aib")
    _ledger(a.tenant_id, now, tenant_budget=None)
    _ledger(b.tenant_id, now, tenant_budget=None)
    with open_source(a.tenant_id) as src:
        assert monthly_budget(src) == 10.0
    every = ai_spend_all_tenants(by=("tenant",))
    mine = every.filter(every["tenant_id"].is_in([str(a.tenant_id), str(b.tenant_id)]))
    assert sorted(mine["cost_usd"]) == [8.0, 8.0] and mine.height == 2
