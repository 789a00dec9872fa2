"""Letter grades from a percentage and a scale of inclusive lower bounds."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from .result import is_number

__all__ = ["DEFAULT_LETTER_SCALE", "letter_grade", "validate_scale"]

DEFAULT_LETTER_SCALE: tuple[tuple[str, float], ...] = (
    ("A", 93.0),
    ("A-", 90.0),
    ("B+", 87.0),
    ("B", 83.0),
    ("B-", 80.0),
    ("C+", 77.0),
    ("C", 73.0),
    ("C-", 70.0),
    ("D+", 67.0),
    ("D", 60.0),
    ("F", 0.0),
)

# A percentage computed as earned / possible * 100 may land a hair under a bound it equals on paper
# (e.g. 92.99999999999999 for 93); such values get the higher letter. 92.99 stays below 93.
_BOUND_TOLERANCE = 1e-9

Scale = Sequence[tuple[str, float]] | Mapping[str, float]


def validate_scale(scale: Scale) -> tuple[tuple[str, float], ...]:
    """Check a scale and return it sorted by descending lower bound; raises ``ValueError`` naming the entry.

    A scale is a mapping letter -> lower bound or a sequence of (letter, lower bound); letters are
    non-empty and unique, bounds are unique numbers in [0, 100], and one bound must be 0 so that every
    percentage gets a letter.
    """
    if isinstance(scale, Mapping):
        entries = list(scale.items())
    elif isinstance(scale, Sequence) and not isinstance(scale, str | bytes):
        entries = []
        for index, entry in enumerate(scale):
            if not isinstance(entry, Sequence) or isinstance(entry, str | bytes) or len(entry) != 2:
                raise ValueError(f"scale[{index}]: must be a (letter, lower bound) pair")
            entries.append((entry[0], entry[1]))
    else:
        raise ValueError("scale: must be a mapping or a sequence of (letter, lower bound) pairs")
    if not entries:
        raise ValueError("scale: must not be empty")
    letters: set[str] = set()
    bounds: set[float] = set()
    for letter, bound in entries:
        if not isinstance(letter, str) or not letter.strip():
            raise ValueError(f"scale: letter {letter!r} must be a non-empty string")
        if not is_number(bound) or not 0 <= float(bound) <= 100:
            raise ValueError(f"scale[{letter}]: lower bound must be a number between 0 and 100")
        if letter in letters:
            raise ValueError(f"scale[{letter}]: duplicate letter")
        if float(bound) in bounds:
            raise ValueError(f"scale[{letter}]: duplicate lower bound {float(bound):g}")
        letters.add(letter)
        bounds.add(float(bound))
    if 0.0 not in bounds:
        raise ValueError("scale: must include a letter with lower bound 0")
    return tuple(sorted(((letter, float(bound)) for letter, bound in entries), key=lambda e: -e[1]))


def letter_grade(percentage: float, scale: Scale | None = None) -> str:
    """The letter whose inclusive lower bound is the highest one not above ``percentage``.

    ``letter_grade(92.99) == "A-"``, ``letter_grade(93) == "A"``. Percentages are clamped to [0, 100];
    NaN raises ``ValueError``.
    """
    if not is_number(percentage):
        raise ValueError(f"percentage: must be a number, got {type(percentage).__name__}")
    value = float(percentage)
    if math.isnan(value):
        raise ValueError("percentage: must be a number, got NaN")
    value = min(100.0, max(0.0, value))
    entries = DEFAULT_LETTER_SCALE if scale is None else validate_scale(scale)
    for letter, bound in entries:
        if value >= bound - _BOUND_TOLERANCE:
            return letter
    return entries[-1][0]  # unreachable: a validated scale has a 0 bound
