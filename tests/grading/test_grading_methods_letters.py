"""final_fraction and letter_grade."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from platform_core.grading import DEFAULT_LETTER_SCALE, GRADING_METHODS, final_fraction, letter_grade


@pytest.mark.parametrize(
    ("fractions", "method", "penalty", "expected"),
    [
        ([0.0, 0.0, 1.0], "penalized", 1 / 3, 1 / 3),  # 1 - 2 x 1/3
        ([0.5, 1.0], "penalized", 1 / 3, 2 / 3),  # 1 - 1/3 = 0.6667
        ([1.0], "penalized", 1 / 3, 1.0),
        ([1.0, 0.0], "penalized", 1 / 3, 1.0),  # ends at the first fully correct attempt
        ([0.0, 1.0, 0.0, 0.0], "penalized", 0.25, 0.75),
        ([0.0, 0.0, 0.0, 1.0], "penalized", 1 / 3, 0.0),  # 1 - 3 x 1/3 = 0
        ([0.0, 0.0, 0.0, 0.0, 1.0], "penalized", 1 / 3, 0.0),  # max(0, 1 - 4/3)
        ([0.5], "penalized", 1 / 3, 0.5),  # the last given attempt, no tries before it
        ([0.2, 0.9], "penalized", 1 / 3, 0.9 - 1 / 3),  # never fully correct: the last one, penalised
        ([0.9, 0.2], "penalized", 1 / 3, 0.0),  # max(0, 0.2 - 1/3)
        ([0.0, 1.0], "penalized", 0.0, 1.0),
        ([0.0, 1.0], "penalized", 1.0, 0.0),
        ([0.2, 0.8, 0.5], "highest", 1 / 3, 0.8),
        ([0.2, 0.8, 0.5], "average", 1 / 3, 0.5),
        ([0.2, 0.8, 0.5], "first", 1 / 3, 0.2),
        ([0.2, 0.8, 0.5], "last", 1 / 3, 0.5),
        ([0.0, 0.0, 1.0], "highest", 1 / 3, 1.0),  # no penalty outside "penalized"
        ([1 / 3, 1 / 3, 1 / 3], "average", 1 / 3, 1 / 3),
        ([-0.5, 1.5], "average", 1 / 3, 0.5),  # attempt fractions are clamped first
        ([1.5], "last", 1 / 3, 1.0),
        ([], "penalized", 1 / 3, 0.0),
        ([], "highest", 1 / 3, 0.0),
        ([], "average", 1 / 3, 0.0),
        ((0.0, 1.0), "penalized", 0.5, 0.5),  # any sequence
    ],
)
def test_final_fraction(fractions: Any, method: str, penalty: float, expected: float) -> None:
    result = final_fraction(fractions, method=method, penalty=penalty)
    assert result == pytest.approx(expected, abs=1e-12)
    assert 0.0 <= result <= 1.0


def test_final_fraction_defaults_are_penalized_one_third() -> None:
    assert final_fraction([0.0, 0.0, 1.0]) == pytest.approx(0.3333333333, abs=1e-9)
    assert round(final_fraction([0.5, 1]), 4) == 0.6667
    assert GRADING_METHODS == ("penalized", "highest", "average", "first", "last")


def test_unknown_method_is_named() -> None:
    with pytest.raises(ValueError, match="unknown grading method 'best'"):
        final_fraction([1.0], method="best")


@pytest.mark.parametrize(
    ("fractions", "penalty", "message"),
    [
        ([float("nan")], 1 / 3, r"fractions\[0\]: must be a number, got NaN"),
        ([0.5, "x"], 1 / 3, r"fractions\[1\]: must be a number"),
        ([True], 1 / 3, r"fractions\[0\]: must be a number"),
        ("abc", 1 / 3, "fractions: must be a sequence"),
        ([1.0], -0.1, "penalty: must be between 0 and 1"),
        ([1.0], 1.5, "penalty: must be between 0 and 1"),
        ([1.0], float("nan"), "penalty: must be a number"),
    ],
)
def test_final_fraction_rejects_bad_input(fractions: Any, penalty: float, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        final_fraction(fractions, penalty=penalty)


@pytest.mark.parametrize(
    ("percentage", "letter"),
    [
        (100, "A"),
        (93, "A"),
        (92.99, "A-"),
        (92.99999999999999, "A"),  # float noise on a bound counts as the bound
        (90, "A-"),
        (89.99, "B+"),
        (87, "B+"),
        (86.5, "B"),
        (83, "B"),
        (80, "B-"),
        (79.9, "C+"),
        (77, "C+"),
        (73, "C"),
        (70, "C-"),
        (69.99, "D+"),
        (67, "D+"),
        (66, "D"),
        (60, "D"),
        (59.99, "F"),
        (0, "F"),
        (-5, "F"),  # clamped to 0
        (150, "A"),  # clamped to 100
        (float("inf"), "A"),
        (float("-inf"), "F"),
    ],
)
def test_default_scale(percentage: float, letter: str) -> None:
    assert letter_grade(percentage) == letter


def test_default_scale_constant() -> None:
    assert DEFAULT_LETTER_SCALE[0] == ("A", 93.0)
    assert DEFAULT_LETTER_SCALE[-1] == ("F", 0.0)
    assert [letter for letter, _ in DEFAULT_LETTER_SCALE] == [
        "A",
        "A-",
        "B+",
        "B",
        "B-",
        "C+",
        "C",
        "C-",
        "D+",
        "D",
        "F",
    ]


def test_decimals_are_numbers() -> None:
    assert letter_grade(Decimal("92.99")) == "A-"
    assert letter_grade(Decimal("93.00")) == "A"
    assert letter_grade(88, {"Pass": Decimal("50"), "Fail": Decimal("0")}) == "Pass"
    assert final_fraction([Decimal("0"), Decimal("1")], penalty=Decimal("0.5")) == 0.5


def test_nan_percentage_is_refused() -> None:
    with pytest.raises(ValueError, match="NaN"):
        letter_grade(float("nan"))
    with pytest.raises(ValueError, match="must be a number"):
        letter_grade("93")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "scale",
    [
        {"Pass": 50, "Fail": 0, "Distinction": 85},
        [("Fail", 0), ("Distinction", 85), ("Pass", 50)],  # order does not matter
        [["Distinction", 85.0], ["Pass", 50.0], ["Fail", 0.0]],
    ],
)
def test_custom_scales(scale: Any) -> None:
    assert letter_grade(85, scale) == "Distinction"
    assert letter_grade(84.9, scale) == "Pass"
    assert letter_grade(50, scale) == "Pass"
    assert letter_grade(49.9, scale) == "Fail"
    assert letter_grade(-1, scale) == "Fail"


@pytest.mark.parametrize(
    ("scale", "message"),
    [
        ({"A": 90, "B": 80}, "lower bound 0"),
        ({}, "must not be empty"),
        ([], "must not be empty"),
        ({"A": 90, "F": 0, "": 50}, "non-empty string"),
        ({"A": 120, "F": 0}, r"scale\[A\]: lower bound must be a number between 0 and 100"),
        ({"A": -1, "F": 0}, "between 0 and 100"),
        ({"A": float("nan"), "F": 0}, "between 0 and 100"),
        ({"A": "90", "F": 0}, "between 0 and 100"),
        ([("A", 90), ("A", 80), ("F", 0)], "duplicate letter"),
        ([("A", 90), ("B", 90), ("F", 0)], "duplicate lower bound 90"),
        ([("A", 90, "x"), ("F", 0)], r"scale\[0\]: must be a \(letter, lower bound\) pair"),
        ("A", "must be a mapping or a sequence"),
        (42, "must be a mapping or a sequence"),
    ],
)
def test_bad_scales(scale: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        letter_grade(75, scale)
