"""``grade_response``: validate the question data, build (and cache) a grader, grade one response.

Validated-and-compiled graders are cached by (type, pickled ``data``), so grading many responses to the
same question validates its data once. Pickling is the cheapest faithful content key (about 2 µs for a
typical question, 5x faster than JSON); it keeps ``True``, ``1`` and ``1.0`` apart. The key is the data's
content, so a caller that mutates its dict afterwards simply gets a new entry; data that cannot be pickled
is validated every time. The cache is bounded (oldest entries evicted first) and thread-safe.
"""

from __future__ import annotations

import math
import pickle
import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any, Protocol

from .choice import MultipleChoiceGrader, TrueFalseGrader
from .errors import InvalidQuestionData
from .fill_in_blanks import FillInBlanksGrader
from .matching import MatchingGrader
from .numeric import NumericGrader
from .ordering import OrderingGrader
from .result import GradeResult, Outcome, clamp_fraction, is_number
from .short_answer import ShortAnswerGrader
from .validation import validate_question_data

__all__ = ["Grader", "clear_cache", "compile_question", "grade_response"]


class Grader(Protocol):
    def grade(self, response: Any) -> Outcome: ...


_GRADERS: dict[str, Any] = {
    "multiple_choice": MultipleChoiceGrader,
    "true_false": TrueFalseGrader,
    "short_answer": ShortAnswerGrader,
    "numeric": NumericGrader,
    "matching": MatchingGrader,
    "ordering": OrderingGrader,
    "fill_in_blanks": FillInBlanksGrader,
}


def _build(question_type: str, data: Mapping[str, Any]) -> Grader:
    model = validate_question_data(question_type, data)
    grader: Grader = _GRADERS[question_type](model)
    return grader


_CACHE_SIZE = 4096
_cache: OrderedDict[tuple[str, bytes], Grader] = OrderedDict()
_cache_lock = threading.Lock()


def _cache_key(question_type: Any, data: Any) -> tuple[str, bytes] | None:
    if not isinstance(question_type, str) or not isinstance(data, Mapping):
        return None
    try:
        return question_type, pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # unpicklable content: grade it uncached
        return None


def compile_question(question_type: str, data: Mapping[str, Any]) -> Grader:
    """A grader for this question (cached); raises :class:`InvalidQuestionData` when data is invalid."""
    key = _cache_key(question_type, data)
    if key is None:
        return _build(question_type, data)
    grader = _cache.get(key)
    if grader is None:
        grader = _build(question_type, data)  # invalid data raises here and is never cached
        with _cache_lock:
            _cache[key] = grader
            while len(_cache) > _CACHE_SIZE:
                _cache.popitem(last=False)
    return grader


def clear_cache() -> None:
    """Forget every compiled grader (for benchmarks and tests)."""
    with _cache_lock:
        _cache.clear()


def _max_points(data: Mapping[str, Any], points: float | None) -> float:
    field, value = ("points", points) if points is not None else ("points", data.get("points"))
    if value is None:
        return 1.0
    if not is_number(value) or not math.isfinite(value) or value < 0:
        raise InvalidQuestionData(field, "must be a non-negative finite number")
    return float(value)


def grade_response(
    question_type: str, data: Mapping[str, Any], response: Any, *, points: float | None = None
) -> GradeResult:
    """Grade ``response`` to a question of ``question_type`` whose JSONB data is ``data``.

    ``points`` overrides ``data["points"]`` (default 1). Raises :class:`InvalidQuestionData` for an unknown
    type, malformed or unanswerable data, and :class:`InvalidResponse` for a malformed response. A
    well-formed wrong answer is not an error: it scores 0 with feedback saying why.
    """
    grader = compile_question(question_type, data)
    max_points = _max_points(data, points)
    outcome = grader.grade(response)
    fraction = clamp_fraction(outcome.fraction)
    return GradeResult(
        fraction=fraction,
        is_correct=fraction == 1.0,
        points=fraction * max_points,
        max_points=max_points,
        feedback=outcome.feedback,
        details=outcome.details,
    )
