"""A question's final fraction from the raw fractions of its attempts (in attempt order)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from .result import EPSILON, clamp_fraction, is_number

__all__ = ["GRADING_METHODS", "final_fraction"]

GRADING_METHODS: tuple[str, ...] = ("penalized", "highest", "average", "first", "last")


def _real(value: object, name: str) -> float:
    if not is_number(value):
        raise ValueError(f"{name}: must be a number, got {type(value).__name__}")
    number = float(value)
    if math.isnan(number):
        raise ValueError(f"{name}: must be a number, got NaN")
    return number


def final_fraction(fractions: Sequence[float], *, method: str = "penalized", penalty: float = 1 / 3) -> float:
    """Combine attempt fractions into the question's final fraction in [0, 1].

    ``penalized`` (interactive quiz with several tries): the question ends at the first fully correct
    attempt, or at the last attempt given, and scores ``max(0, raw - tries_before_it * penalty)``; later
    attempts are ignored. ``highest``, ``average``, ``first`` and ``last`` apply no penalty. Attempt
    fractions outside [0, 1] are clamped first; no attempts score 0.
    """
    if method not in GRADING_METHODS:
        raise ValueError(f"unknown grading method {method!r} (expected one of: {', '.join(GRADING_METHODS)})")
    if isinstance(fractions, str | bytes):
        raise ValueError("fractions: must be a sequence of numbers")
    penalty = _real(penalty, "penalty")
    if not 0 <= penalty <= 1:
        raise ValueError("penalty: must be between 0 and 1")
    values = [min(1.0, max(0.0, _real(f, f"fractions[{i}]"))) for i, f in enumerate(fractions)]
    if not values:
        return 0.0
    if method == "penalized":
        end = next((i for i, f in enumerate(values) if f >= 1 - EPSILON), len(values) - 1)
        score = max(0.0, values[end] - end * penalty)
    elif method == "highest":
        score = max(values)
    elif method == "average":
        score = math.fsum(values) / len(values)
    elif method == "first":
        score = values[0]
    else:
        score = values[-1]
    return clamp_fraction(score)
