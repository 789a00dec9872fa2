"""Responses a learner gives: a fully correct one, or a plausible mistake (often partly right).

Mistakes look like real ones: a wrong option, a flipped statement, a misspelling, a number off by a factor
of ten or without its unit, two swapped matches, two neighbours swapped in an ordering, one wrong blank.
Every candidate is checked with the grading engine, so a "correct" response always earns full marks and a
"wrong" one never does, whatever the question's data.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from typing import Any

from platform_core.grading import grade_response

__all__ = ["respond"]

_GIVE_UP = "I don't know"


def _full_mark_text(entries: list[Any]) -> str:
    for entry in entries:
        text, fraction = (
            (entry, 1.0) if isinstance(entry, str) else (entry["text"], entry.get("fraction", 1.0))
        )
        if fraction >= 1:
            # A '*' wildcard may match nothing; '\*' is a literal asterisk.
            return text.replace("\\*", "\x00").replace("*", "").replace("\x00", "*").strip()
    raise ValueError("no full-mark entry")


def _misspell(rng: random.Random, word: str) -> str:
    if len(word) < 4:
        return word + rng.choice("aeiou")
    i = rng.randrange(1, len(word) - 1)
    return (
        word[:i] + word[i + 1 :] if rng.random() < 0.5 else word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    )


def _case(rng: random.Random, text: str, data: Mapping[str, Any]) -> str:
    if data.get("caseSensitive") or rng.random() < 0.6:
        return text
    return text.lower() if rng.random() < 0.7 else text.upper()


def _number_text(rng: random.Random, value: float) -> str:
    text = f"{value:g}"
    if "." in text and rng.random() < 0.15:
        text = text.replace(".", ",")  # a decimal comma
    return text


def _numeric_spec(data: Mapping[str, Any]) -> tuple[float, list[dict[str, Any]]]:
    answers = data.get("answers")
    first = next((a for a in answers if a.get("fraction", 1.0) >= 1), answers[0]) if answers else None
    value = float(first["value"] if first is not None else data["answer"])
    return value, list(data.get("units") or [])


# ------------------------------------------------------------------------------------------ correct
def _correct(rng: random.Random, kind: str, data: Mapping[str, Any]) -> Any:
    if kind == "multiple_choice":
        ids = [o["id"] for o in data["options"] if o.get("isCorrect")]
        multiple = data.get("multipleAnswers", len(ids) > 1)
        return rng.sample(ids, len(ids)) if multiple else ids[0]
    if kind == "true_false":
        return data["correctAnswer"]
    if kind == "short_answer":
        return _case(rng, _full_mark_text(data["acceptedAnswers"]), data)
    if kind == "numeric":
        value, units = _numeric_spec(data)
        if not units:
            return _number_text(rng, value) if rng.random() < 0.5 else value
        unit = rng.choice(units)
        return f"{_number_text(rng, value * float(unit.get('multiplier', 1.0)))} {unit['unit']}"
    if kind == "matching":
        return {p["id"]: p["answer"] for p in data["pairs"]}
    if kind == "ordering":
        return [item["id"] for item in data["items"]]
    if kind == "fill_in_blanks":
        filled: dict[str, str] = {}
        for blank in data["blanks"]:
            if "numeric" in blank:
                filled[blank["id"]] = _number_text(rng, _numeric_spec(blank["numeric"])[0])
            else:
                filled[blank["id"]] = _case(rng, _full_mark_text(blank["acceptedAnswers"]), blank)
        return filled
    raise ValueError(f"unknown question type {kind!r}")


# -------------------------------------------------------------------------------------------- wrong
def _wrong_choice(rng: random.Random, data: Mapping[str, Any]) -> Any:
    options = data["options"]
    right = [o["id"] for o in options if o.get("isCorrect")]
    wrong = [o["id"] for o in options if not o.get("isCorrect")]
    if not data.get("multipleAnswers", len(right) > 1):
        return rng.choice(wrong) if wrong else right[0]
    picked = rng.sample(right, max(1, len(right) - 1))
    if wrong and rng.random() < 0.6:
        picked.append(rng.choice(wrong))
    return picked


def _wrong_numeric(rng: random.Random, data: Mapping[str, Any]) -> Any:
    value, units = _numeric_spec(data)
    roll = rng.random()
    if units and data.get("unitsRequired", True) and roll < 0.35:
        return _number_text(rng, value)  # forgot the unit: partly right
    factor = rng.choice([10.0, 0.1, 2.0, 0.5])
    off = value * factor if value else rng.choice([1.0, -1.0, 3.0])
    if roll > 0.7:
        off = value + rng.choice([-1, 1]) * max(1.0, abs(value) * 0.2)
    text = _number_text(rng, round(off, 4))
    return f"{text} {units[0]['unit']}" if units else text


def _wrong(rng: random.Random, kind: str, data: Mapping[str, Any]) -> Any:
    if kind == "multiple_choice":
        return _wrong_choice(rng, data)
    if kind == "true_false":
        return not data["correctAnswer"]
    if kind == "short_answer":
        partial = [e for e in data["acceptedAnswers"] if isinstance(e, dict) and e.get("fraction", 1) < 1]
        if partial and rng.random() < 0.4:
            return rng.choice(partial)["text"]
        return _misspell(rng, _full_mark_text(data["acceptedAnswers"])) if rng.random() < 0.8 else _GIVE_UP
    if kind == "numeric":
        return _wrong_numeric(rng, data)
    if kind == "matching":
        answer = {p["id"]: p["answer"] for p in data["pairs"]}
        ids = list(answer)
        if len(ids) >= 2:
            a, b = rng.sample(ids, 2)
            answer[a], answer[b] = answer[b], answer[a]
        else:
            answer[ids[0]] = (data.get("distractors") or ["?"])[0]
        return answer
    if kind == "ordering":
        ids = [item["id"] for item in data["items"]]
        if len(ids) >= 2:
            i = rng.randrange(len(ids) - 1)
            ids[i], ids[i + 1] = ids[i + 1], ids[i]
            if rng.random() < 0.3 and len(ids) >= 4:
                ids.reverse()
        return ids
    if kind == "fill_in_blanks":
        filled = _correct(rng, kind, data)
        blank = rng.choice(list(filled))
        filled[blank] = _misspell(rng, filled[blank]) if rng.random() < 0.7 else ""
        return filled
    raise ValueError(f"unknown question type {kind!r}")


def respond(rng: random.Random, kind: str, data: Mapping[str, Any], *, correct: bool) -> Any:
    """A response to a question of type ``kind``: full marks when ``correct``, otherwise less than full."""
    make: Callable[[random.Random, str, Mapping[str, Any]], Any] = _correct if correct else _wrong
    for _ in range(8):
        response = make(rng, kind, data)
        fraction = grade_response(kind, data, response).fraction
        if (fraction >= 1.0) == correct:
            return response
    if correct:
        raise ValueError(f"cannot build a full-mark response for this {kind} question")
    fallback = {"true_false": not data.get("correctAnswer", True), "short_answer": _GIVE_UP}.get(kind)
    if fallback is not None:
        return fallback
    return make(rng, kind, data)
