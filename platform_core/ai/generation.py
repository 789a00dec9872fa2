"""Generating the candidates of one transcript window: budgeted, ledgered, retried, repaired once.

Every attempt is its own ledger row: the worst-case cost is reserved (``budgets.reserve_call``, committed at
once so concurrent jobs see it), the provider is called, and the row is settled with what came back. Rate
limits, 5xx answers, timeouts and connection errors are retried with exponential backoff (honouring
``Retry-After``) up to the configuration's ``max_retries``. An answer that arrived but cannot be used (not
JSON, schema violation, truncated) gets one repair call, billed like any other.
"""

from __future__ import annotations

import logging
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from platform_core.ai.budgets import BudgetError, record_alert, reserve_call
from platform_core.ai.candidates import GeneratedQuestion, OutputInvalid, parse_batch
from platform_core.ai.configs import ResolvedConfig
from platform_core.ai.ledger import CallRecord, settle_call
from platform_core.ai.pricing import Price, find_price, worst_case_cost
from platform_core.ai.prompts import PromptRequest, generation_request, prompt_size_bound, repair_request
from platform_core.ai.providers import CallResult, Provider, ProviderError
from platform_core.ai.windows import Window
from platform_core.db.session import tenant_session

log = logging.getLogger(__name__)
MAX_RETRY_AFTER = 60.0
BACKOFF_BASE, BACKOFF_CAP = 0.5, 8.0


class CallFailed(RuntimeError):
    """A call that still failed after its retries (or failed in a way retrying cannot fix)."""

    def __init__(self, error: ProviderError, attempts: int) -> None:
        super().__init__(f"{error} (after {attempts} attempt{'s' if attempts != 1 else ''})")
        self.error, self.attempts = error, attempts

    def as_json(self) -> dict[str, Any]:
        return {
            "type": self.error.error_type,
            "message": self.error.message,
            "httpStatus": self.error.http_status,
            "requestId": self.error.request_id,
            "attempts": self.attempts,
        }


@dataclass
class Answer:
    result: CallResult
    questions: list[GeneratedQuestion] = field(default_factory=list)
    invalid: list[tuple[Any, str]] = field(default_factory=list)
    problem_kind: str | None = None
    problem: str | None = None


@dataclass
class WindowOutcome:
    window: Window
    questions: list[GeneratedQuestion] = field(default_factory=list)
    invalid: list[tuple[Any, str]] = field(default_factory=list)  # (raw candidate, reason)
    failure: dict[str, Any] | None = None  # no usable answer even after the repair call
    request_ids: list[str] = field(default_factory=list)


def interpret(result: CallResult) -> Answer:
    """Read a call's answer: the SDK-parsed batch when there is one, else the lenient reading."""
    if result.problem_kind in ("truncated", "content_filter", "refusal"):
        return Answer(result, problem_kind=result.problem_kind, problem=result.problem)
    if result.parsed is not None:
        return Answer(result, questions=list(result.parsed.questions))
    try:
        valid, invalid = parse_batch(result.content)
    except OutputInvalid as exc:
        return Answer(result, problem_kind=exc.kind, problem=exc.detail)
    return Answer(result, questions=valid, invalid=invalid)


def backoff_delay(attempt: int, retry_after: float | None, rng: random.Random) -> float:
    """Seconds to wait before retry number ``attempt`` (1-based): the server's Retry-After when it gave
    one, else exponential backoff with up to 25% jitter."""
    if retry_after is not None:
        return retry_after
    return min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (attempt - 1)) * (1 - 0.25 * rng.random())


class CallRunner:
    """Makes the provider calls of one job, keeping the ledger and the budgets."""

    def __init__(
        self,
        *,
        tenant_id: uuid.UUID,
        job_id: uuid.UUID | None,
        config: ResolvedConfig,
        provider: Provider,
        user_id: uuid.UUID | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.tenant_id, self.job_id, self.config, self.provider = tenant_id, job_id, config, provider
        self.user_id, self.sleep = user_id, sleep
        self.params = config.params
        self.structured = provider.supports_structured_output(config.params)
        self.calls = 0
        self._rng = random.Random(str(job_id))
        self._price: Price | None = None
        self._price_loaded = False

    def _session(self) -> Any:
        return tenant_session(self.tenant_id, user_id=self.user_id)

    def price(self) -> Price | None:
        if not self._price_loaded:
            with self._session() as session:
                self._price = find_price(session, provider=self.config.provider, models=[self.config.model])
            self._price_loaded = True
        return self._price

    def worst_case(self, request: PromptRequest) -> Decimal | None:
        price = self.price()
        if price is None:
            return None
        return worst_case_cost(
            price,
            max_prompt_tokens=prompt_size_bound(request),
            max_output_tokens=self.params.max_output_tokens,
        )

    def _reserve(self, request: PromptRequest, attempt: int, window_index: int | None) -> uuid.UUID:
        try:
            with self._session() as session:
                row = reserve_call(
                    session,
                    config=self.config,
                    price=self.price(),
                    amount=self.worst_case(request),
                    job_id=self.job_id,
                    purpose=request.purpose,
                    attempt=attempt,
                    window_index=window_index,
                )
                return row.id
        except BudgetError as refusal:
            with self._session() as session:
                record_alert(session, limit=refusal, level="hard", spent=refusal.spent)
            raise

    def _settle(self, usage_id: uuid.UUID, record: CallRecord) -> None:
        with self._session() as session:
            settle_call(session, usage_id=usage_id, record=record)

    def call(self, request: PromptRequest, *, window_index: int | None) -> Answer:
        """One logical call with its retries; raises :class:`CallFailed` or :class:`BudgetError`."""
        attempts = self.config.max_retries + 1
        for attempt in range(1, attempts + 1):
            usage_id = self._reserve(request, attempt, window_index)
            self.calls += 1
            try:
                result = self.provider.complete(request, params=self.params)
            except ProviderError as error:
                self._settle(
                    usage_id,
                    CallRecord(
                        status="error",
                        latency_ms=error.latency_ms,
                        request_id=error.request_id,
                        error_type=error.error_type,
                        http_status=error.http_status,
                    ),
                )
                too_long = error.retry_after is not None and error.retry_after > MAX_RETRY_AFTER
                if not error.retryable or attempt == attempts or too_long:
                    raise CallFailed(error, attempt) from None
                self.sleep(backoff_delay(attempt, error.retry_after, self._rng))
                continue
            except BaseException as exc:
                self._settle(
                    usage_id,
                    CallRecord(
                        status="error", latency_ms=0, error_type=f"internal:{type(exc).__name__}"[:64]
                    ),
                )
                raise
            answer = interpret(result)
            self._settle(
                usage_id,
                CallRecord(
                    status="ok" if answer.problem_kind is None else "invalid",
                    latency_ms=result.latency_ms,
                    usage=result.usage,
                    request_id=result.request_id,
                    returned_model=result.returned_model,
                    finish_reason=result.finish_reason,
                    error_type=answer.problem_kind if result.usage_reported else "usage_missing",
                    http_status=result.http_status,
                    usage_reported=result.usage_reported,
                ),
            )
            return answer
        raise AssertionError("unreachable")  # pragma: no cover

    def generate_window(self, window: Window, *, count: int, question_types: list[str]) -> WindowOutcome:
        """Candidates of one window, after at most one repair call.

        A server that refuses ``response_format`` (HTTP 400) while the configuration lets the platform
        choose (``structuredOutput: auto``) is asked again, and from then on, with the schema in the prompt.
        """
        try:
            return self._generate_window(window, count=count, question_types=question_types)
        except CallFailed as failed:
            if not (
                failed.error.error_type == "bad_request"
                and self.structured
                and self.params.structured_output == "auto"
            ):
                raise
        log.warning("%s refused structured output; sending the schema in the prompt", self.config.name)
        self.structured = False
        return self._generate_window(window, count=count, question_types=question_types)

    def _generate_window(self, window: Window, *, count: int, question_types: list[str]) -> WindowOutcome:
        request = generation_request(
            window, count=count, question_types=question_types, structured=self.structured
        )
        outcome = WindowOutcome(window)
        answer = self.call(request, window_index=window.index)
        if answer.problem_kind is not None:
            outcome.request_ids.append(answer.result.request_id or "")
            repair = repair_request(
                request,
                previous=answer.result.content,
                problem=f"{answer.problem_kind}: {answer.problem}",
                truncated=answer.problem_kind == "truncated",
            )
            first_problem = f"{answer.problem_kind}: {answer.problem}"
            answer = self.call(repair, window_index=window.index)
            if answer.problem_kind is not None:
                outcome.failure = {
                    "window": window.index,
                    "first": first_problem,
                    "afterRepair": f"{answer.problem_kind}: {answer.problem}",
                    "content": (answer.result.content or "")[:2000],
                }
                return outcome
        outcome.request_ids.append(answer.result.request_id or "")
        outcome.questions, outcome.invalid = answer.questions, answer.invalid
        return outcome
