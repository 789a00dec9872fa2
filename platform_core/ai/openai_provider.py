"""The ``openai`` SDK (pinned major 3) behind the ``Provider`` interface, for every network provider.

One class serves OpenAI, Azure OpenAI (``AzureOpenAI``), any OpenAI-compatible server (vLLM, Ollama,
LiteLLM... through ``base_url``) and Anthropic's OpenAI-compatible endpoint. Structured output uses
``chat.completions.parse`` with the pydantic schema where the provider honours ``response_format``;
otherwise the schema is in the prompt and the answer is validated by the caller.

The SDK's own retries are switched off (``max_retries=0``): the caller retries, so that every attempt is a
ledger row and a budget reservation of its own. Each call goes through ``with_raw_response`` so the request
id, the HTTP status and the token usage are known even when the answer cannot be parsed.
"""

from __future__ import annotations

import json
import time
from typing import Any

import openai
from openai.types.chat import ChatCompletion
from pydantic import ValidationError

from platform_core.ai.candidates import QuestionBatch
from platform_core.ai.configs import ResolvedConfig
from platform_core.ai.ledger import CallUsage
from platform_core.ai.prompts import PromptRequest
from platform_core.ai.providers import CallResult, Provider, ProviderError
from platform_core.ai.schemas import AIParams
from platform_core.models import AIProvider

RETRYABLE_STATUS = {408, 409, 429}
REASONING_MODEL_PREFIXES = ("o1", "o3", "o4", "gpt-5")


def _retry_after(headers: Any) -> float | None:
    if headers is None:
        return None
    for name, divisor in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            return max(0.0, float(value) / divisor)
        except ValueError:
            pass
    try:
        from email.utils import parsedate_to_datetime

        moment = parsedate_to_datetime(headers.get("retry-after"))
        return max(0.0, moment.timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def _usage(raw: Any) -> tuple[CallUsage, bool]:
    if raw is None:
        return CallUsage(), False
    prompt_details = getattr(raw, "prompt_tokens_details", None)
    completion_details = getattr(raw, "completion_tokens_details", None)
    return (
        CallUsage(
            prompt_tokens=int(getattr(raw, "prompt_tokens", 0) or 0),
            cached_tokens=int(getattr(prompt_details, "cached_tokens", 0) or 0),
            completion_tokens=int(getattr(raw, "completion_tokens", 0) or 0),
            reasoning_tokens=int(getattr(completion_details, "reasoning_tokens", 0) or 0),
        ),
        True,
    )


def _status_error(exc: openai.APIStatusError, latency_ms: int) -> ProviderError:
    status = exc.status_code
    kinds = {
        400: "bad_request",
        401: "auth",
        403: "auth",
        404: "not_found",
        422: "bad_request",
        429: "rate_limit",
    }
    kind = "server_error" if status >= 500 else kinds.get(status, "http_error")
    return ProviderError(
        error_type=kind,
        message=str(exc.message)[:500],
        retryable=status >= 500 or status in RETRYABLE_STATUS,
        latency_ms=latency_ms,
        http_status=status,
        retry_after=_retry_after(exc.response.headers),
        request_id=exc.request_id,
    )


class OpenAIChatProvider(Provider):
    """Chat completions through the ``openai`` SDK for every network provider."""

    def __init__(self, config: ResolvedConfig, *, http_client: Any = None) -> None:
        self.kind, self.model = config.provider, config.model
        common: dict[str, Any] = {"timeout": config.timeout_seconds, "max_retries": 0}
        if http_client is not None:
            common["http_client"] = http_client
        if config.provider is AIProvider.AZURE_OPENAI:
            self.client: openai.OpenAI = openai.AzureOpenAI(
                azure_endpoint=config.base_url or "",
                api_version=config.api_version,
                api_key=config.api_key,
                **common,
            )
        else:
            self.client = openai.OpenAI(
                api_key=config.api_key or "not-needed", base_url=config.base_url or None, **common
            )
        self.reasoning_model = config.provider in (
            AIProvider.OPENAI,
            AIProvider.AZURE_OPENAI,
        ) and config.model.startswith(REASONING_MODEL_PREFIXES)
        # OpenAI's own models take max_completion_tokens; compatible servers know max_tokens.
        self.max_tokens_key = (
            "max_completion_tokens"
            if config.provider in (AIProvider.OPENAI, AIProvider.AZURE_OPENAI)
            else "max_tokens"
        )

    def close(self) -> None:
        self.client.close()

    def _arguments(self, request: PromptRequest, params: AIParams) -> dict[str, Any]:
        args: dict[str, Any] = {
            "model": self.model,
            "messages": request.messages,
            self.max_tokens_key: params.max_output_tokens,
        }
        sampling = not self.reasoning_model  # OpenAI's reasoning models refuse temperature and top_p
        for name, value in (
            ("temperature", params.temperature if sampling else None),
            ("top_p", params.top_p if sampling else None),
            ("seed", params.seed),
            ("reasoning_effort", params.reasoning_effort),
        ):
            if value is not None:
                args[name] = value
        return args

    def complete(self, request: PromptRequest, *, params: AIParams) -> CallResult:
        args = self._arguments(request, params)
        started = time.perf_counter()
        completions = self.client.chat.completions.with_raw_response
        try:
            if request.structured:
                raw = completions.parse(response_format=QuestionBatch, **args)
            else:
                raw = completions.create(**args)
        except openai.APITimeoutError as exc:
            raise ProviderError("timeout", str(exc), True, _ms(started)) from None
        except openai.APIConnectionError as exc:
            raise ProviderError("connection", str(exc), True, _ms(started)) from None
        except openai.APIStatusError as exc:
            raise _status_error(exc, _ms(started)) from None
        latency = _ms(started)
        request_id = raw.request_id
        try:
            payload = json.loads(raw.text)
            # The SDK's lenient construction, as it parses responses itself (compatible servers omit fields).
            completion = ChatCompletion.construct(**payload)
            choice = completion.choices[0]
            message = choice.message
            _ = (message.content, message.refusal, choice.finish_reason)
        except (ValueError, TypeError, AttributeError, IndexError, KeyError):
            raise ProviderError(
                "invalid_response",
                f"the server answered HTTP {raw.status_code} with a body that is not a chat completion",
                True,
                latency,
                raw.status_code,
                request_id=request_id,
            ) from None
        usage, reported = _usage(getattr(completion, "usage", None))
        result = CallResult(
            content=message.content,
            finish_reason=choice.finish_reason,
            usage=usage,
            latency_ms=latency,
            request_id=request_id or getattr(completion, "id", None),
            returned_model=getattr(completion, "model", None),
            http_status=raw.status_code,
            usage_reported=reported,
        )
        if message.refusal:
            result.problem_kind, result.problem = "refusal", str(message.refusal)[:500]
        elif choice.finish_reason == "length":
            result.problem_kind, result.problem = "truncated", "the answer was cut off (finish_reason=length)"
        elif choice.finish_reason == "content_filter":
            result.problem_kind, result.problem = (
                "content_filter",
                "the answer was withheld by a content filter",
            )
        elif request.structured:
            self._parse_structured(raw, result)
        return result

    @staticmethod
    def _parse_structured(raw: Any, result: CallResult) -> None:
        try:
            parsed = raw.parse().choices[0].message.parsed
        except (openai.LengthFinishReasonError, openai.ContentFilterFinishReasonError) as exc:
            result.problem_kind, result.problem = "truncated", str(exc)[:500]
            return
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            kind = "invalid_json" if first["type"] == "json_invalid" else "schema_violation"
            where = ".".join(str(p) for p in first["loc"])
            result.problem_kind, result.problem = kind, f"{where}: {first['msg']}"[:500]
            return
        except ValueError as exc:
            result.problem_kind, result.problem = "invalid_json", str(exc)[:500]
            return
        result.parsed = parsed


def _ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)
