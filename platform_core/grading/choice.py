"""multiple_choice and true_false.

Option fractions: an explicit ``fraction`` always wins. Otherwise, with a single answer, ``isCorrect``
means 1 and its absence 0; with multiple answers, each correct option is worth 1/k and each incorrect one
-1/k (k = number of options with ``isCorrect``), so each wrong tick cancels a right one. ``isCorrect``
also drives the ``multipleAnswers`` default (more than one correct option); an explicit fraction only sets
that option's worth, so a Moodle-style single answer with a 50% option stays single-answer. Feedback calls
a chosen option wrong when it is worth nothing or less. Sums use ``math.fsum`` so the order of options or
of the learner's ticks can never change a grade through float rounding.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

from .errors import InvalidResponse
from .result import Outcome, clamp_fraction

if TYPE_CHECKING:
    from .schemas import MultipleChoiceData, TrueFalseData

__all__ = [
    "MultipleChoiceGrader",
    "TrueFalseGrader",
    "best_choice_score",
    "correct_option_count",
    "option_fractions",
]


class OptionLike(Protocol):
    @property
    def is_correct(self) -> bool: ...

    @property
    def fraction(self) -> float | None: ...


def correct_option_count(options: Sequence[OptionLike]) -> int:
    return sum(1 for option in options if option.is_correct)


def option_fractions(options: Sequence[OptionLike], multiple: bool) -> tuple[float, ...]:
    """The fraction each option is worth when chosen (explicit fraction, else the defaults above)."""
    if not multiple:
        return tuple(
            o.fraction if o.fraction is not None else (1.0 if o.is_correct else 0.0) for o in options
        )
    k = correct_option_count(options)
    unit = 1.0 / k if k else 0.0
    return tuple(o.fraction if o.fraction is not None else (unit if o.is_correct else -unit) for o in options)


def best_choice_score(options: Sequence[OptionLike], multiple: bool) -> float:
    """The best grade any response can earn (used to refuse unanswerable questions)."""
    fractions = option_fractions(options, multiple)
    if not fractions:
        return 0.0
    if not multiple:
        return clamp_fraction(max(fractions))
    return clamp_fraction(math.fsum(f for f in fractions if f > 0))


def response_id(value: Any, field: str, what: str) -> str:
    """An id in a response: a string, or an integer written as one."""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise InvalidResponse(field, f"expected {what} id (a string), got {type(value).__name__}")


def _percent(fraction: float) -> str:
    return f"{fraction * 100:.4g}%"


class MultipleChoiceGrader:
    def __init__(self, data: MultipleChoiceData) -> None:
        self.multiple = data.is_multiple
        self.options = {o.id: o for o in data.options}
        self.fractions = dict(zip(self.options, option_fractions(data.options, self.multiple), strict=True))
        self.correct = frozenset(o for o, f in self.fractions.items() if f > 0)

    def _known(self, option_id: str, field: str) -> str:
        if option_id not in self.options:
            raise InvalidResponse(field, f"unknown option id '{option_id}'")
        return option_id

    def grade(self, response: Any) -> Outcome:
        if self.multiple:
            return self._grade_multiple(response)
        if isinstance(response, list | tuple | set | frozenset):
            raise InvalidResponse("response", "this question takes one option id, not a list")
        chosen = self._known(response_id(response, "response", "an option"), "response")
        option = self.options[chosen]
        raw = self.fractions[chosen]
        fraction = clamp_fraction(raw)
        if fraction == 1.0:
            sentence = f"Correct: option '{chosen}' is right."
        elif fraction > 0:
            sentence = f"Option '{chosen}' is partly right ({_percent(fraction)})."
        else:
            sentence = f"Option '{chosen}' is wrong."
        if option.feedback:
            sentence = f"{sentence} {option.feedback}"
        details = {"selected": chosen, "option_fraction": raw, "multiple_answers": False}
        return Outcome(fraction, sentence, details)

    def _grade_multiple(self, response: Any) -> Outcome:
        if isinstance(response, str | int) and not isinstance(response, bool):
            response = [response]
        if not isinstance(response, list | tuple):
            raise InvalidResponse("response", "expected a list of option ids")
        chosen: list[str] = []
        for index, item in enumerate(response):
            field = f"response[{index}]"
            option_id = self._known(response_id(item, field, "an option"), field)
            if option_id in chosen:
                raise InvalidResponse(field, f"option '{option_id}' is chosen more than once")
            chosen.append(option_id)
        raw = math.fsum(self.fractions[o] for o in chosen)
        fraction = clamp_fraction(raw)
        wrong = sorted(o for o in chosen if o not in self.correct)
        missed = len(self.correct - set(chosen))
        if not chosen:
            sentences = ["No option was chosen."]
        elif fraction == 1.0 and not wrong:
            sentences = ["Correct: you chose all the right options and no wrong ones."]
        else:
            right = len(chosen) - len(wrong)
            if len(chosen) == 1:
                sentences = [f"Your choice '{chosen[0]}' is {'right' if right else 'wrong'}."]
            else:
                sentences = [f"{right} of your {len(chosen)} choices {'is' if right == 1 else 'are'} right."]
            if wrong and len(chosen) > 1:
                sentences.append(f"Wrong choices: {', '.join(wrong)}.")
        if missed and chosen:
            sentences.append(f"{missed} correct option{'s were' if missed > 1 else ' was'} not chosen.")
        sentences.extend(self.options[o].feedback or "" for o in sorted(chosen))
        details = {
            "selected": sorted(chosen),
            "wrong": wrong,
            "missed_count": missed,
            "raw_sum": raw,
            "multiple_answers": True,
        }
        return Outcome(fraction, " ".join(s for s in sentences if s), details)


_TRUTH = {"true": True, "false": False}


class TrueFalseGrader:
    def __init__(self, data: TrueFalseData) -> None:
        self.answer = data.correct_answer

    def grade(self, response: Any) -> Outcome:
        if isinstance(response, bool):
            given = response
        elif isinstance(response, str) and response.strip().lower() in _TRUTH:
            given = _TRUTH[response.strip().lower()]
        else:
            raise InvalidResponse("response", "expected true or false")
        word = "true" if given else "false"
        if given == self.answer:
            return Outcome(1.0, f"Correct: the statement is {word}.", {"selected": given})
        return Outcome(0.0, f"Incorrect: you answered {word}.", {"selected": given})
