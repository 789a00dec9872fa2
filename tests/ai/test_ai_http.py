"""Generation through the real openai SDK over real HTTP to a local OpenAI-compatible server with faults."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from sqlalchemy import select

from platform_core.ai import jobs
from platform_core.db.session import tenant_session
from platform_core.grading import validate_question_data
from platform_core.models import (
    AIRejectedCandidate,
    AIUsage,
    JobStatus,
    Question,
    QuestionSource,
    QuestionStatus,
)
from tests.ai.conftest import API_KEY, AITenant, expected_cost
from tests.ai.fake_openai import FakeOpenAI, Step, content, hang, not_json_body, rate_limited, server_error


def run(
    tenant: AITenant, *, config: str = "fake", params: dict | None = None
) -> tuple[jobs.JobResult, list[float]]:
    sleeps: list[float] = []
    result = jobs.generate_questions(
        tenant.tenant_id, video_id=tenant.video_id, config_name=config, params=params, sleep=sleeps.append
    )
    return result, sleeps


def ledger(tenant: AITenant, job_id) -> list[AIUsage]:
    with tenant_session(tenant.tenant_id) as session:
        return list(
            session.scalars(
                select(AIUsage).where(AIUsage.job_id == job_id).order_by(AIUsage.created_at, AIUsage.attempt)
            )
        )


def questions_of(tenant: AITenant, job_id) -> list[Question]:
    with tenant_session(tenant.tenant_id) as session:
        return list(session.scalars(select(Question).where(Question.generation_job_id == job_id)))


def test_success_stores_pending_review_questions_and_one_exact_ledger_row(
    ai_tenant: AITenant, fake: FakeOpenAI
):
    ai_tenant.add_config(fake)
    result, sleeps = run(ai_tenant)
    assert result.status is JobStatus.SUCCEEDED, result.error
    assert result.questions_created >= 2 and sleeps == []
    stored = questions_of(ai_tenant, result.job_id)
    assert {q.status for q in stored} == {QuestionStatus.PENDING_REVIEW}
    assert {q.source for q in stored} == {QuestionSource.AI}
    for q in stored:
        validate_question_data(q.type.value, q.data)
        meta = q.ai_metadata
        assert meta["sourceQuote"] and meta["bloomLevel"] and meta["difficulty"] and meta["rationale"]
        assert meta["startSeconds"] <= meta["endSeconds"]
    [row] = ledger(ai_tenant, result.job_id)
    assert row.status == "ok" and row.error_type is None and row.purpose == "generate"
    assert row.request_id == "req_fake_00001"
    assert row.requested_model == ai_tenant.model and row.returned_model == f"{ai_tenant.model}-2025-01-01"
    assert (row.prompt_tokens, row.cached_tokens, row.completion_tokens, row.reasoning_tokens) == (
        1200,
        200,
        400,
        50,
    )
    assert row.cost_usd == expected_cost(1200, 200, 400) == Decimal("0.00265")
    assert row.price_id is not None and row.latency_ms is not None and row.reserved_usd >= row.cost_usd
    assert result.cost_usd == row.cost_usd
    request = fake.requests[0]
    assert request["headers"]["authorization"] == f"Bearer {API_KEY}"
    assert request["body"]["response_format"]["type"] == "json_schema"  # chat.completions.parse
    assert request["body"]["model"] == ai_tenant.model


def test_usage_without_detail_fields_is_priced_without_cache(ai_tenant: AITenant, fake: FakeOpenAI):
    ai_tenant.add_config(fake)
    fake.push(Step(usage="basic"))
    result, _ = run(ai_tenant)
    [row] = ledger(ai_tenant, result.job_id)
    assert (row.prompt_tokens, row.cached_tokens, row.completion_tokens, row.reasoning_tokens) == (
        1200,
        0,
        400,
        0,
    )
    assert row.cost_usd == expected_cost(1200, 0, 400)


def test_missing_usage_is_recorded_as_unknown_cost_not_zero(ai_tenant: AITenant, fake: FakeOpenAI):
    ai_tenant.add_config(fake)
    fake.push(Step(usage="none"))
    result, _ = run(ai_tenant)
    assert result.status is JobStatus.SUCCEEDED
    [row] = ledger(ai_tenant, result.job_id)
    assert row.status == "ok" and row.error_type == "usage_missing" and row.cost_usd is None
    assert result.unpriced_calls == 1


def test_rate_limit_honours_retry_after_and_every_attempt_is_ledgered(ai_tenant: AITenant, fake: FakeOpenAI):
    ai_tenant.add_config(fake)
    fake.push(rate_limited(2), rate_limited(0.25, ms=True))
    result, sleeps = run(ai_tenant)
    assert result.status is JobStatus.SUCCEEDED
    assert sleeps == [2.0, 0.25]
    rows = ledger(ai_tenant, result.job_id)
    assert [(r.status, r.error_type, r.http_status, r.attempt) for r in rows] == [
        ("error", "rate_limit", 429, 1),
        ("error", "rate_limit", 429, 2),
        ("ok", None, 200, 3),
    ]
    assert [r.request_id for r in rows] == ["req_fake_00001", "req_fake_00002", "req_fake_00003"]
    assert rows[0].cost_usd == Decimal(0) and rows[0].prompt_tokens == 0  # not billed, but priced: $0 exactly
    assert result.calls == 3


def test_server_errors_back_off_exponentially_then_succeed(ai_tenant: AITenant, fake: FakeOpenAI):
    ai_tenant.add_config(fake)
    fake.push(server_error(500), server_error(503))
    result, sleeps = run(ai_tenant)
    assert result.status is JobStatus.SUCCEEDED
    assert 0.375 <= sleeps[0] <= 0.5 and 0.75 <= sleeps[1] <= 1.0
    assert [r.http_status for r in ledger(ai_tenant, result.job_id)] == [500, 503, 200]


def test_persistent_failure_fails_the_job_with_details_and_no_questions(
    ai_tenant: AITenant, fake: FakeOpenAI
):
    ai_tenant.add_config(fake, max_retries=1)
    fake.push(server_error(502), server_error(502))
    result, _ = run(ai_tenant)
    assert result.status is JobStatus.FAILED
    assert result.error["type"] == "server_error" and result.error["httpStatus"] == 502
    assert result.error["attempts"] == 2 and result.error["requestId"] == "req_fake_00002"
    assert questions_of(ai_tenant, result.job_id) == []
    assert [r.status for r in ledger(ai_tenant, result.job_id)] == ["error", "error"]
    with tenant_session(ai_tenant.tenant_id) as session:
        job = jobs.get_job(session, job_id=result.job_id)
        assert job.status is JobStatus.FAILED and job.error["type"] == "server_error" and job.attempts == 2


def test_timeout_is_retried_and_recorded(ai_tenant: AITenant, fake: FakeOpenAI):
    ai_tenant.add_config(fake, timeout_seconds=0.5)
    fake.push(hang(1.5))
    result, sleeps = run(ai_tenant)
    assert result.status is JobStatus.SUCCEEDED
    first, second = ledger(ai_tenant, result.job_id)
    assert (first.status, first.error_type, first.http_status) == ("error", "timeout", None)
    assert first.latency_ms >= 400 and len(sleeps) == 1
    assert second.status == "ok"


def test_a_body_that_is_not_json_is_an_invalid_response_and_retried(ai_tenant: AITenant, fake: FakeOpenAI):
    ai_tenant.add_config(fake)
    fake.push(not_json_body())
    result, _ = run(ai_tenant)
    assert result.status is JobStatus.SUCCEEDED
    first, _second = ledger(ai_tenant, result.job_id)
    assert (first.status, first.error_type, first.http_status) == ("error", "invalid_response", 200)


@pytest.mark.parametrize(
    ("answer", "finish_reason", "kind"),
    [
        ("Sure! Here are three great questions about velocity.", "stop", "invalid_json"),
        ('{"questions": [{"type": "essay", "stem": "Discuss."}]}', "stop", "schema_violation"),
        ('{"items": []}', "stop", "schema_violation"),
        ('{"questions": [{"type": "multiple_choice", "stem": "Which', "length", "truncated"),
    ],
)
def test_unusable_content_gets_one_billed_repair_call(
    ai_tenant: AITenant, fake: FakeOpenAI, answer: str, finish_reason: str, kind: str
):
    ai_tenant.add_config(fake)
    fake.push(content(answer, finish_reason=finish_reason))
    result, _ = run(ai_tenant)
    assert result.status is JobStatus.SUCCEEDED and result.questions_created >= 1
    first, repair = ledger(ai_tenant, result.job_id)
    assert (first.status, first.error_type, first.purpose) == ("invalid", kind, "generate")
    assert (repair.status, repair.purpose) == ("ok", "repair")
    assert first.cost_usd == repair.cost_usd == expected_cost(1200, 200, 400)  # both billed
    repair_messages = fake.requests[1]["body"]["messages"]
    assert repair_messages[-2] == {"role": "assistant", "content": answer}
    assert "could not be used" in repair_messages[-1]["content"]
    if kind == "truncated":
        assert "fewer and shorter" in repair_messages[-1]["content"]


def test_no_usable_answer_after_repair_fails_the_job_but_keeps_the_evidence(
    ai_tenant: AITenant, fake: FakeOpenAI
):
    ai_tenant.add_config(fake)
    fake.push(content("no"), content("still no"))
    result, _ = run(ai_tenant)
    assert result.status is JobStatus.FAILED and result.error["type"] == "no_usable_output"
    assert [r.status for r in ledger(ai_tenant, result.job_id)] == ["invalid", "invalid"]
    assert questions_of(ai_tenant, result.job_id) == []
    with tenant_session(ai_tenant.tenant_id) as session:
        gates = session.scalars(
            select(AIRejectedCandidate.gate).where(AIRejectedCandidate.job_id == result.job_id)
        )
        assert list(gates) == ["output"]


def test_one_bad_window_does_not_sink_the_job(ai_tenant: AITenant, fake: FakeOpenAI):
    ai_tenant.add_config(fake)
    fake.push(content("no"), content("still no"))  # window 0 and its repair; window 1 is fine
    result, _ = run(ai_tenant, params={"windowSeconds": 30})
    assert result.status is JobStatus.SUCCEEDED and result.questions_created >= 1
    with tenant_session(ai_tenant.tenant_id) as session:
        gates = list(
            session.scalars(
                select(AIRejectedCandidate.gate).where(AIRejectedCandidate.job_id == result.job_id)
            )
        )
    assert "output" in gates


def test_invalid_questions_are_rejected_while_valid_ones_are_kept(ai_tenant: AITenant, fake: FakeOpenAI):
    ai_tenant.add_config(fake)
    good = {
        "type": "true_false",
        "stem": "Velocity is the rate of change of position with respect to time.",
        "options": [],
        "answer": "true",
        "accepted_answers": [],
        "items": [],
        "rationale": "Said at 0:00.",
        "source_quote": "Velocity is the rate of change of position",
        "start_seconds": 0,
        "end_seconds": 9,
        "difficulty": "easy",
        "bloom_level": "remember",
    }
    invented = {
        **good,
        "stem": "Light is the fastest thing in the universe.",
        "source_quote": "light is fastest",
    }
    above = {
        **good,
        "type": "multiple_choice",
        "stem": "What is velocity?",
        "answer": "",
        "options": [
            {"text": "A rate of change of position", "correct": False},
            {"text": "A kind of mass", "correct": False},
            {"text": "All of the above", "correct": True},
        ],
    }
    fake.push(content(json.dumps({"questions": [good, invented, above, {"type": "essay"}]})))
    result, _ = run(ai_tenant)
    assert result.status is JobStatus.SUCCEEDED and result.questions_created == 1
    with tenant_session(ai_tenant.tenant_id) as session:
        rejected = dict(
            session.execute(
                select(AIRejectedCandidate.gate, AIRejectedCandidate.reason).where(
                    AIRejectedCandidate.job_id == result.job_id
                )
            ).all()
        )
    assert set(rejected) == {"source_quote", "banned_option", "schema"}


def test_schema_in_prompt_mode_sends_no_response_format(ai_tenant: AITenant, fake: FakeOpenAI):
    ai_tenant.add_config(fake, provider="anthropic")
    result, _ = run(ai_tenant)
    assert result.status is JobStatus.SUCCEEDED
    body = fake.requests[0]["body"]
    assert "response_format" not in body
    assert '"questions"' in body["messages"][0]["content"]  # the schema travels in the prompt
    assert body["max_tokens"] == 2048


def test_azure_deployment_path_key_header_and_openai_price_fallback(ai_tenant: AITenant, fake: FakeOpenAI):
    ai_tenant.add_config(fake, provider="azure_openai", model="gpt-4o-mini", base_url=fake.root_url)
    result, _ = run(ai_tenant)
    assert result.status is JobStatus.SUCCEEDED, result.error
    request = fake.requests[0]
    assert request["path"].startswith("/openai/deployments/gpt-4o-mini/chat/completions?api-version=")
    assert request["headers"]["api-key"] == API_KEY
    assert request["body"]["max_completion_tokens"] == 2048
    [row] = ledger(ai_tenant, result.job_id)
    # No azure price: the seeded OpenAI list price of gpt-4o-mini applies (0.15 / 0.075 / 0.60 per 1M).
    assert (
        row.cost_usd == (1000 * Decimal("0.15") + 200 * Decimal("0.075") + 400 * Decimal("0.60")) / 1_000_000
    )


def test_wrong_key_is_not_retried(ai_tenant: AITenant, fake: FakeOpenAI):
    ai_tenant.add_config(fake, api_key="sk-wrong-key-000000000000000")
    result, sleeps = run(ai_tenant)
    assert result.status is JobStatus.FAILED and result.error["type"] == "auth" and sleeps == []
    assert len(fake.requests) == 1


def test_unpriced_model_is_recorded_as_unpriced(ai_tenant: AITenant, fake: FakeOpenAI):
    ai_tenant.add_config(fake, model="no-price-model")
    result, _ = run(ai_tenant)
    assert result.status is JobStatus.SUCCEEDED
    [row] = ledger(ai_tenant, result.job_id)
    assert row.cost_usd is None and row.price_id is None and row.prompt_tokens == 1200
    assert result.unpriced_calls == 1


def test_a_server_refusing_response_format_gets_the_schema_in_the_prompt(
    ai_tenant: AITenant, fake: FakeOpenAI
):
    ai_tenant.add_config(fake)
    fake.push(Step(status=400))
    result, _ = run(ai_tenant, params={"windowSeconds": 30})
    assert result.status is JobStatus.SUCCEEDED and result.questions_created >= 2
    bodies = [r["body"] for r in fake.requests]
    assert "response_format" in bodies[0] and all("response_format" not in b for b in bodies[1:])
    assert ledger(ai_tenant, result.job_id)[0].error_type == "bad_request"
