"""fill_in_blanks."""

from __future__ import annotations

from typing import Any

import pytest

from platform_core.grading import InvalidQuestionData, InvalidResponse, grade_response

WATER = {
    "text": "Water is {formula}; it boils at {temp} at sea level, in {city} too.",
    "blanks": [
        {"id": "formula", "acceptedAnswers": ["H2O"], "caseSensitive": True},
        {
            "id": "temp",
            "numeric": {"answer": 100, "tolerance": 1, "units": [{"unit": "°C", "multiplier": 1}]},
            "weight": 2,
        },
        {"id": "city", "acceptedAnswers": ["Paris", {"text": "Par*", "fraction": 0.5}]},
    ],
}


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        ({"formula": "H2O", "temp": "100 °C", "city": "paris"}, 1.0),
        (
            {"formula": "h2o", "temp": "100 °C", "city": "paris"},
            3 / 4,
        ),  # case-sensitive blank wrong: (0 + 2 + 1) / 4
        ({"formula": "H2O", "temp": "100", "city": "paris"}, (1 + 2 * 0.9 + 1) / 4),  # missing unit: 0.9 x 2
        (
            {"formula": "H2O", "temp": 99.5, "city": "Parisss"},
            (1 + 2 * 0.9 + 0.5) / 4,
        ),  # JSON number, wildcard 0.5
        ({"formula": "H2O", "temp": "", "city": None}, 1 / 4),  # empty blanks score 0
        ({"formula": "H2O"}, 1 / 4),  # missing blanks score 0
        ({"temp": "abc"}, 0.0),  # unreadable number: 0, not an error
        ({}, 0.0),
    ],
)
def test_weighted_scores(response: dict[str, Any], expected: float) -> None:
    assert grade_response("fill_in_blanks", WATER, response).fraction == pytest.approx(expected, abs=1e-12)


def test_details_and_feedback() -> None:
    result = grade_response("fill_in_blanks", WATER, {"formula": "H2O", "temp": "50 °C", "city": ""})
    assert result.fraction == pytest.approx(0.25)
    assert result.details["total_weight"] == 4.0
    blanks = result.details["blanks"]
    assert blanks["formula"]["fraction"] == 1.0
    assert blanks["formula"]["matched_index"] == 0
    assert blanks["temp"] == {
        "fraction": 0.0,
        "weight": 2.0,
        "value": 50.0,
        "unit": "°C",
        "converted": 50.0,
        "matched_index": None,
        "unit_status": "wrong",
        "unit_penalty_applied": 0.0,
    }
    assert blanks["city"] == {"fraction": 0.0, "weight": 1.0}
    assert result.feedback == (
        "1 of 3 blanks are right. Blank {city}: No answer was given. "
        "Blank {temp}: Your answer is not within any accepted range."
    )
    perfect = grade_response("fill_in_blanks", WATER, {"formula": "H2O", "temp": "100°C", "city": "Paris"})
    assert perfect.feedback == "Correct: every blank is right."


@pytest.mark.parametrize(
    ("response", "field", "reason_part"),
    [
        (["H2O"], "response", "expected an object mapping blank ids"),
        ("H2O", "response", "expected an object"),
        (None, "response", "expected an object"),
        ({"oxygen": "O"}, "response.oxygen", "unknown blank id 'oxygen'"),
        ({"formula": ["H2O"]}, "response.formula", "expected text"),
        ({"temp": [100]}, "response.temp", "expected a number or text"),
        ({"temp": True}, "response.temp", "boolean"),
    ],
)
def test_invalid_responses(response: Any, field: str, reason_part: str) -> None:
    with pytest.raises(InvalidResponse) as info:
        grade_response("fill_in_blanks", WATER, response)
    assert info.value.field == field
    assert reason_part in info.value.reason


def blank(ident: str, **extra: Any) -> dict[str, Any]:
    return {"id": ident, "acceptedAnswers": ["x"], **extra}


@pytest.mark.parametrize(
    ("data", "field", "reason_part"),
    [
        ({"text": "nothing", "blanks": []}, "blanks", "at least one blank"),
        ({"text": "{a}"}, "blanks", "is required"),
        ({"blanks": [blank("a")]}, "text", "is required"),
        ({"text": "{a} {a}", "blanks": [blank("a"), blank("a")]}, "blanks[1].id", "duplicate blank id 'a'"),
        ({"text": "{a}", "blanks": [blank("a"), blank("b")]}, "blanks[1].id", "no {b} placeholder in text"),
        ({"text": "{a} {b}", "blanks": [blank("a")]}, "text", "placeholder {b} has no matching blank"),
        ({"text": "{a} {a}", "blanks": [blank("a")]}, "text", "appears more than once"),
        ({"text": "{a}", "blanks": [{"id": "a"}]}, "blanks[0].acceptedAnswers", "exactly one of"),
        (
            {"text": "{a}", "blanks": [blank("a", numeric={"answer": 1})]},
            "blanks[0].acceptedAnswers",
            "exactly one",
        ),
        (
            {"text": "{a}", "blanks": [blank("a", acceptedAnswers=[])]},
            "blanks[0].acceptedAnswers",
            "at least one",
        ),
        ({"text": "{a}", "blanks": [blank("a", weight=0)]}, "blanks[0].weight", "greater than 0"),
        ({"text": "{a}", "blanks": [blank("a", weight=-1)]}, "blanks[0].weight", "greater than 0"),
        (
            {"text": "{a}", "blanks": [{"id": "a", "numeric": {"answers": []}}]},
            "blanks[0].numeric.answers",
            "at least one accepted answer",
        ),
        (
            {"text": "{a}", "blanks": [{"id": "a", "numeric": {"answers": [{"value": 1, "tolerance": -1}]}}]},
            "blanks[0].numeric.answers[0].tolerance",
            "must not be negative",
        ),
    ],
)
def test_invalid_data(data: dict[str, Any], field: str, reason_part: str) -> None:
    with pytest.raises(InvalidQuestionData) as info:
        grade_response("fill_in_blanks", data, {})
    assert info.value.field == field
    assert reason_part in info.value.reason


def test_braces_with_spaces_are_not_placeholders() -> None:
    data = {
        "text": "The set {x | x > 0} has {a} elements.",
        "blanks": [{"id": "a", "acceptedAnswers": ["infinitely many"]}],
    }
    assert grade_response("fill_in_blanks", data, {"a": "Infinitely  many"}).fraction == 1.0
