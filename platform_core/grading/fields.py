"""Scalar field types shared by the question-data models (strict, finite, with readable reasons)."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Annotated, Any, Literal, get_args

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Strict
from pydantic.alias_generators import to_camel

__all__ = [
    "FULL_MARKS",
    "ORDERING_MODES",
    "PLACEHOLDER",
    "TOLERANCE_TYPES",
    "Flag",
    "Fraction",
    "Id",
    "NonEmptyText",
    "NonNegative",
    "NumericValue",
    "OptionFraction",
    "OrderingMode",
    "Positive",
    "PositiveInt",
    "Text",
    "ToleranceType",
]

OrderingMode = Literal[
    "all_or_nothing",
    "absolute_position",
    "relative_next_exclude_last",
    "relative_next_include_last",
    "relative_one_previous_and_next",
    "relative_all_previous_and_next",
    "longest_ordered_subset",
    "longest_contiguous_subset",
    "relative_to_correct",
]
ToleranceType = Literal["absolute", "relative", "geometric"]
ORDERING_MODES: tuple[str, ...] = get_args(OrderingMode)
TOLERANCE_TYPES: tuple[str, ...] = get_args(ToleranceType)
FULL_MARKS = 1 - 1e-9
PLACEHOLDER = re.compile(r"\{([^{}\s]+)\}")


def _range(low: float | None, high: float | None, reason: str) -> Callable[[float], float]:
    def check(value: float) -> float:
        if (low is not None and value < low) or (high is not None and value > high):
            raise ValueError(reason)
        return value

    return check


def _positive(value: float) -> float:
    if value <= 0:
        raise ValueError("must be greater than 0")
    return value


def _coerce_id(value: Any) -> Any:
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value


def _numeric_value(value: Any) -> Any:
    """A numeric answer's value: a finite number, a numeric string, or ``"*"`` (any number)."""
    if isinstance(value, str):
        if value.strip() == "*":
            return "*"
        try:
            value = float(value)
        except ValueError:
            raise ValueError("must be a number or '*'") from None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("must be a number or '*'")
    if not math.isfinite(value):
        raise ValueError("must be a finite number")
    return float(value)


Text = Annotated[str, Strict()]
NonEmptyText = Annotated[str, Strict(), AfterValidator(_not_blank)]
Flag = Annotated[bool, Strict()]
Number = Annotated[float, Strict()]
Id = Annotated[str, BeforeValidator(_coerce_id), Strict(), AfterValidator(_not_blank)]
OptionFraction = Annotated[Number, AfterValidator(_range(-1, 1, "must be between -1 and 1"))]
Fraction = Annotated[Number, AfterValidator(_range(0, 1, "must be between 0 and 1"))]
NonNegative = Annotated[Number, AfterValidator(_range(0, None, "must not be negative"))]
Positive = Annotated[Number, AfterValidator(_positive)]
PositiveInt = Annotated[int, Strict(), AfterValidator(_range(1, None, "must be at least 1"))]
NumericValue = Annotated[float | Literal["*"], BeforeValidator(_numeric_value)]


class Model(BaseModel):
    """Base: camelCase aliases, snake_case accepted, unknown keys ignored, immutable, finite floats."""

    model_config = ConfigDict(
        populate_by_name=True, alias_generator=to_camel, extra="ignore", frozen=True, allow_inf_nan=False
    )
