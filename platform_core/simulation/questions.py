"""Questions of all seven types built from a topic's material, in the shapes QUESTIONS.md defines."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from typing import Any, Final

from platform_core.simulation.topics import Topic

QUESTION_TYPES: Final = (
    "multiple_choice",
    "true_false",
    "short_answer",
    "numeric",
    "matching",
    "ordering",
    "fill_in_blanks",
)
#: How hard each type tends to be for the simulated learners (0 easy .. 1 hard).
BASE_DIFFICULTY: Final = {
    "true_false": 0.25,
    "multiple_choice": 0.4,
    "matching": 0.5,
    "ordering": 0.55,
    "fill_in_blanks": 0.55,
    "short_answer": 0.6,
    "numeric": 0.65,
}
ORDERING_MODES: Final = ("absolute_position", "relative_next_include_last", "longest_ordered_subset")
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


@dataclass(frozen=True)
class BuiltQuestion:
    prompt: str
    data: dict[str, Any]
    explanation: str | None
    points: float
    difficulty: float


def _next(counters: dict[str, int], kind: str, size: int) -> int:
    index = counters.get(kind, 0)
    counters[kind] = index + 1
    return index % size


def build_question(rng: random.Random, topic: Topic, kind: str, counters: dict[str, int]) -> BuiltQuestion:
    """A question of type ``kind`` about ``topic``; ``counters`` rotates through the topic's material so a
    lesson does not repeat an item before it has used the others."""
    difficulty = BASE_DIFFICULTY[kind]
    if kind == "multiple_choice":
        item = topic.choices[_next(counters, kind, len(topic.choices))]
        texts = [(t, True) for t in item.correct] + [(t, False) for t in item.wrong]
        rng.shuffle(texts)
        options = [
            {"id": "abcdefgh"[i], "text": text, "isCorrect": right}
            | ({} if right else {"feedback": "Not quite: look at this part of the video again."})
            for i, (text, right) in enumerate(texts)
        ]
        data: dict[str, Any] = {"options": options, "shuffle": True}
        if len(item.correct) > 1:
            data["multipleAnswers"] = True
            difficulty += 0.1
        return BuiltQuestion(item.prompt, data, f"The answer: {', '.join(item.correct)}.", 1.0, difficulty)
    if kind == "true_false":
        statement, truth = topic.statements[_next(counters, kind, len(topic.statements))]
        explanation = "This statement is true." if truth else "This statement is false."
        return BuiltQuestion(
            f"True or false: {statement}", {"correctAnswer": truth}, explanation, 1.0, difficulty
        )
    if kind == "short_answer":
        prompt, answers = topic.short[_next(counters, kind, len(topic.short))]
        return BuiltQuestion(
            prompt,
            {"acceptedAnswers": list(answers), "caseSensitive": False},
            f"Answer: {answers[-1]}.",
            1.0,
            difficulty,
        )
    if kind == "numeric":
        fact = topic.numeric[_next(counters, kind, len(topic.numeric))]
        if fact.unit is None:
            data = {"answer": fact.value, "tolerance": fact.tolerance}
        else:
            units = [{"unit": fact.unit, "multiplier": 1.0}] + [
                {"unit": unit, "multiplier": multiplier} for unit, multiplier in fact.alternatives
            ]
            data = {
                "answers": [{"value": fact.value, "tolerance": fact.tolerance}],
                "units": units,
                "unitPenalty": 0.25,
            }
        unit = f" {fact.unit}" if fact.unit else ""
        return BuiltQuestion(fact.prompt, data, f"Answer: {fact.value:g}{unit}.", 1.0, difficulty)
    if kind == "matching":
        pairs = [{"id": str(i + 1), "prompt": p, "answer": a} for i, (p, a) in enumerate(topic.pairs)]
        data = {"pairs": pairs, "shuffle": True}
        return BuiltQuestion(f"{topic.title}: match each term with its meaning.", data, None, 2.0, difficulty)
    if kind == "ordering":
        items = [{"id": f"s{i + 1}", "text": text} for i, text in enumerate(topic.order)]
        mode = rng.choice(ORDERING_MODES)
        explanation = "Correct order: " + " → ".join(topic.order) + "."
        return BuiltQuestion(
            topic.order_prompt, {"items": items, "gradingMode": mode}, explanation, 2.0, difficulty
        )
    if kind == "fill_in_blanks":
        text, answer = topic.cloze[_next(counters, kind, len(topic.cloze))]
        blank: dict[str, Any] = {"id": "b"}
        if _NUMBER.match(answer):
            blank["numeric"] = {"answer": float(answer)}
        else:
            blank["acceptedAnswers"] = [answer]
        return BuiltQuestion(
            "Fill in the blank.", {"text": text, "blanks": [blank]}, f"Answer: {answer}.", 1.0, difficulty
        )
    raise ValueError(f"unknown question type {kind!r}")
