"""grade_response dispatch, points, errors, schemas and caching."""

from __future__ import annotations

import dataclasses
import doctest
import pickle
from decimal import Decimal
from types import MappingProxyType
from typing import Any

import pytest
from pydantic import ValidationError

from platform_core import grading
from platform_core.grading import (
    QUESTION_TYPES,
    GradeResult,
    InvalidQuestionData,
    InvalidResponse,
    grade_response,
    validate_question_data,
)
from platform_core.grading.schemas import QUESTION_DATA_ADAPTER, MultipleChoiceData, QuestionSettings
from platform_core.grading.validation import question_data_error

SHORT = {"acceptedAnswers": ["Paris"]}


def test_public_api() -> None:
    assert set(grading.__all__) >= {
        "grade_response",
        "final_fraction",
        "letter_grade",
        "GradeResult",
        "InvalidQuestionData",
        "InvalidResponse",
        "QUESTION_TYPES",
        "validate_question_data",
        "DEFAULT_LETTER_SCALE",
        "GRADING_METHODS",
        "ORDERING_MODES",
    }
    assert QUESTION_TYPES == (
        "multiple_choice",
        "true_false",
        "short_answer",
        "numeric",
        "matching",
        "ordering",
        "fill_in_blanks",
    )


def test_unknown_type() -> None:
    with pytest.raises(InvalidQuestionData) as info:
        grade_response("essay", SHORT, "x")
    assert info.value.field == "type"
    assert info.value.reason.startswith("unknown question type 'essay'")
    with pytest.raises(InvalidQuestionData):
        grade_response(None, SHORT, "x")  # type: ignore[arg-type]


@pytest.mark.parametrize("data", [None, ["Paris"], "Paris"])
def test_data_must_be_an_object(data: Any) -> None:
    with pytest.raises(InvalidQuestionData) as info:
        grade_response("short_answer", data, "x")
    assert str(info.value) == "data: must be an object"


def test_common_keys_are_ignored() -> None:
    data = {
        **SHORT,
        "prompt": "Capital of France?",
        "maxAttempts": 3,
        "penalty": "not even a number",
        "explanation": None,
        "type": "numeric",  # the question_type argument is authoritative
        "status": "draft",
        "somethingElse": {"nested": True},
    }
    result = grade_response("short_answer", data, "paris")
    assert result.fraction == 1.0


@pytest.mark.parametrize(
    ("data", "points", "expected_points", "expected_max"),
    [
        (SHORT, None, 1.0, 1.0),
        ({**SHORT, "points": 4}, None, 4.0, 4.0),
        ({**SHORT, "points": 4}, 10, 10.0, 10.0),
        ({**SHORT, "points": None}, None, 1.0, 1.0),
        ({**SHORT, "points": "junk"}, 2.5, 2.5, 2.5),  # an explicit points argument wins
        (SHORT, 0, 0.0, 0.0),
    ],
)
def test_points(
    data: dict[str, Any], points: float | None, expected_points: float, expected_max: float
) -> None:
    result = grade_response("short_answer", data, "Paris", points=points)
    assert (result.points, result.max_points) == (expected_points, expected_max)


def test_points_scale_partial_fraction() -> None:
    data = {"acceptedAnswers": ["Paris", {"text": "Par*", "fraction": 0.25}], "points": 8}
    result = grade_response("short_answer", data, "Parma")
    assert (result.fraction, result.points, result.is_correct) == (0.25, 2.0, False)


@pytest.mark.parametrize("points", [-1, float("nan"), float("inf"), True, "3"])
def test_bad_points(points: Any) -> None:
    with pytest.raises(InvalidQuestionData) as info:
        grade_response("short_answer", {**SHORT, "points": points}, "Paris")
    assert info.value.field == "points"
    with pytest.raises(InvalidQuestionData):
        grade_response("short_answer", SHORT, "Paris", points=points)


def test_decimal_points() -> None:
    result = grade_response("short_answer", SHORT, "Paris", points=Decimal("2.5"))
    assert (result.points, result.max_points) == (2.5, 2.5)


def test_package_docstring_examples() -> None:
    assert doctest.testmod(grading).failed == 0


def test_grade_result_is_frozen() -> None:
    result = grade_response("short_answer", SHORT, "Paris")
    assert isinstance(result, GradeResult)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.fraction = 0.5  # type: ignore[misc]


def test_errors_are_value_errors_with_field_and_reason() -> None:
    error = InvalidResponse("response[1]", "unknown item id 'x'")
    assert isinstance(error, ValueError)
    assert str(error) == "response[1]: unknown item id 'x'"
    assert (error.field, error.reason) == ("response[1]", "unknown item id 'x'")
    assert error.problems == (("response[1]", "unknown item id 'x'"),)
    clone = pickle.loads(pickle.dumps(error))
    assert type(clone) is InvalidResponse
    assert (clone.field, clone.reason, str(clone)) == (error.field, error.reason, str(error))


def test_all_problems_are_reported() -> None:
    data = {"options": [{"id": "a", "text": "A", "fraction": 3}, {"id": "b", "isCorrect": "x"}]}
    with pytest.raises(InvalidQuestionData) as info:
        grade_response("multiple_choice", data, "a")
    assert info.value.problems == (
        ("options[0].fraction", "must be between -1 and 1"),
        ("options[1].text", "is required"),
        ("options[1].isCorrect", "must be a valid boolean"),
    )
    assert str(info.value) == "options[0].fraction: must be between -1 and 1"


def test_snake_case_input_reports_camel_case_paths() -> None:
    with pytest.raises(InvalidQuestionData) as info:
        grade_response("short_answer", {"accepted_answers": ["x", {"text": "y", "fraction": 3}]}, "x")
    assert info.value.field == "acceptedAnswers[1].fraction"


def test_validate_question_data_returns_the_model() -> None:
    model = validate_question_data(
        "multiple_choice", {"options": [{"id": "a", "text": "A", "isCorrect": True}]}
    )
    assert isinstance(model, MultipleChoiceData)
    assert model.options[0].is_correct is True
    assert model.model_dump(by_alias=True, exclude_none=True)["options"][0] == {
        "id": "a",
        "text": "A",
        "isCorrect": True,
    }


def test_discriminated_union_adapter() -> None:
    ok = QUESTION_DATA_ADAPTER.validate_python({"type": "true_false", "correctAnswer": False})
    assert ok.correct_answer is False
    with pytest.raises(ValidationError) as info:
        QUESTION_DATA_ADAPTER.validate_python(
            {"type": "ordering", "items": [{"id": "a", "text": "A"}, {"id": "a", "text": "B"}]}
        )
    error = question_data_error(info.value)
    assert str(error) == "items[1].id: duplicate item id 'a'"
    with pytest.raises(ValidationError) as info:
        QUESTION_DATA_ADAPTER.validate_python({"type": "numeric", "answer": 1, "unitPenalty": 3})
    assert str(question_data_error(info.value)) == "unitPenalty: must be between 0 and 1"


def test_question_settings() -> None:
    settings = QuestionSettings.model_validate({"prompt": "Q?", "maxAttempts": 3, "options": []})
    assert (settings.points, settings.max_attempts, settings.penalty) == (1.0, 3, pytest.approx(1 / 3))
    with pytest.raises(ValidationError):
        QuestionSettings.model_validate({"maxAttempts": 0})
    with pytest.raises(ValidationError):
        QuestionSettings.model_validate({"points": -1})


def test_non_dict_mappings_and_non_json_data() -> None:
    proxy = MappingProxyType({"acceptedAnswers": ["Paris"]})
    assert grade_response("short_answer", proxy, "paris").fraction == 1.0
    # A tuple is not JSON but still a valid list for pydantic; an object() key makes it uncacheable.
    odd: dict[Any, Any] = {"acceptedAnswers": ("Paris",), "extra": object()}
    assert grade_response("short_answer", odd, "paris").fraction == 1.0


def test_mutating_data_between_calls_is_seen() -> None:
    data: dict[str, Any] = {"acceptedAnswers": ["Paris"]}
    assert grade_response("short_answer", data, "Lyon").fraction == 0.0
    data["acceptedAnswers"].append("Lyon")
    assert grade_response("short_answer", data, "Lyon").fraction == 1.0


def test_true_and_one_are_not_confused_by_the_cache() -> None:
    assert grade_response("true_false", {"correctAnswer": True}, True).fraction == 1.0
    with pytest.raises(InvalidQuestionData):
        grade_response("true_false", {"correctAnswer": 1}, True)


def test_json_schema_uses_camel_case() -> None:
    schema = QUESTION_DATA_ADAPTER.json_schema(by_alias=True)
    assert "isCorrect" in schema["$defs"]["ChoiceOption"]["properties"]
    assert schema["discriminator"]["propertyName"] == "type"
