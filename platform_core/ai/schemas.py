"""JSONB shapes of AI configuration."""

from __future__ import annotations

from pydantic import Field

from platform_core.validation import JsonModel


class AIParams(JsonModel):
    """Sampling and output parameters passed to the provider."""

    temperature: float | None = Field(default=0.2, ge=0, le=2)
    top_p: float | None = Field(default=None, alias="topP", gt=0, le=1)
    max_output_tokens: int = Field(default=2048, alias="maxOutputTokens", gt=0, le=200_000)
    questions_per_window: int = Field(default=3, alias="questionsPerWindow", ge=1, le=20)
    question_types: list[str] = Field(
        default_factory=lambda: ["multiple_choice", "true_false", "short_answer"], alias="questionTypes"
    )
    window_seconds: float = Field(default=90.0, alias="windowSeconds", gt=5, le=3600)
    seed: int | None = None
    reasoning_effort: str | None = Field(default=None, alias="reasoningEffort", max_length=16)
