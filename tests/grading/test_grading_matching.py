"""matching."""

from __future__ import annotations

from typing import Any

import pytest

from platform_core.grading import InvalidQuestionData, InvalidResponse, grade_response

CAPITALS = {
    "pairs": [
        {"id": "fr", "prompt": "France", "answer": "Paris"},
        {
            "id": "es",
            "prompt": "Spain",
            "answer": "Madrid",
            "feedback": "Madrid has been the capital since 1561.",
        },
        {"id": "de", "prompt": "Germany", "answer": "Berlin"},
        {"id": "at", "prompt": "Austria", "answer": "Wien"},
    ],
    "distractors": ["Rome", "Lyon"],
}


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        ({"fr": "Paris", "es": "Madrid", "de": "Berlin", "at": "Wien"}, 1.0),
        ({"at": "Wien", "de": "Berlin", "es": "Madrid", "fr": "Paris"}, 1.0),  # key order is irrelevant
        (
            {"fr": " paris ", "es": "MADRID", "de": "berlin", "at": "WIEN"},
            1.0,
        ),  # normalised, case-insensitive
        ({"fr": "Paris", "es": "Madrid", "de": "Berlin", "at": "Rome"}, 0.75),  # distractor: just wrong
        ({"fr": "Paris", "es": "Madrid", "de": "Berlin"}, 0.75),  # missing pair: wrong
        ({"fr": "Paris", "es": "Madrid", "de": None, "at": ""}, 0.5),  # None and blank: wrong
        ({"fr": "Madrid", "es": "Paris", "de": "Berlin", "at": "Wien"}, 0.5),  # swapped
        ({}, 0.0),
    ],
)
def test_matching_scores(response: dict[str, Any], expected: float) -> None:
    assert grade_response("matching", CAPITALS, response).fraction == expected


def test_distractors_change_nothing() -> None:
    response = {"fr": "Paris", "es": "Rome", "de": "Berlin", "at": "Wien"}
    without = {"pairs": CAPITALS["pairs"]}
    assert grade_response("matching", CAPITALS, response) == grade_response("matching", without, response)


def test_case_sensitive_matching() -> None:
    data = {"caseSensitive": True, "pairs": [{"id": "na", "prompt": "Sodium", "answer": "Na"}]}
    assert grade_response("matching", data, {"na": "Na"}).fraction == 1.0
    assert grade_response("matching", data, {"na": "NA"}).fraction == 0.0


def test_feedback_and_details() -> None:
    result = grade_response("matching", CAPITALS, {"fr": "Paris", "es": "Lyon", "de": ""})
    assert result.feedback == (
        "1 of 4 pairs are matched correctly. Wrong: 'Spain' (es). "
        "Unanswered: 'Austria' (at), 'Germany' (de). Madrid has been the capital since 1561."
    )
    assert result.details == {
        "pairs": {"fr": True, "es": False, "de": False, "at": False},
        "correct_count": 1,
        "pair_count": 4,
    }
    perfect = grade_response(
        "matching", CAPITALS, {"fr": "Paris", "es": "Madrid", "de": "Berlin", "at": "Wien"}
    )
    assert perfect.feedback == "Correct: every pair is matched."


@pytest.mark.parametrize(
    ("response", "field", "reason_part"),
    [
        (["Paris"], "response", "expected an object"),
        ("Paris", "response", "expected an object"),
        (None, "response", "expected an object"),
        ({"it": "Rome"}, "response.it", "unknown pair id 'it'"),
        ({"fr": ["Paris"]}, "response.fr", "expected text"),
        ({"fr": True}, "response.fr", "expected text"),
        ({("fr",): "Paris"}, "response", "must be strings"),
    ],
)
def test_invalid_responses(response: Any, field: str, reason_part: str) -> None:
    with pytest.raises(InvalidResponse) as info:
        grade_response("matching", CAPITALS, response)
    assert info.value.field == field
    assert reason_part in info.value.reason


@pytest.mark.parametrize(
    ("data", "field", "reason_part"),
    [
        ({"pairs": []}, "pairs", "at least one pair"),
        ({}, "pairs", "is required"),
        (
            {"pairs": [{"id": "a", "prompt": "A", "answer": "x"}, {"id": "a", "prompt": "B", "answer": "y"}]},
            "pairs[1].id",
            "duplicate pair id 'a'",
        ),
        ({"pairs": [{"id": "a", "prompt": "A", "answer": " "}]}, "pairs[0].answer", "must not be empty"),
        ({"pairs": [{"id": "a", "prompt": "A"}]}, "pairs[0].answer", "is required"),
        (
            {"pairs": [{"id": "a", "prompt": "A", "answer": "x"}], "distractors": [1]},
            "distractors[0]",
            "valid string",
        ),
    ],
)
def test_invalid_data(data: dict[str, Any], field: str, reason_part: str) -> None:
    with pytest.raises(InvalidQuestionData) as info:
        grade_response("matching", data, {})
    assert info.value.field == field
    assert reason_part in info.value.reason
