"""The result of grading one response."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal
from numbers import Real
from typing import Any

__all__ = ["EPSILON", "GradeResult", "Outcome", "clamp_fraction", "is_number"]

#: Fractions within this distance of 0 or 1 are snapped to it, so float noise (three ticks worth 1/3
#: each) can never turn a right answer into 0.9999999999999999.
EPSILON = 1e-9


def is_number(value: object) -> bool:
    """A real number, booleans excluded; ``Decimal`` counts (psycopg returns NUMERIC columns as Decimal)."""
    return isinstance(value, Real | Decimal) and not isinstance(value, bool)


def clamp_fraction(value: float) -> float:
    """Clamp to [0, 1] and snap values within :data:`EPSILON` of either end."""
    if math.isnan(value):
        return 0.0
    if value <= EPSILON:
        return 0.0
    if value >= 1 - EPSILON:
        return 1.0
    return value


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a type's grader returns; the engine adds points."""

    fraction: float
    feedback: str
    details: dict[str, Any]


@dataclass(frozen=True, slots=True)
class GradeResult:
    """A graded response.

    ``fraction`` is in [0, 1]; ``points`` = ``fraction * max_points``; ``feedback`` is for the learner;
    ``details`` is machine-readable (matched entry, per-item or per-blank results).
    """

    fraction: float
    is_correct: bool
    points: float
    max_points: float
    feedback: str
    details: dict[str, Any] = field(default_factory=dict)
