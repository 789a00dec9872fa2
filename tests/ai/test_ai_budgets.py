"""Budgets: atomic reservations under concurrency, hard refusal, soft alerts, unpriced models, timeouts."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

from sqlalchemy import func, select

from platform_core.ai import budgets, jobs
from platform_core.ai.budgets import BudgetExceeded
from platform_core.db.session import tenant_session
from platform_core.models import AIBudgetAlert, AIUsage, JobStatus
from tests.ai.conftest import API_KEY, AITenant, make_video
from tests.ai.fake_openai import FakeOpenAI, hang


def set_budget(tenant: AITenant, amount: str, ratio: str | None = None) -> None:
    with tenant_session(tenant.tenant_id) as session:
        budgets.set_tenant_budget(session, monthly_budget_usd=amount, soft_limit_ratio=ratio)


def month_spend(tenant: AITenant) -> Decimal:
    with tenant_session(tenant.tenant_id) as session:
        return Decimal(session.scalar(select(func.coalesce(func.sum(AIUsage.cost_usd), 0))))


def alerts(tenant: AITenant) -> list[tuple[str, str]]:
    with tenant_session(tenant.tenant_id) as session:
        return [
            (a.level, a.scope) for a in session.scalars(select(AIBudgetAlert).order_by(AIBudgetAlert.level))
        ]


def test_reservations_are_serialised_so_concurrent_callers_cannot_overshoot(
    ai_tenant: AITenant, fake: FakeOpenAI
):
    config = ai_tenant.add_config(fake)
    set_budget(ai_tenant, "0.1")
    barrier = threading.Barrier(12)

    def reserve(_: int) -> bool:
        barrier.wait()
        try:
            with tenant_session(ai_tenant.tenant_id) as session:
                budgets.reserve_call(
                    session,
                    config=config,
                    price=None,
                    amount=Decimal("0.015"),
                    job_id=None,
                    purpose="generate",
                    attempt=1,
                    window_index=None,
                )
            return True
        except BudgetExceeded:
            return False

    with ThreadPoolExecutor(12) as pool:
        granted = list(pool.map(reserve, range(12)))
    assert granted.count(True) == 6  # 6 x 0.015 = 0.09 <= 0.1 < 7 x 0.015
    with tenant_session(ai_tenant.tenant_id) as session:
        [status] = budgets.budget_status(session)
    assert status.reserved_usd == Decimal("0.09") and status.level == "soft"


def test_concurrent_jobs_never_spend_past_a_hard_budget(ai_tenant: AITenant):
    usage = {"prompt_tokens": 1200, "cached_tokens": 0, "completion_tokens": 2000, "reasoning_tokens": 0}
    with FakeOpenAI(api_key=API_KEY, delay=0.3, usage=usage) as slow:
        config = ai_tenant.add_config(slow, max_retries=0)
        videos = [make_video(ai_tenant.tenant_id) for _ in range(6)]
        # A call's worst case is about $0.0125 (prompt bytes at $1/M + 2048 output tokens at $4/M) and its
        # real cost $0.0092: whatever the timing, at most two calls fit in $0.03. Without serialised
        # reservations all six would see an empty month and spend $0.055.
        set_budget(ai_tenant, "0.03")
        barrier = threading.Barrier(len(videos))

        def job(video_id) -> jobs.JobResult:
            barrier.wait()
            return jobs.generate_questions(ai_tenant.tenant_id, video_id=video_id, config_name=config.name)

        with ThreadPoolExecutor(len(videos)) as pool:
            results = list(pool.map(job, videos))
    succeeded = [r for r in results if r.status is JobStatus.SUCCEEDED]
    refused = [r for r in results if r.status is JobStatus.FAILED]
    assert succeeded and refused
    assert all(r.error["type"] == "budget_exceeded" and "budget" in r.error["message"] for r in refused)
    assert month_spend(ai_tenant) <= Decimal("0.03")
    assert len(slow.requests) == len(succeeded) <= 2
    assert ("hard", "tenant") in alerts(ai_tenant)
    with tenant_session(ai_tenant.tenant_id) as session:
        assert session.scalar(select(func.count()).where(AIUsage.status == "reserved")) == 0


def test_a_job_that_cannot_fit_is_refused_before_any_call(ai_tenant: AITenant, fake: FakeOpenAI):
    ai_tenant.add_config(fake)
    set_budget(ai_tenant, "0.001")
    result = jobs.generate_questions(ai_tenant.tenant_id, video_id=ai_tenant.video_id)
    assert result.status is JobStatus.FAILED and result.error["type"] == "budget_exceeded"
    assert "tenant monthly budget is $0.0010" in result.error["message"]
    assert fake.requests == [] and result.calls == 0
    assert alerts(ai_tenant) == [("hard", "tenant")]


def test_configuration_budget_is_enforced_too(ai_tenant: AITenant, fake: FakeOpenAI):
    ai_tenant.add_config(fake, monthly_budget_usd="0.002")
    result = jobs.generate_questions(ai_tenant.tenant_id, video_id=ai_tenant.video_id)
    assert result.status is JobStatus.FAILED and result.error["scope"] == "config:fake"
    assert fake.requests == []


def test_soft_threshold_raises_one_alert(ai_tenant: AITenant, fake: FakeOpenAI):
    ai_tenant.add_config(fake)
    set_budget(ai_tenant, "0.05", ratio="0.2")
    for _ in range(2):
        result = jobs.generate_questions(ai_tenant.tenant_id, video_id=make_video(ai_tenant.tenant_id))
        assert result.status is JobStatus.SUCCEEDED
    assert alerts(ai_tenant) == [("soft", "tenant")]


def test_unpriced_model_under_a_budget_is_refused_with_a_clear_message(ai_tenant: AITenant, fake: FakeOpenAI):
    ai_tenant.add_config(fake, model="unpriced-model")
    set_budget(ai_tenant, "10")
    result = jobs.generate_questions(ai_tenant.tenant_id, video_id=ai_tenant.video_id)
    assert result.status is JobStatus.FAILED and result.error["type"] == "unpriced_model"
    assert "has no price" in result.error["message"] and fake.requests == []


def test_a_timed_out_call_keeps_counting_at_its_reserved_amount(ai_tenant: AITenant, fake: FakeOpenAI):
    ai_tenant.add_config(fake, timeout_seconds=0.3, max_retries=1)
    fake.push(hang(1.0))
    result = jobs.generate_questions(ai_tenant.tenant_id, video_id=ai_tenant.video_id, sleep=lambda s: None)
    assert result.status is JobStatus.SUCCEEDED
    with tenant_session(ai_tenant.tenant_id) as session:
        timed_out = session.scalar(select(AIUsage).where(AIUsage.error_type == "timeout"))
        spent, reserved = budgets._sums(session, None)
    assert timed_out is not None and timed_out.cost_usd == 0 and timed_out.reserved_usd > 0
    # The provider may have billed the call that timed out: budgets count its reservation.
    assert reserved == 0 and spent == timed_out.reserved_usd + month_spend(ai_tenant)
