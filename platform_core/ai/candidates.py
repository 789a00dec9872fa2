"""What a model must return (a pydantic schema used for structured output), reading it leniently, and
turning one generated question into a question ``type``/``prompt``/``data`` that the grader accepts.

The schema is flat on purpose (every field present for every type, unused lists empty) because strict
structured output needs every property required and no unions.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from platform_core.grading import InvalidQuestionData, validate_question_data

BLANK = re.compile(r"_{3,}|\{blank\}|\[blank\]", re.IGNORECASE)
TYPE_ALIASES = {
    "mcq": "multiple_choice",
    "multiple-choice": "multiple_choice",
    "multiplechoice": "multiple_choice",
    "single_choice": "multiple_choice",
    "true/false": "true_false",
    "true-false": "true_false",
    "truefalse": "true_false",
    "tf": "true_false",
    "boolean": "true_false",
    "short": "short_answer",
    "short-answer": "short_answer",
    "fill_in_the_blank": "fill_in_blanks",
    "fill_in_the_blanks": "fill_in_blanks",
    "fill_in_blank": "fill_in_blanks",
    "cloze": "fill_in_blanks",
    "order": "ordering",
    "sequence": "ordering",
}
CAMEL_KEYS = {
    "sourceQuote": "source_quote",
    "quote": "source_quote",
    "startSeconds": "start_seconds",
    "endSeconds": "end_seconds",
    "start": "start_seconds",
    "end": "end_seconds",
    "bloomLevel": "bloom_level",
    "bloom": "bloom_level",
    "acceptedAnswers": "accepted_answers",
    "question": "stem",
    "prompt": "stem",
    "explanation": "rationale",
}


class GeneratedOption(BaseModel):
    model_config = ConfigDict(extra="ignore")

    text: str = Field(description="The option text, similar in length to the other options.")
    correct: bool = Field(description="True for the single correct option.")


class GeneratedQuestion(BaseModel):
    model_config = ConfigDict(extra="ignore")

    type: Literal["multiple_choice", "true_false", "short_answer", "fill_in_blanks", "ordering"]
    stem: str = Field(
        description="The question. true_false: a statement. fill_in_blanks: a sentence with the missing "
        "words replaced by ____. ordering: the instruction, e.g. 'Put these steps in order'."
    )
    options: list[GeneratedOption] = Field(
        description="multiple_choice only: 3 to 5 options, exactly one correct; empty for other types."
    )
    answer: str = Field(
        description="true_false: 'true' or 'false'; short_answer and fill_in_blanks: the expected answer; "
        "otherwise empty."
    )
    accepted_answers: list[str] = Field(
        description="short_answer and fill_in_blanks: other accepted spellings or synonyms; may be empty."
    )
    items: list[str] = Field(description="ordering only: 3 to 6 items in the correct order; empty otherwise.")
    rationale: str = Field(description="Why the answer is right, citing the transcript.")
    source_quote: str = Field(
        description="A verbatim quote from the transcript window supporting the answer."
    )
    start_seconds: float = Field(description="Where the quoted passage starts in the video, in seconds.")
    end_seconds: float = Field(description="Where the quoted passage ends in the video, in seconds.")
    difficulty: Literal["easy", "medium", "hard"]
    bloom_level: Literal["remember", "understand", "apply", "analyze", "evaluate", "create"]


class QuestionBatch(BaseModel):
    """The whole answer of one generation call."""

    questions: list[GeneratedQuestion]


class OutputInvalid(ValueError):
    """A model's answer that cannot be read at all (``kind``: invalid_json or schema_violation)."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind, self.detail = kind, detail


class CandidateRejected(ValueError):
    """One candidate failed a gate; ``gate`` names the check."""

    def __init__(self, gate: str, reason: str) -> None:
        super().__init__(f"{gate}: {reason}")
        self.gate, self.reason = gate, reason


@dataclass
class Converted:
    type: str
    prompt: str
    data: dict[str, Any]
    stem_key: str  # the text near-duplicates are judged on


def _strip_fences(content: str) -> str:
    text = content.strip()
    fence = re.match(r"^```(?:json)?\s*(.*?)\s*```$", text, re.DOTALL)
    if fence:
        return fence.group(1)
    starts = [i for i in (text.find("{"), text.find("[")) if i >= 0]
    return text[min(starts) :] if starts else text


def _normalise_question(raw: Any) -> Any:
    if not isinstance(raw, dict):
        return raw
    item = {CAMEL_KEYS.get(key, key): value for key, value in raw.items()}
    kind = str(item.get("type", "")).strip().lower().replace(" ", "_")
    item["type"] = TYPE_ALIASES.get(kind, kind)
    answer = item.get("answer", "")
    item["answer"] = (
        "" if answer is None else str(answer).lower() if isinstance(answer, bool) else str(answer)
    )
    for key in ("options", "accepted_answers", "items"):
        if item.get(key) is None:
            item[key] = []
    item["options"] = [
        {"text": o, "correct": o == item["answer"]}
        if isinstance(o, str)
        else {**o, "correct": o.get("correct", o.get("isCorrect", o.get("is_correct", False)))}
        if isinstance(o, dict)
        else o
        for o in item["options"]
    ]
    item.setdefault("rationale", "")
    return item


def parse_batch(content: str | None) -> tuple[list[GeneratedQuestion], list[tuple[Any, str]]]:
    """Read a model's answer: the valid questions, and the invalid ones with the reason.

    Raises :class:`OutputInvalid` when the answer is not JSON or holds no question list at all, or when not
    one question in it is valid (both are worth a repair call).
    """
    if not content or not content.strip():
        raise OutputInvalid("invalid_json", "the answer is empty")
    try:
        payload = json.loads(_strip_fences(content))
    except json.JSONDecodeError as exc:
        raise OutputInvalid("invalid_json", f"not JSON ({exc.msg} at position {exc.pos})") from None
    if isinstance(payload, dict) and "questions" not in payload and ("stem" in payload or "type" in payload):
        payload = [payload]
    raw_questions = (
        payload
        if isinstance(payload, list)
        else payload.get("questions")
        if isinstance(payload, dict)
        else None
    )
    if not isinstance(raw_questions, list):
        raise OutputInvalid("schema_violation", "expected an object with a 'questions' list")
    valid, invalid = [], []
    for raw in raw_questions:
        try:
            valid.append(GeneratedQuestion.model_validate(_normalise_question(raw)))
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            where = ".".join(str(p) for p in first["loc"])
            invalid.append((raw, f"{where}: {first['msg']}" if where else first["msg"]))
    if not valid:
        reason = invalid[0][1] if invalid else "the questions list is empty"
        raise OutputInvalid("schema_violation", reason)
    return valid, invalid


def _answers(candidate: GeneratedQuestion) -> list[str]:
    answers = [candidate.answer, *candidate.accepted_answers]
    seen: dict[str, str] = {}
    for answer in answers:
        text = " ".join(answer.split())
        if text and text.casefold() not in seen:
            seen[text.casefold()] = text
    if not seen:
        raise CandidateRejected("answer", "no expected answer given")
    if any(len(a) > 120 for a in seen.values()):
        raise CandidateRejected("answer", "an expected answer is longer than 120 characters")
    return list(seen.values())


def convert(candidate: GeneratedQuestion, *, correct_position: int | None = None) -> Converted:
    """The question as stored; multiple-choice options are laid out with the correct one at
    ``correct_position`` (distractors keep their order). Raises :class:`CandidateRejected`."""
    stem = " ".join(candidate.stem.split())
    kind = candidate.type
    data: dict[str, Any]
    prompt, key = stem, stem
    if kind == "multiple_choice":
        correct = [o for o in candidate.options if o.correct]
        if len(correct) != 1:
            raise CandidateRejected("options", f"needs exactly one correct option, has {len(correct)}")
        distractors = [o.text.strip() for o in candidate.options if not o.correct]
        position = len(distractors) if correct_position is None else min(correct_position, len(distractors))
        texts = [*distractors[:position], correct[0].text.strip(), *distractors[position:]]
        data = {
            "options": [
                {"id": chr(ord("a") + i), "text": text, "isCorrect": i == position}
                for i, text in enumerate(texts)
            ]
        }
    elif kind == "true_false":
        answer = candidate.answer.strip().casefold()
        if answer not in ("true", "false", "yes", "no"):
            raise CandidateRejected("answer", f"true_false needs 'true' or 'false', got {candidate.answer!r}")
        data = {"correctAnswer": answer in ("true", "yes")}
    elif kind == "short_answer":
        data = {"acceptedAnswers": _answers(candidate), "caseSensitive": False}
    elif kind == "fill_in_blanks":
        blanks = BLANK.findall(stem)
        if len(blanks) != 1:
            raise CandidateRejected(
                "blank", f"needs exactly one blank (____) in the sentence, found {len(blanks)}"
            )
        text = BLANK.sub("{b1}", stem, count=1)
        data = {"text": text, "blanks": [{"id": "b1", "acceptedAnswers": _answers(candidate)}]}
        prompt, key = "Fill in the blank.", text
    else:  # ordering
        items = [" ".join(item.split()) for item in candidate.items if item.strip()]
        if not 3 <= len(items) <= 8:
            raise CandidateRejected("items", f"ordering needs 3 to 8 items, has {len(items)}")
        if len({item.casefold() for item in items}) != len(items):
            raise CandidateRejected("items", "ordering items are not unique")
        data = {"items": [{"id": f"s{i + 1}", "text": item} for i, item in enumerate(items)]}
    try:
        validate_question_data(kind, data)
    except InvalidQuestionData as exc:
        raise CandidateRejected("grading_validation", str(exc)) from None
    return Converted(kind, prompt, data, key)
