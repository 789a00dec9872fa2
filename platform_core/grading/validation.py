"""Turning pydantic errors into :class:`InvalidQuestionData`, and ``validate_question_data``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic.alias_generators import to_camel

from .errors import GradingError, InvalidQuestionData, join_path
from .schemas import MODELS, QUESTION_TYPES

__all__ = ["question_data_error", "validate_question_data"]


def _loc_to_path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        path = f"{path}[{part}]" if isinstance(part, int) else join_path(path, to_camel(part))
    return path


def _reason(error: Mapping[str, Any]) -> str:
    kind = error["type"]
    if kind == "missing":
        return "is required"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return "must be an object"
    if kind == "value_error":
        return str(error["ctx"]["error"])
    return str(error["msg"]).replace("Input should be", "must be")


def question_data_error(exc: ValidationError) -> InvalidQuestionData:
    """Turn a pydantic error about question data into :class:`InvalidQuestionData` with camelCase paths."""
    problems: list[tuple[str, str]] = []
    for error in exc.errors():
        loc = tuple(error["loc"])
        if loc and loc[0] in MODELS:  # the discriminated union's tag
            loc = loc[1:]
        path = _loc_to_path(loc)
        cause = (error.get("ctx") or {}).get("error")
        if error["type"] == "value_error" and isinstance(cause, GradingError):
            problems.append((join_path(path, cause.field), cause.reason))
        else:
            problems.append((path, _reason(error)))
    field, reason = problems[0] if problems else ("data", "is invalid")
    return InvalidQuestionData(field, reason, problems)


def validate_question_data(question_type: str, data: Any) -> BaseModel:
    """Validate ``data`` for ``question_type``; a ``type`` key inside ``data`` is ignored.

    Raises :class:`InvalidQuestionData` for an unknown type, malformed data, or an unanswerable question.
    """
    model = MODELS.get(question_type) if isinstance(question_type, str) else None
    if model is None:
        raise InvalidQuestionData(
            "type", f"unknown question type {question_type!r} (expected one of {', '.join(QUESTION_TYPES)})"
        )
    if not isinstance(data, Mapping):
        raise InvalidQuestionData("data", "must be an object")
    payload = {key: value for key, value in data.items() if key != "type"}
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        raise question_data_error(exc) from None
