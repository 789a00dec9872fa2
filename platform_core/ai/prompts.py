"""Chat messages for generation and for the one repair call.

The transcript window is given between ``<transcript>`` tags as ``[mm:ss] text`` lines. With structured
output the schema travels in ``response_format``; otherwise (Anthropic's compatible endpoint ignores
``response_format``) the JSON schema is written into the system message and the answer validated here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from platform_core.ai.candidates import QuestionBatch
from platform_core.ai.windows import Window, clock

SYSTEM = """You write assessment questions for an interactive learning video. The learner has just \
watched the transcript window below; every question must be answerable from that window alone.
Rules:
- Use only these question types: {types}.
- source_quote must be copied verbatim from the transcript (without the [mm:ss] marks) and must support \
the answer; start_seconds and end_seconds locate it inside the window ({start}-{end} seconds).
- multiple_choice: 3 to 5 options of similar length, exactly one correct, plausible distractors; never \
"all of the above", "none of the above" or "both A and B".
- true_false: a statement in stem and "true" or "false" in answer; fill_in_blanks: one ____ in stem and \
the missing words in answer; short_answer: a question whose answer is a few words; ordering: 3 to 6 \
items in the correct order.
- Ask about different points; do not repeat a question in other words.
- Give a one-sentence rationale, a difficulty (easy, medium, hard) and a Bloom level (remember, \
understand, apply, analyze, evaluate, create).
Fill every field; use empty strings or lists for fields a type does not use."""

SCHEMA_IN_PROMPT = """
Answer with a single JSON object and nothing else (no prose, no code fence), matching this JSON schema:
{schema}"""

USER = """Write {count} question(s) about this part of the video ({start} to {end}).
<transcript>
{lines}
</transcript>"""

REPAIR = """Your previous answer could not be used: {problem}.
Answer again with only the corrected JSON object for the same request{shorter}."""


@dataclass(frozen=True)
class PromptRequest:
    """One generation request: the messages for a chat model, plus the structured facts an offline
    provider works from."""

    messages: list[dict[str, str]]
    window: Window
    count: int
    question_types: tuple[str, ...]
    structured: bool
    purpose: str = "generate"


@lru_cache(maxsize=1)
def schema_json() -> str:
    return json.dumps(QuestionBatch.model_json_schema(), separators=(",", ":"))


def generation_request(
    window: Window, *, count: int, question_types: list[str] | tuple[str, ...], structured: bool
) -> PromptRequest:
    system = SYSTEM.format(types=", ".join(question_types), start=f"{window.start:g}", end=f"{window.end:g}")
    if not structured:
        system += SCHEMA_IN_PROMPT.format(schema=schema_json())
    user = USER.format(
        count=count, start=clock(window.start), end=clock(window.end), lines=window.timed_lines()
    )
    return PromptRequest(
        messages=[{"role": "system", "content": system}, {"role": "user", "content": user}],
        window=window,
        count=count,
        question_types=tuple(question_types),
        structured=structured,
    )


def repair_request(
    original: PromptRequest, *, previous: str | None, problem: str, truncated: bool
) -> PromptRequest:
    """The original conversation, the unusable answer, and what was wrong with it."""
    shorter = ", with fewer and shorter questions so that it fits" if truncated else ""
    messages: list[dict[str, Any]] = list(original.messages)
    if previous:
        messages.append({"role": "assistant", "content": previous[:20_000]})
    messages.append({"role": "user", "content": REPAIR.format(problem=problem[:500], shorter=shorter)})
    count = max(1, original.count - 1) if truncated else original.count
    return PromptRequest(
        messages=messages,
        window=original.window,
        count=count,
        question_types=original.question_types,
        structured=original.structured,
        purpose="repair",
    )


def prompt_size_bound(request: PromptRequest) -> int:
    """An upper bound of the prompt's tokens: its UTF-8 bytes (a BPE token is at least one byte), the
    schema when it travels as ``response_format``, and a per-message allowance for the chat template."""
    size = sum(len(m["content"].encode()) + 16 for m in request.messages) + 16
    if request.structured:
        size += len(schema_json().encode()) + 64
    return size
