"""numeric: number parsing, tolerance intervals, units."""

from __future__ import annotations

import math
from typing import Any

import pytest

from platform_core.grading import InvalidQuestionData, InvalidResponse, grade_response
from platform_core.grading.numbers import NumberParseError, parse_number


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [
        ("3.14", 3.14, None),
        ("  3.14  ", 3.14, None),
        ("3,14", 3.14, None),  # decimal comma: no dot and a single comma
        ("-3,14", -3.14, None),
        ("+2", 2.0, None),
        ("\u22123", -3.0, None),  # Unicode minus sign
        ("1.2e3", 1200.0, None),
        ("1,2E-3", 0.0012, None),
        ("1e+2", 100.0, None),
        (".5", 0.5, None),
        (",5", 0.5, None),
        ("5.", 5.0, None),
        ("007", 7.0, None),
        ("314cm", 314.0, "cm"),
        ("314 cm", 314.0, "cm"),
        ("314   cm ", 314.0, "cm"),
        ("5eV", 5.0, "eV"),  # an exponent needs digits, so this is 5 eV
        ("2e3eV", 2000.0, "eV"),
        ("9.81 m/s^2", 9.81, "m/s^2"),
        ("1  km   h", 1.0, "km h"),
    ],
)
def test_parse_number(text: str, value: float, unit: str | None) -> None:
    parsed = parse_number(text)
    assert parsed.value == pytest.approx(value, rel=1e-15)
    assert parsed.unit == unit


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "abc",
        "1,234.5",
        "1.234,5",
        "1,234,567",
        "1.2.3",
        ".",
        ",",
        "e5",
        "inf",
        "nan",
        "1e999",
        "-",
    ],
)
def test_parse_number_refuses(text: str) -> None:
    with pytest.raises(NumberParseError):
        parse_number(text)


def grade(data: dict[str, Any], response: Any) -> float:
    return grade_response("numeric", data, response).fraction


REL = {"answers": [{"value": 7, "tolerance": 0.1, "toleranceType": "relative"}]}
ABS = {"answers": [{"value": 3.14, "tolerance": 0.01}]}
GEO = {"answers": [{"value": 8, "tolerance": 1, "toleranceType": "geometric"}]}  # [8/2, 8*2] = [4, 16]
GEO_NEG = {"answers": [{"value": -8, "tolerance": 1, "toleranceType": "geometric"}]}  # [-16, -4]


@pytest.mark.parametrize(
    ("data", "response", "expected"),
    [
        (REL, 6.3, 1.0),  # |6.3 - 7| = 0.7000000000000002 > 0.7000000000000001: saved by the margin
        (REL, "6.3", 1.0),
        (REL, "6,3", 1.0),
        (REL, 7.7, 1.0),
        (REL, 6.29, 0.0),
        (REL, 7.71, 0.0),
        (ABS, 3.13, 1.0),  # inclusive bounds
        (ABS, 3.15, 1.0),
        (ABS, "3,145", 1.0),
        (ABS, 3.16, 0.0),
        (ABS, 3.1299, 0.0),
        (GEO, 4, 1.0),
        (GEO, 16, 1.0),
        (GEO, 3.99, 0.0),
        (GEO, 16.01, 0.0),
        (GEO_NEG, -4, 1.0),  # bounds swapped for a negative value
        (GEO_NEG, -16, 1.0),
        (GEO_NEG, -10, 1.0),
        (GEO_NEG, -3.9, 0.0),
        (GEO_NEG, -17, 0.0),
        (GEO_NEG, 8, 0.0),
        ({"answers": [{"value": 0, "tolerance": 1, "toleranceType": "geometric"}]}, 0, 1.0),
        ({"answers": [{"value": 0, "tolerance": 1, "toleranceType": "geometric"}]}, 0.1, 0.0),
        ({"answers": [{"value": 0, "tolerance": 0.5, "toleranceType": "relative"}]}, 0, 1.0),
        ({"answers": [{"value": 0.1}]}, 0.1, 1.0),  # tolerance defaults to 0
        ({"answers": [{"value": 0.3}]}, 0.1 + 0.2, 1.0),  # 0.30000000000000004, inside the tiny margin
        ({"answers": [{"value": 0.3}]}, 0.3001, 0.0),
        ({"answers": [{"value": "*"}]}, "-1e10", 1.0),  # "*" matches any number
        ({"answers": [{"value": "*"}]}, "abc", 0.0),  # but not an unreadable answer
        ({"answer": 3.14, "tolerance": 0.01}, "3.135", 1.0),  # short form
        ({"answer": 3.14}, "3.14", 1.0),
        ({"answer": 3.14}, "3.141", 0.0),
        ({"answer": 100, "tolerance": 0.05, "toleranceType": "relative"}, 95, 1.0),
        ({"answer": "2.5"}, 2.5, 1.0),  # a numeric string value in data
        ({"answer": 1200}, "1.2e3", 1.0),
        ({"answer": 1200}, 1200, 1.0),
        ({"answer": -3.14}, "-3,14", 1.0),
    ],
)
def test_intervals(data: dict[str, Any], response: Any, expected: float) -> None:
    assert grade(data, response) == expected


def test_first_holding_answer_wins() -> None:
    data = {
        "answers": [
            {"value": 10, "tolerance": 1, "feedback": "Spot on."},
            {"value": 10, "tolerance": 5, "fraction": 0.5, "feedback": "Close."},
            {"value": "*", "fraction": 0, "feedback": "Way off."},
        ]
    }
    exact = grade_response("numeric", data, "10.5")
    assert (exact.fraction, exact.details["matched_index"]) == (1.0, 0)
    assert exact.feedback == "Correct: your answer is within accepted answer 1. Spot on."
    close = grade_response("numeric", data, 13)
    assert (close.fraction, close.details["matched_index"]) == (0.5, 1)
    assert close.feedback == "Partly right: your answer is within accepted answer 2, worth 50%. Close."
    off = grade_response("numeric", data, 100)
    assert (off.fraction, off.details["matched_index"]) == (0.0, 2)
    assert off.feedback == "Your answer is wrong. Way off."


LENGTH = {
    "answers": [{"value": 1.25, "tolerance": 0.001}, {"value": 2, "fraction": 0.5}],
    "units": [
        {"unit": "m", "multiplier": 1},
        {"unit": "cm", "multiplier": 100},
        {"unit": "km", "multiplier": 0.001},
    ],
}


@pytest.mark.parametrize(
    ("data", "response", "expected", "unit_status"),
    [
        (LENGTH, "1.25 m", 1.0, "ok"),
        (LENGTH, "1.25m", 1.0, "ok"),
        (LENGTH, "125 cm", 1.0, "ok"),  # 125 / 100 = 1.25
        (LENGTH, "125cm", 1.0, "ok"),
        (LENGTH, "0.00125 km", 1.0, "ok"),
        (LENGTH, "1,25 m", 1.0, "ok"),
        (LENGTH, "1.25", 0.9, "missing"),  # number as written matches: loses unitPenalty 0.1
        (LENGTH, 1.25, 0.9, "missing"),  # a JSON number carries no unit
        (LENGTH, "1.25 kg", 0.9, "unknown"),
        (LENGTH, "1.25 cm", 0.9, "wrong"),  # converted 0.0125 misses, as written 1.25 matches
        (LENGTH, "200 cm", 0.5, "ok"),  # second answer, half marks, right unit
        (LENGTH, "2", 0.45, "missing"),  # 0.5 x (1 - 0.1)
        (LENGTH, "125", 0.0, "missing"),
        (LENGTH, "125 kg", 0.0, "unknown"),
        (LENGTH, "12.5 cm", 0.0, "wrong"),
        ({**LENGTH, "unitPenalty": 0.25}, "1.25", 0.75, "missing"),
        ({**LENGTH, "unitPenalty": 0}, "1.25 kg", 1.0, "unknown"),
        ({**LENGTH, "unitsRequired": False}, "1.25", 1.0, "missing"),  # no penalty
        ({**LENGTH, "unitsRequired": False}, "1.25 kg", 1.0, "unknown"),
        ({**LENGTH, "unitsRequired": False}, "125 cm", 1.0, "ok"),
    ],
)
def test_units(data: dict[str, Any], response: Any, expected: float, unit_status: str) -> None:
    result = grade_response("numeric", data, response)
    assert result.fraction == pytest.approx(expected, abs=1e-12)
    assert result.details["unit_status"] == unit_status


def test_unit_feedback_names_the_unit() -> None:
    missing = grade_response("numeric", LENGTH, "1.25")
    assert missing.feedback == (
        "Partly right: your answer is within accepted answer 1, worth 90%. "
        "The number is right but no unit was given (expected one of: m, cm, km): 10% of the mark is lost."
    )
    unknown = grade_response("numeric", LENGTH, "1.25 kg")
    assert "the unit 'kg' is not one of: m, cm, km" in unknown.feedback
    wrong = grade_response("numeric", LENGTH, "1.25 cm")
    assert "the unit 'cm' is wrong" in wrong.feedback
    assert wrong.details["converted"] == pytest.approx(0.0125)
    assert wrong.details["unit_penalty_applied"] == 0.1
    optional = grade_response("numeric", {**LENGTH, "unitsRequired": False}, "1.25")
    assert "units are optional" in optional.feedback
    assert optional.details["unit_penalty_applied"] == 0.0
    ok = grade_response("numeric", LENGTH, "125 cm")
    assert ok.details == {
        "value": 125.0,
        "unit": "cm",
        "converted": 1.25,
        "matched_index": 0,
        "unit_status": "ok",
        "unit_penalty_applied": 0.0,
    }


def test_trailing_text_without_units_is_unreadable() -> None:
    result = grade_response("numeric", {"answer": 5}, "5 m")
    assert result.fraction == 0.0
    assert result.feedback == "'5 m' could not be read as a number: this question expects no units."


@pytest.mark.parametrize(
    ("response", "feedback_part"),
    [
        ("abc", "could not be read as a number"),
        ("1,234.5", "no thousands separators"),
        ("", "No answer was given"),
        ("1e999", "too large"),
        (float("nan"), "not a finite number"),
        (float("inf"), "not a finite number"),
    ],
)
def test_unreadable_answers_score_zero_with_reason(response: Any, feedback_part: str) -> None:
    result = grade_response("numeric", {"answers": [{"value": "*"}]}, response)
    assert result.fraction == 0.0
    assert feedback_part in result.feedback


def test_wrong_number_feedback() -> None:
    result = grade_response("numeric", ABS, "2.5")
    assert result.feedback == "Your answer 2.5 is not within any accepted range."
    assert result.details == {"value": 2.5, "unit": None, "matched_index": None}


@pytest.mark.parametrize("response", [None, True, False, [1], {"value": 1}, (1,)])
def test_invalid_responses(response: Any) -> None:
    with pytest.raises(InvalidResponse) as info:
        grade_response("numeric", ABS, response)
    assert info.value.field == "response"


@pytest.mark.parametrize(
    ("data", "field", "reason_part"),
    [
        ({}, "answers", "at least one accepted answer"),
        ({"answers": []}, "answers", "at least one accepted answer"),
        ({"answers": [{"value": 1}], "answer": 1}, "answer", "not both"),
        ({"answers": [{"value": 1, "fraction": 0.5}]}, "answers", "full marks"),
        ({"answers": [{"value": 1, "tolerance": -1}]}, "answers[0].tolerance", "must not be negative"),
        ({"answers": [{"value": 1, "toleranceType": "percent"}]}, "answers[0].toleranceType", "'absolute'"),
        ({"answers": [{"value": "abc"}]}, "answers[0].value", "must be a number or '*'"),
        ({"answers": [{"value": True}]}, "answers[0].value", "must be a number or '*'"),
        ({"answers": [{"value": float("nan")}]}, "answers[0].value", "finite"),
        ({"answers": [{"tolerance": 1}]}, "answers[0].value", "is required"),
        ({"answer": 1, "tolerance": "x"}, "tolerance", "valid number"),
        (
            {"answer": 1, "units": [{"unit": "m"}, {"unit": "cm", "multiplier": 0}]},
            "units[1].multiplier",
            "> 0",
        ),
        (
            {"answer": 1, "units": [{"unit": "m"}, {"unit": "m", "multiplier": 2}]},
            "units[1].unit",
            "duplicate",
        ),
        ({"answer": 1, "units": [{"unit": " "}]}, "units[0].unit", "must not be empty"),
        ({"answer": 1, "unitPenalty": 2}, "unitPenalty", "between 0 and 1"),
        ({"answer": 1, "unitsRequired": "no"}, "unitsRequired", "valid boolean"),
    ],
)
def test_invalid_data(data: dict[str, Any], field: str, reason_part: str) -> None:
    with pytest.raises(InvalidQuestionData) as info:
        grade_response("numeric", data, 1)
    assert info.value.field == field
    assert (
        reason_part in info.value.reason or reason_part.replace("> 0", "greater than 0") in info.value.reason
    )


def test_huge_and_tiny_values() -> None:
    assert (
        grade({"answer": 6.02214076e23, "tolerance": 0.001, "toleranceType": "relative"}, "6,022e23") == 1.0
    )
    assert grade({"answer": 1e-12}, "1e-12") == 1.0
    assert grade({"answer": 1e-12}, "2e-12") == 0.0
    assert grade({"answer": 1.602e-19}, "1.602e-19") == 1.0
    assert grade({"answer": 1.602e-19}, "0") == 0.0  # no absolute margin swamping tiny constants
    assert grade({"answer": 0}, "0") == 1.0
    assert grade({"answer": 0}, "1e-200") == 0.0
    assert math.isclose(grade({"answer": 1.0, "tolerance": 0.5}, "1.5"), 1.0)
