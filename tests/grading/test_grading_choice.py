"""multiple_choice and true_false."""

from __future__ import annotations

from typing import Any

import pytest

from platform_core.grading import InvalidQuestionData, InvalidResponse, grade_response


def opt(ident: str, correct: bool = False, fraction: float | None = None, **extra: Any) -> dict[str, Any]:
    option: dict[str, Any] = {"id": ident, "text": f"Option {ident}", "isCorrect": correct, **extra}
    if fraction is not None:
        option["fraction"] = fraction
    return option


SINGLE = {"options": [opt("a", True), opt("b"), opt("c")]}
# Two correct options -> multipleAnswers by default, k = 2: a, c worth +1/2; b, d worth -1/2.
MULTI = {"options": [opt("a", True), opt("b"), opt("c", True), opt("d")]}
# Three correct: each +1/3, the wrong one -1/3.
THIRDS = {"options": [opt("a", True), opt("b", True), opt("c", True), opt("d")]}
EXPLICIT_SINGLE = {
    "options": [opt("a", True), opt("b", fraction=0.5), opt("c", fraction=-0.5, feedback="Not that.")]
}
EXPLICIT_MULTI = {
    "multipleAnswers": True,
    "options": [opt("a", fraction=0.6), opt("b", fraction=0.4), opt("c", fraction=-1), opt("d", True)],
}


@pytest.mark.parametrize(
    ("data", "response", "expected"),
    [
        (SINGLE, "a", 1.0),
        (SINGLE, "b", 0.0),
        (SINGLE, "c", 0.0),
        (EXPLICIT_SINGLE, "a", 1.0),  # isCorrect without fraction = 1
        (EXPLICIT_SINGLE, "b", 0.5),  # explicit fraction wins
        (EXPLICIT_SINGLE, "c", 0.0),  # -0.5 clamped to 0
        (MULTI, ["a", "c"], 1.0),
        (MULTI, ["c", "a"], 1.0),
        (MULTI, ["a"], 0.5),
        (MULTI, "a", 0.5),  # a single id string is a one-element list
        (MULTI, ["a", "b"], 0.0),  # 1/2 - 1/2: a wrong tick cancels a right one
        (MULTI, ["a", "c", "b"], 0.5),  # 1/2 + 1/2 - 1/2
        (MULTI, ["a", "b", "c", "d"], 0.0),  # 1 - 1 = 0
        (MULTI, ["b", "d"], 0.0),  # -1 clamped to 0
        (MULTI, [], 0.0),  # empty list is well-formed
        (THIRDS, ["a", "b", "c"], 1.0),  # 3 x 1/3 is exactly 1
        (THIRDS, ["a", "b"], 2 / 3),
        (THIRDS, ["a", "b", "c", "d"], 2 / 3),  # 1 - 1/3
        # explicit fractions: a .6 + b .4 = 1; d is the only isCorrect option (k = 1), worth 1
        (EXPLICIT_MULTI, ["a", "b"], 1.0),
        (EXPLICIT_MULTI, ["a", "b", "c"], 0.0),
        (EXPLICIT_MULTI, ["a"], 0.6),
        (EXPLICIT_MULTI, ["b", "c", "d"], 0.4),  # .4 - 1 + 1
        (EXPLICIT_MULTI, ["a", "d"], 1.0),  # 1.6 clamped to 1
        # fraction-only data (no isCorrect at all) is single-answer by default
        ({"options": [opt("a", fraction=1), opt("b", fraction=0.25)]}, "b", 0.25),
        # multiple answers: k = 2 correct, the untouched wrong option defaults to -1/2
        ({"options": [opt("a", True), opt("b", True), opt("c"), opt("d", fraction=-0.25)]}, ["a", "d"], 0.25),
    ],
)
def test_multiple_choice_scores(data: dict[str, Any], response: Any, expected: float) -> None:
    result = grade_response("multiple_choice", data, response)
    assert result.fraction == pytest.approx(expected, abs=1e-12)
    assert result.is_correct == (expected == 1.0)
    assert 0.0 <= result.fraction <= 1.0


def test_multiple_answers_default_follows_correct_count() -> None:
    assert grade_response("multiple_choice", SINGLE, "a").details["multiple_answers"] is False
    assert grade_response("multiple_choice", MULTI, ["a", "c"]).details["multiple_answers"] is True


def test_explicit_single_answer_with_two_correct_options() -> None:
    data = {"multipleAnswers": False, "options": [opt("a", True), opt("b", True), opt("c")]}
    assert grade_response("multiple_choice", data, "a").fraction == 1.0
    assert grade_response("multiple_choice", data, "b").fraction == 1.0
    with pytest.raises(InvalidResponse) as info:
        grade_response("multiple_choice", data, ["a"])
    assert info.value.field == "response"
    assert "not a list" in info.value.reason


def test_explicit_multiple_answers_with_one_correct_option() -> None:
    data = {"multipleAnswers": True, "options": [opt("a", True), opt("b"), opt("c")]}
    assert grade_response("multiple_choice", data, ["a"]).fraction == 1.0
    assert grade_response("multiple_choice", data, ["a", "b"]).fraction == 0.0  # 1 - 1


def test_single_feedback_names_option_and_includes_its_feedback() -> None:
    result = grade_response("multiple_choice", EXPLICIT_SINGLE, "c")
    assert result.feedback == "Option 'c' is wrong. Not that."
    assert result.details == {"selected": "c", "option_fraction": -0.5, "multiple_answers": False}
    assert (
        grade_response("multiple_choice", EXPLICIT_SINGLE, "b").feedback
        == "Option 'b' is partly right (50%)."
    )


def test_multi_feedback_lists_wrong_ids() -> None:
    result = grade_response("multiple_choice", MULTI, ["d", "a", "b"])
    assert (
        result.feedback
        == "1 of your 3 choices is right. Wrong choices: b, d. 1 correct option was not chosen."
    )
    assert result.details["wrong"] == ["b", "d"]
    assert result.details["selected"] == ["a", "b", "d"]
    assert result.details["missed_count"] == 1
    perfect = grade_response("multiple_choice", MULTI, ["a", "c"])
    assert perfect.feedback == "Correct: you chose all the right options and no wrong ones."


def test_integer_ids_are_accepted_as_strings() -> None:
    data = {"options": [{"id": 1, "text": "one", "isCorrect": True}, {"id": 2, "text": "two"}]}
    assert grade_response("multiple_choice", data, 1).fraction == 1.0
    assert grade_response("multiple_choice", data, "1").fraction == 1.0
    assert grade_response("multiple_choice", data, "2").fraction == 0.0


@pytest.mark.parametrize(
    ("data", "response", "field", "reason_part"),
    [
        (SINGLE, "z", "response", "unknown option id 'z'"),
        (SINGLE, ["a"], "response", "not a list"),
        (SINGLE, None, "response", "expected an option id"),
        (SINGLE, True, "response", "expected an option id"),
        (SINGLE, {"a": 1}, "response", "expected an option id"),
        (MULTI, ["a", "z"], "response[1]", "unknown option id 'z'"),
        (MULTI, ["a", "a"], "response[1]", "more than once"),
        (MULTI, [None], "response[0]", "expected an option id"),
        (MULTI, {"a": True}, "response", "expected a list"),
        (MULTI, None, "response", "expected a list"),
    ],
)
def test_multiple_choice_invalid_responses(data: Any, response: Any, field: str, reason_part: str) -> None:
    with pytest.raises(InvalidResponse) as info:
        grade_response("multiple_choice", data, response)
    assert info.value.field == field
    assert reason_part in info.value.reason
    assert str(info.value).startswith(f"{field}: ")


@pytest.mark.parametrize(
    ("data", "field", "reason_part"),
    [
        ({"options": []}, "options", "at least one option"),
        ({}, "options", "is required"),
        ({"options": [opt("a"), opt("b")]}, "options", "no correct option"),
        ({"options": [opt("a", fraction=0.5), opt("b")]}, "options", "no correct option"),
        ({"options": [opt("a", True), opt("a")]}, "options[1].id", "duplicate option id 'a'"),
        (
            {"options": [opt("a", True), opt("b"), opt("c", fraction=1.5)]},
            "options[2].fraction",
            "between -1 and 1",
        ),
        ({"options": [opt("a", True), {"id": "b"}]}, "options[1].text", "is required"),
        ({"options": [opt("a", True), {"id": "", "text": "x"}]}, "options[1].id", "must not be empty"),
        ({"options": [opt("a", "yes")]}, "options[0].isCorrect", "must be a valid boolean"),
        ({"options": "abc"}, "options", "must be a valid list"),
        ({"options": [opt("a", True)], "multipleAnswers": "no"}, "multipleAnswers", "valid boolean"),
        # multiple answers whose positive fractions cannot reach 1
        (
            {"multipleAnswers": True, "options": [opt("a", fraction=0.3), opt("b", fraction=0.3)]},
            "options",
            "0.6",
        ),
    ],
)
def test_multiple_choice_invalid_data(data: Any, field: str, reason_part: str) -> None:
    with pytest.raises(InvalidQuestionData) as info:
        grade_response("multiple_choice", data, "a")
    assert info.value.field == field
    assert reason_part in info.value.reason


def test_error_string_format_names_field_and_reason() -> None:
    data = {"options": [opt("a", True), opt("b"), opt("c", fraction=2)]}
    with pytest.raises(InvalidQuestionData) as info:
        grade_response("multiple_choice", data, "a")
    assert str(info.value) == "options[2].fraction: must be between -1 and 1"
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    ("correct", "response", "expected"),
    [
        (True, True, 1.0),
        (True, False, 0.0),
        (False, False, 1.0),
        (False, True, 0.0),
        (True, "true", 1.0),
        (True, "TRUE", 1.0),
        (True, " True ", 1.0),
        (False, "False", 1.0),
        (False, "true", 0.0),
    ],
)
def test_true_false(correct: bool, response: Any, expected: float) -> None:
    result = grade_response("true_false", {"correctAnswer": correct}, response)
    assert result.fraction == expected
    selected = response if isinstance(response, bool) else response.strip().lower() == "true"
    assert result.details == {"selected": selected}


@pytest.mark.parametrize("response", ["yes", "1", 1, 0, None, [], "", "t"])
def test_true_false_invalid_response(response: Any) -> None:
    with pytest.raises(InvalidResponse) as info:
        grade_response("true_false", {"correctAnswer": True}, response)
    assert str(info.value) == "response: expected true or false"


@pytest.mark.parametrize(
    "data", [{}, {"correctAnswer": "true"}, {"correctAnswer": 1}, {"correctAnswer": None}]
)
def test_true_false_invalid_data(data: dict[str, Any]) -> None:
    with pytest.raises(InvalidQuestionData) as info:
        grade_response("true_false", data, True)
    assert info.value.field == "correctAnswer"


def test_true_false_feedback() -> None:
    assert (
        grade_response("true_false", {"correctAnswer": False}, False).feedback
        == "Correct: the statement is false."
    )
    assert (
        grade_response("true_false", {"correctAnswer": False}, "TRUE").feedback
        == "Incorrect: you answered true."
    )
