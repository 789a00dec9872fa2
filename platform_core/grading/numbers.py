"""Reading numbers the way learners type them.

Accepted: ``"3.14"``, ``"-3,14"`` (decimal comma when the number has no dot and exactly one comma),
``"1.2e3"``, ``".5"``, ``"314 cm"`` / ``"314cm"`` (a trailing unit), a Unicode minus sign. Refused (a
wrong answer with a reason, not an error): thousands separators such as ``"1,234.5"`` or ``"1,234,567"``,
more than one decimal separator, text that does not start with a number, and values that overflow.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from .text import collapse

__all__ = ["NumberParseError", "ParsedNumber", "format_number", "parse_number"]

# Sign, a run of digits and separators (checked below), an optional exponent. The exponent needs digits,
# so "5eV" reads as 5 with unit "eV".
_NUMBER = re.compile(r"([+-]?)([0-9.,]+)(?:[eE]([+-]?[0-9]+))?")
_MANTISSA = re.compile(r"[0-9]+(?:\.[0-9]*)?|\.[0-9]+")
_MINUS_SIGNS = str.maketrans({"\u2212": "-", "\u2012": "-", "\u2013": "-", "\ufe63": "-", "\uff0d": "-"})


class NumberParseError(ValueError):
    """The text is not a number; ``str()`` is a sentence fit for learner feedback."""


@dataclass(frozen=True, slots=True)
class ParsedNumber:
    value: float
    unit: str | None  # trailing text after the number, white space collapsed; None when absent


def parse_number(text: str) -> ParsedNumber:
    """Parse a number with an optional trailing unit, or raise :class:`NumberParseError`."""
    cleaned = collapse(text).translate(_MINUS_SIGNS)
    if not cleaned:
        raise NumberParseError("No answer was given.")
    match = _NUMBER.match(cleaned)
    if match is None:
        raise NumberParseError(f"'{cleaned}' could not be read as a number.")
    sign, mantissa, exponent = match.groups()
    separators = mantissa.count(".") + mantissa.count(",")
    if separators > 1:
        raise NumberParseError(
            f"'{cleaned}' could not be read as a number: "
            "use one decimal separator and no thousands separators."
        )
    mantissa = mantissa.replace(",", ".")
    if not _MANTISSA.fullmatch(mantissa):
        raise NumberParseError(f"'{cleaned}' could not be read as a number.")
    literal = sign + mantissa + (f"e{exponent}" if exponent is not None else "")
    value = float(literal)
    if not math.isfinite(value):
        raise NumberParseError(f"'{cleaned}' is too large to be read as a number.")
    rest = cleaned[match.end() :].strip()
    return ParsedNumber(value=value, unit=rest or None)


def format_number(value: float) -> str:
    """Short, exact-enough rendering for feedback: ``1.25``, ``1500``, ``1e-12``."""
    if value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return f"{value:.12g}"
