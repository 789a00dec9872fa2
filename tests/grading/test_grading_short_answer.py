"""short_answer, wildcard patterns and text normalisation."""

from __future__ import annotations

from typing import Any

import pytest

from platform_core.grading import InvalidQuestionData, InvalidResponse, grade_response
from platform_core.grading.short_answer import compile_pattern
from platform_core.grading.text import coerce_text, normalize


@pytest.mark.parametrize(
    ("text", "case_sensitive", "expected"),
    [
        ("  Paris  ", False, "paris"),
        ("New \t\n  York", False, "new york"),
        ("STRASSE", False, "strasse"),
        ("straße", False, "strasse"),  # full case folding, not lower()
        ("Straße", True, "Straße"),
        ("e\u0301", True, "\u00e9"),  # NFC composes e + combining acute
        ("ΣΊΣΥΦΟΣ", False, "σίσυφοσ"),
        ("", False, ""),
    ],
)
def test_normalize(text: str, case_sensitive: bool, expected: str) -> None:
    assert normalize(text, case_sensitive) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("abc", "abc"), (None, None), (42, "42"), (3.0, "3"), (2.5, "2.5"), (-0.1, "-0.1")],
)
def test_coerce_text(value: Any, expected: str | None) -> None:
    assert coerce_text(value, "response") == expected


@pytest.mark.parametrize("value", [True, [1], {"a": 1}, float("nan"), b"x"])
def test_coerce_text_refuses(value: Any) -> None:
    with pytest.raises(InvalidResponse) as info:
        coerce_text(value, "response[3]")
    assert info.value.field == "response[3]"


@pytest.mark.parametrize(
    ("pattern", "chunks"),
    [
        ("abc", ("abc",)),
        ("a*c", ("a", "c")),
        ("*", ("", "")),
        ("a\\*c", ("a*c",)),  # escaped star is literal
        ("a\\*c*", ("a*c", "")),
        ("a\\b", ("a\\b",)),  # a backslash before anything else is literal
        ("**", ("", "", "")),
        ("  The   *  ", ("the ", "")),
    ],
)
def test_compile_pattern(pattern: str, chunks: tuple[str, ...]) -> None:
    assert compile_pattern(pattern, case_sensitive=False).chunks == chunks


@pytest.mark.parametrize(
    ("accepted", "response", "expected"),
    [
        (["Paris"], "paris", 1.0),
        (["Paris"], "  PARIS ", 1.0),
        (["Paris"], "Paris, France", 0.0),  # whole response must match
        (["Paris"], "Pari", 0.0),
        (["New York"], "new    york", 1.0),
        (["straße"], "STRASSE", 1.0),
        (["STRASSE"], "straße", 1.0),
        (["colo*r"], "color", 1.0),  # * matches the empty run
        (["colo*r"], "colour", 1.0),
        (["colo*r"], "colo  ur  r", 1.0),  # and spaces
        (["colo*r"], "colours", 0.0),
        (["*"], "anything at all", 1.0),
        (["a*b*c"], "aXbYc", 1.0),
        (["a*b*c"], "abc", 1.0),
        (["a*b*c"], "acb", 0.0),
        (["a*a"], "a", 0.0),  # prefix and suffix may not overlap
        (["a*a"], "aa", 1.0),
        (["5\\*3"], "5*3", 1.0),  # literal asterisk
        (["5\\*3"], "5x3", 0.0),
        (["5\\*3"], "53", 0.0),
        (["a.c"], "abc", 0.0),  # no regex semantics
        (["a+"], "aa", 0.0),
        (["(x)"], "(X)", 1.0),
        (["[ab]"], "a", 0.0),
        (["1/2"], "1/2", 1.0),
    ],
)
def test_short_answer_matching(accepted: list[Any], response: str, expected: float) -> None:
    assert grade_response("short_answer", {"acceptedAnswers": accepted}, response).fraction == expected


def test_case_sensitive() -> None:
    data = {"acceptedAnswers": ["NaCl"], "caseSensitive": True}
    assert grade_response("short_answer", data, "NaCl").fraction == 1.0
    assert grade_response("short_answer", data, " NaCl ").fraction == 1.0
    assert grade_response("short_answer", data, "nacl").fraction == 0.0


def test_first_matching_entry_wins_with_its_fraction() -> None:
    data = {
        "acceptedAnswers": [
            {"text": "Paris*", "fraction": 0.5, "feedback": "Just the city, please."},
            "Paris",
            {"text": "Lyon", "fraction": 0, "feedback": "Lyon is not the capital."},
            {"text": "*", "fraction": 0.1},
        ]
    }
    first = grade_response("short_answer", data, "Paris")
    assert first.fraction == 0.5  # "Paris*" comes first and also matches "Paris"
    assert first.details["matched_index"] == 0
    assert first.feedback == (
        "Partly right: your answer matches accepted answer 1, worth 50%. Just the city, please."
    )
    lyon = grade_response("short_answer", data, "lyon")
    assert lyon.fraction == 0.0
    assert lyon.details["matched_index"] == 2
    assert lyon.feedback == "Your answer is wrong. Lyon is not the capital."
    other = grade_response("short_answer", data, "Berlin")
    assert other.fraction == pytest.approx(0.1)
    assert other.details["matched_index"] == 3


def test_no_match_feedback_and_details() -> None:
    result = grade_response("short_answer", {"acceptedAnswers": ["Paris"]}, "  Rome ")
    assert result.fraction == 0.0
    assert not result.is_correct
    assert result.feedback == "Your answer does not match any accepted answer."
    assert result.details == {"matched_index": None, "response": "rome"}


def test_match_details() -> None:
    result = grade_response("short_answer", {"acceptedAnswers": ["x", "Col*r"]}, "COLOUR")
    assert result.details == {
        "matched_index": 1,
        "matched_text": "Col*r",
        "entry_fraction": 1.0,
        "response": "colour",
    }
    assert result.feedback == "Correct: your answer matches accepted answer 2."


def test_empty_response_scores_zero() -> None:
    result = grade_response("short_answer", {"acceptedAnswers": ["*"]}, "   ")
    assert result.fraction == 0.0
    assert result.feedback == "No answer was given."


def test_numbers_are_accepted_as_text() -> None:
    data = {"acceptedAnswers": ["42", "2.5"]}
    assert grade_response("short_answer", data, 42).fraction == 1.0
    assert grade_response("short_answer", data, 2.5).fraction == 1.0


@pytest.mark.parametrize("response", [None, True, ["Paris"], {"text": "Paris"}])
def test_invalid_responses(response: Any) -> None:
    with pytest.raises(InvalidResponse) as info:
        grade_response("short_answer", {"acceptedAnswers": ["Paris"]}, response)
    assert info.value.field == "response"


@pytest.mark.parametrize(
    ("data", "field", "reason_part"),
    [
        ({"acceptedAnswers": []}, "acceptedAnswers", "at least one accepted answer"),
        ({}, "acceptedAnswers", "is required"),
        ({"acceptedAnswers": [{"text": "x", "fraction": 0.5}]}, "acceptedAnswers", "full marks"),
        (
            {"acceptedAnswers": ["x", {"text": "y", "fraction": 1.5}]},
            "acceptedAnswers[1].fraction",
            "between 0 and 1",
        ),
        (
            {"acceptedAnswers": ["x", {"text": "y", "fraction": -0.5}]},
            "acceptedAnswers[1].fraction",
            "between 0 and 1",
        ),
        ({"acceptedAnswers": ["x", "  "]}, "acceptedAnswers[1].text", "must not be empty"),
        ({"acceptedAnswers": ["x", {"fraction": 1}]}, "acceptedAnswers[1].text", "is required"),
        ({"acceptedAnswers": ["x", 5]}, "acceptedAnswers[1]", "must be a string or an object"),
        ({"acceptedAnswers": "Paris"}, "acceptedAnswers", "valid list"),
        ({"acceptedAnswers": ["x"], "caseSensitive": "yes"}, "caseSensitive", "valid boolean"),
    ],
)
def test_invalid_data(data: dict[str, Any], field: str, reason_part: str) -> None:
    with pytest.raises(InvalidQuestionData) as info:
        grade_response("short_answer", data, "x")
    assert info.value.field == field
    assert reason_part in info.value.reason


def test_snake_case_keys_are_accepted() -> None:
    data = {"accepted_answers": ["Paris"], "case_sensitive": True}
    assert grade_response("short_answer", data, "Paris").fraction == 1.0
    assert grade_response("short_answer", data, "paris").fraction == 0.0
