"""numeric: tolerance intervals, wildcard answers and units.

Intervals are inclusive and widened by a tiny margin, 1e-9 of the interval's largest magnitude or width,
so that values such as 6.3 in 7 ± 10% are not lost to float rounding. The absolute term is only 1e-300
(it covers subnormal rounding): a larger one such as 1e-12 would swamp tiny constants (an answer of
1.6e-19 would accept 0). The first answer whose interval holds wins.

Units: the value converted by its unit (value / multiplier) is tried first; if that matches nothing, or
the unit is missing or unknown, the number as written is tried and, if it matches, keeps
``1 - unitPenalty`` of the fraction earned (no penalty when ``unitsRequired`` is false; the feedback still
names the unit problem). A JSON number response has no unit. When the question defines no units at all,
trailing text after the number makes the response unreadable (scores 0 with a reason), as Moodle does for
plain numerical questions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import InvalidResponse
from .numbers import NumberParseError, format_number, parse_number
from .result import Outcome
from .text import collapse

if TYPE_CHECKING:
    from .schemas import NumericAnswer, NumericSpec

__all__ = ["Interval", "NumericGrader", "interval_for"]

_RELATIVE_MARGIN = 1e-9
_ABSOLUTE_MARGIN = 1e-300


@dataclass(frozen=True, slots=True)
class Interval:
    low: float
    high: float
    fraction: float
    feedback: str | None

    def holds(self, value: float) -> bool:
        return self.low <= value <= self.high


def interval_for(answer: NumericAnswer) -> Interval:
    """The inclusive interval an answer accepts, margin included; ``"*"`` accepts every number."""
    if answer.value == "*":
        return Interval(-math.inf, math.inf, answer.fraction, answer.feedback)
    value, tolerance = float(answer.value), answer.tolerance
    if answer.tolerance_type == "absolute":
        low, high = value - tolerance, value + tolerance
    elif answer.tolerance_type == "relative":
        low, high = value - tolerance * abs(value), value + tolerance * abs(value)
    else:  # geometric: v/(1+t) .. v(1+t), bounds swapped for negative v
        low, high = value / (1 + tolerance), value * (1 + tolerance)
        if value < 0:
            low, high = high, low
    margin = _RELATIVE_MARGIN * max(abs(low), abs(high), high - low) + _ABSOLUTE_MARGIN
    return Interval(low - margin, high + margin, answer.fraction, answer.feedback)


def _answer_sentence(index: int, fraction: float, feedback: str | None, penalty_note: str = "") -> str:
    if fraction >= 1:
        sentence = f"Correct: your answer is within accepted answer {index + 1}."
    elif fraction > 0:
        sentence = f"Partly right: your answer is within accepted answer {index + 1}, worth {fraction:.0%}."
    else:
        sentence = "Your answer is wrong."
    return " ".join(s for s in (sentence, penalty_note, feedback or "") if s)


class NumericGrader:
    """Grades one numeric question or one numeric blank."""

    def __init__(self, spec: NumericSpec) -> None:
        self.intervals = tuple(interval_for(a) for a in spec.effective_answers)
        self.units = {collapse(u.unit): u.multiplier for u in spec.units}
        self.unit_penalty = spec.unit_penalty if spec.units_required else 0.0
        self.units_required = spec.units_required

    def _match(self, value: float) -> int | None:
        for index, interval in enumerate(self.intervals):
            if interval.holds(value):
                return index
        return None

    def grade(self, response: Any, field: str = "response") -> Outcome:
        if isinstance(response, bool):
            raise InvalidResponse(field, "expected a number or text, got a boolean")
        if isinstance(response, int | float):
            value, unit, shown = float(response), None, format_number(float(response))
            if not math.isfinite(value):
                return Outcome(0.0, "Your answer is not a finite number.", {"value": None, "unit": None})
        elif isinstance(response, str):
            try:
                parsed = parse_number(response)
            except NumberParseError as exc:
                return Outcome(0.0, str(exc), {"value": None, "unit": None, "matched_index": None})
            value, unit, shown = parsed.value, parsed.unit, collapse(response)
        else:
            raise InvalidResponse(field, f"expected a number or text, got {type(response).__name__}")
        if not self.units:
            return self._grade_unitless(value, unit, shown)
        return self._grade_with_units(value, unit)

    def _grade_unitless(self, value: float, unit: str | None, shown: str) -> Outcome:
        details: dict[str, Any] = {"value": value, "unit": unit, "matched_index": None}
        if unit is not None:
            details["value"] = None
            return Outcome(
                0.0, f"'{shown}' could not be read as a number: this question expects no units.", details
            )
        index = self._match(value)
        if index is None:
            sentence = f"Your answer {format_number(value)} is not within any accepted range."
            return Outcome(0.0, sentence, details)
        return self._matched(index, details)

    def _matched(self, index: int, details: dict[str, Any]) -> Outcome:
        interval = self.intervals[index]
        details["matched_index"] = index
        sentence = _answer_sentence(index, interval.fraction, interval.feedback)
        return Outcome(interval.fraction, sentence, details)

    def _grade_with_units(self, value: float, unit: str | None) -> Outcome:
        expected = ", ".join(self.units)
        details: dict[str, Any] = {
            "value": value,
            "unit": unit,
            "converted": None,
            "matched_index": None,
            "unit_status": "missing" if unit is None else "unknown",
            "unit_penalty_applied": 0.0,
        }
        if unit is not None and unit in self.units:
            converted = value / self.units[unit]
            details.update(converted=converted, unit_status="ok")
            index = self._match(converted)
            if index is not None:
                return self._matched(index, details)
            details["unit_status"] = "wrong"
        if unit is None:
            problem = f"no unit was given (expected one of: {expected})"
        elif details["unit_status"] == "unknown":
            problem = f"the unit '{unit}' is not one of: {expected}"
        else:
            problem = f"the unit '{unit}' is wrong"
        index = self._match(value)
        if index is None:
            sentence = "Your answer is not within any accepted range."
            if unit is None or details["unit_status"] == "unknown":
                sentence = f"{sentence} Also, {problem}."
            return Outcome(0.0, sentence, details)
        interval = self.intervals[index]
        details["matched_index"] = index
        if self.unit_penalty > 0:
            note = f"The number is right but {problem}: {self.unit_penalty:.0%} of the mark is lost."
        elif self.units_required:
            note = f"The number is right but {problem}."
        else:
            note = f"The number is right; {problem}, but units are optional here."
        fraction = interval.fraction * (1 - self.unit_penalty)
        details["unit_penalty_applied"] = self.unit_penalty
        return Outcome(fraction, _answer_sentence(index, fraction, interval.feedback, note), details)
