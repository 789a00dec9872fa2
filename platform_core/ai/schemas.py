"""JSONB shapes of AI configuration and of the AI metadata stored on generated questions."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from platform_core.validation import JsonModel

#: Question types the generator can produce (a subset of QUESTIONS.md that a transcript can support).
GENERATABLE_TYPES = ("multiple_choice", "true_false", "short_answer", "fill_in_blanks", "ordering")
DIFFICULTIES = ("easy", "medium", "hard")
BLOOM_LEVELS = ("remember", "understand", "apply", "analyze", "evaluate", "create")


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
    max_windows: int = Field(default=8, alias="maxWindows", ge=1, le=200)
    # "auto": the provider's structured output when it has one (chat.completions.parse with the pydantic
    # schema), else the schema in the prompt; "json_schema" / "prompt" force one way.
    structured_output: Literal["auto", "json_schema", "prompt"] = Field(
        default="auto", alias="structuredOutput"
    )

    @field_validator("question_types")
    @classmethod
    def _known_types(cls, types: list[str]) -> list[str]:
        if not types:
            raise ValueError("must list at least one question type")
        unknown = [t for t in types if t not in GENERATABLE_TYPES]
        if unknown:
            raise ValueError(f"cannot generate {unknown}; choose from {', '.join(GENERATABLE_TYPES)}")
        return list(dict.fromkeys(types))


class AIQuestionMetadata(JsonModel):
    """``questions.ai_metadata`` of a generated question: provenance and what a reviewer needs to judge it."""

    rationale: str = Field(max_length=4000)
    source_quote: str = Field(alias="sourceQuote", min_length=1, max_length=4000)
    start_seconds: float = Field(alias="startSeconds", ge=0)
    end_seconds: float = Field(alias="endSeconds", ge=0)
    difficulty: Literal["easy", "medium", "hard"]
    bloom_level: Literal["remember", "understand", "apply", "analyze", "evaluate", "create"] = Field(
        alias="bloomLevel"
    )
    provider: str = Field(max_length=32)
    model: str = Field(max_length=128)
    config_name: str | None = Field(default=None, alias="configName", max_length=64)
    window_index: int = Field(alias="windowIndex", ge=0)
    window_start: float = Field(alias="windowStart", ge=0)
    window_end: float = Field(alias="windowEnd", ge=0)
    correct_position: int | None = Field(default=None, alias="correctPosition", ge=0)
    request_id: str | None = Field(default=None, alias="requestId", max_length=200)
