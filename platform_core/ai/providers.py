"""Providers: a small interface (``Provider``), what a call returns (``CallResult``) or raises
(``ProviderError``), and ``make_provider``.

Implementations: ``openai_provider.OpenAIChatProvider`` (the official ``openai`` SDK, for OpenAI, Azure
OpenAI, OpenAI-compatible servers and Anthropic's compatible endpoint) and ``offline.OfflineProvider``.
They are imported on demand, so commands that make no call do not pay for importing the SDK.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from platform_core.ai.ledger import CallUsage
from platform_core.ai.prompts import PromptRequest
from platform_core.ai.schemas import AIParams
from platform_core.models import AIProvider

if TYPE_CHECKING:
    from platform_core.ai.candidates import QuestionBatch
    from platform_core.ai.configs import ResolvedConfig

STRUCTURED_BY_DEFAULT = {
    AIProvider.OPENAI: True,
    AIProvider.AZURE_OPENAI: True,
    AIProvider.OPENAI_COMPATIBLE: True,
    AIProvider.ANTHROPIC: False,  # its compatible endpoint ignores response_format
    AIProvider.OFFLINE: True,
}


@dataclass
class CallResult:
    """A completed HTTP exchange. ``problem_kind`` says why the answer is unusable as it stands
    (truncated, content_filter, refusal, invalid_json, schema_violation), None when it parsed."""

    content: str | None
    finish_reason: str | None
    usage: CallUsage
    latency_ms: int
    request_id: str | None = None
    returned_model: str | None = None
    http_status: int | None = 200
    parsed: QuestionBatch | None = None
    problem_kind: str | None = None
    problem: str | None = None
    usage_reported: bool = True


@dataclass
class ProviderError(Exception):
    """A call that produced no usable HTTP answer (or an error status)."""

    error_type: str
    message: str
    retryable: bool
    latency_ms: int = 0
    http_status: int | None = None
    retry_after: float | None = None
    request_id: str | None = None
    usage: CallUsage = field(default_factory=CallUsage)

    def __str__(self) -> str:
        status = f" (HTTP {self.http_status})" if self.http_status else ""
        return f"{self.error_type}{status}: {self.message}"


class Provider(ABC):
    """Something that answers a :class:`PromptRequest`."""

    kind: AIProvider
    model: str

    @abstractmethod
    def complete(self, request: PromptRequest, *, params: AIParams) -> CallResult: ...

    def supports_structured_output(self, params: AIParams) -> bool:
        if params.structured_output != "auto":
            return params.structured_output == "json_schema"
        return STRUCTURED_BY_DEFAULT[self.kind]

    def close(self) -> None:  # noqa: B027 - optional hook
        pass


def make_provider(config: ResolvedConfig) -> Provider:
    if config.provider is AIProvider.OFFLINE:
        from platform_core.ai.offline import OfflineProvider

        return OfflineProvider(model=config.model)
    from platform_core.ai.openai_provider import OpenAIChatProvider

    return OpenAIChatProvider(config)
