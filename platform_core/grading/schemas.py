"""Pydantic models for the JSONB ``data`` of each question type (see QUESTIONS.md).

Keys are camelCase (``isCorrect``, ``acceptedAnswers``); snake_case names are accepted too. Unknown keys,
including the common ones (``prompt``, ``points``, ``maxAttempts``, ``penalty``, ``explanation``,
``status``), are ignored by the per-type models; :class:`QuestionSettings` validates the common keys.
Scalars are strict (``"true"`` is not a boolean, ``true`` is not a number) and numbers must be finite.
Besides shape, each model refuses a question that cannot be answered, raising :class:`InvalidQuestionData`
from a model validator so the error keeps a precise field path (see ``validation.py``).

Other modules validate a whole stored document (with its ``type`` key) through ``QUESTION_DATA_ADAPTER``
and turn a ``ValidationError`` into ``InvalidQuestionData`` with ``validation.question_data_error``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import Field, TypeAdapter, model_validator

from .choice import best_choice_score, correct_option_count
from .errors import InvalidQuestionData
from .fields import (
    FULL_MARKS,
    ORDERING_MODES,
    PLACEHOLDER,
    TOLERANCE_TYPES,
    Flag,
    Fraction,
    Id,
    Model,
    NonEmptyText,
    NonNegative,
    NumericValue,
    OptionFraction,
    OrderingMode,
    Positive,
    PositiveInt,
    Text,
    ToleranceType,
)

__all__ = [
    "MODELS",
    "ORDERING_MODES",
    "QUESTION_DATA_ADAPTER",
    "QUESTION_TYPES",
    "TOLERANCE_TYPES",
    "AcceptedAnswer",
    "Blank",
    "ChoiceOption",
    "FillInBlanksData",
    "MatchingData",
    "MatchingPair",
    "MultipleChoiceData",
    "NumericAnswer",
    "NumericData",
    "NumericSpec",
    "OrderingData",
    "OrderingItem",
    "QuestionData",
    "QuestionSettings",
    "ShortAnswerData",
    "TrueFalseData",
    "Unit",
]


def _check_unique_ids(ids: list[str], field: str, what: str) -> None:
    seen: set[str] = set()
    for index, ident in enumerate(ids):
        if ident in seen:
            raise InvalidQuestionData(f"{field}[{index}].id", f"duplicate {what} id '{ident}'")
        seen.add(ident)


class QuestionSettings(Model):
    """The keys every question has besides its type-specific data."""

    prompt: Text | None = None
    points: NonNegative = 1.0
    max_attempts: PositiveInt | None = None
    penalty: Fraction = 1 / 3
    explanation: Text | None = None
    status: Text | None = None


class ChoiceOption(Model):
    id: Id
    text: Text
    is_correct: Flag = False
    fraction: OptionFraction | None = None
    feedback: Text | None = None


class MultipleChoiceData(Model):
    type: Literal["multiple_choice"] = "multiple_choice"
    options: list[ChoiceOption]
    multiple_answers: Flag | None = None
    shuffle: Flag = False

    @property
    def is_multiple(self) -> bool:
        if self.multiple_answers is not None:
            return self.multiple_answers
        return correct_option_count(self.options) > 1

    @model_validator(mode="after")
    def _answerable(self) -> MultipleChoiceData:
        if not self.options:
            raise InvalidQuestionData("options", "must list at least one option")
        _check_unique_ids([o.id for o in self.options], "options", "option")
        best = best_choice_score(self.options, self.is_multiple)
        if best < FULL_MARKS:
            reason = f"no correct option: the best possible answer scores {best:g}"
            raise InvalidQuestionData("options", reason)
        return self


class TrueFalseData(Model):
    type: Literal["true_false"] = "true_false"
    correct_answer: Flag


class AcceptedAnswer(Model):
    """One short-answer entry; a plain string in the data means ``{text: s, fraction: 1}``."""

    text: NonEmptyText
    fraction: Fraction = 1.0
    feedback: Text | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, value: Any) -> Any:
        if isinstance(value, str):
            return {"text": value}
        if not isinstance(value, Mapping | AcceptedAnswer):
            raise ValueError("must be a string or an object with text and fraction")
        return value


def _check_accepted(answers: list[AcceptedAnswer], field: str) -> None:
    if not answers:
        raise InvalidQuestionData(field, "must list at least one accepted answer")
    if max(a.fraction for a in answers) < FULL_MARKS:
        raise InvalidQuestionData(field, "no entry gives full marks (fraction 1)")


class ShortAnswerData(Model):
    type: Literal["short_answer"] = "short_answer"
    accepted_answers: list[AcceptedAnswer]
    case_sensitive: Flag = False

    @model_validator(mode="after")
    def _answerable(self) -> ShortAnswerData:
        _check_accepted(self.accepted_answers, "acceptedAnswers")
        return self


class NumericAnswer(Model):
    value: NumericValue
    tolerance: NonNegative = 0.0
    tolerance_type: ToleranceType = "absolute"
    fraction: Fraction = 1.0
    feedback: Text | None = None


class Unit(Model):
    unit: NonEmptyText
    multiplier: Positive = 1.0  # how many of this unit make one base unit (m: 1, cm: 100)


class NumericSpec(Model):
    """Numeric answers, units and unit rules; the whole data of ``numeric`` and a numeric blank."""

    answers: list[NumericAnswer] | None = None
    answer: NumericValue | None = None
    tolerance: NonNegative | None = None
    tolerance_type: ToleranceType | None = None
    units: list[Unit] = Field(default_factory=list)
    unit_penalty: Fraction = 0.1
    units_required: Flag = True

    @property
    def effective_answers(self) -> tuple[NumericAnswer, ...]:
        """The answers list, or the short form ``answer``/``tolerance`` as a one-entry list."""
        if self.answers is not None:
            return tuple(self.answers)
        assert self.answer is not None  # guaranteed by the validator
        return (
            NumericAnswer(
                value=self.answer,
                tolerance=self.tolerance or 0.0,
                tolerance_type=self.tolerance_type or "absolute",
            ),
        )

    @model_validator(mode="after")
    def _answerable(self) -> NumericSpec:
        if self.answers is not None and self.answer is not None:
            raise InvalidQuestionData("answer", "give either answers or the short form answer, not both")
        if self.answers is None and self.answer is None:
            raise InvalidQuestionData("answers", "must list at least one accepted answer")
        if self.answers is not None:
            if not self.answers:
                raise InvalidQuestionData("answers", "must list at least one accepted answer")
            if max(a.fraction for a in self.answers) < FULL_MARKS:
                raise InvalidQuestionData("answers", "no entry gives full marks (fraction 1)")
        seen: set[str] = set()
        for index, unit in enumerate(self.units):
            name = " ".join(unit.unit.split())
            if name in seen:
                raise InvalidQuestionData(f"units[{index}].unit", f"duplicate unit '{name}'")
            seen.add(name)
        return self


class NumericData(NumericSpec):
    type: Literal["numeric"] = "numeric"


class MatchingPair(Model):
    id: Id
    prompt: Text
    answer: NonEmptyText
    feedback: Text | None = None


class MatchingData(Model):
    type: Literal["matching"] = "matching"
    pairs: list[MatchingPair]
    distractors: list[Text] = Field(default_factory=list)
    case_sensitive: Flag = False
    shuffle: Flag = False

    @model_validator(mode="after")
    def _answerable(self) -> MatchingData:
        if not self.pairs:
            raise InvalidQuestionData("pairs", "must list at least one pair")
        _check_unique_ids([p.id for p in self.pairs], "pairs", "pair")
        return self


class OrderingItem(Model):
    id: Id
    text: Text


class OrderingData(Model):
    type: Literal["ordering"] = "ordering"
    items: list[OrderingItem]
    grading_mode: OrderingMode = "absolute_position"

    @model_validator(mode="after")
    def _answerable(self) -> OrderingData:
        if not self.items:
            raise InvalidQuestionData("items", "must list at least one item")
        _check_unique_ids([i.id for i in self.items], "items", "item")
        return self


class Blank(Model):
    id: Id
    accepted_answers: list[AcceptedAnswer] | None = None
    numeric: NumericSpec | None = None
    case_sensitive: Flag = False
    weight: Positive = 1.0

    @model_validator(mode="after")
    def _answerable(self) -> Blank:
        if (self.accepted_answers is None) == (self.numeric is None):
            raise InvalidQuestionData("acceptedAnswers", "give exactly one of acceptedAnswers or numeric")
        if self.accepted_answers is not None:
            _check_accepted(self.accepted_answers, "acceptedAnswers")
        return self


class FillInBlanksData(Model):
    type: Literal["fill_in_blanks"] = "fill_in_blanks"
    text: Text
    blanks: list[Blank]

    @model_validator(mode="after")
    def _answerable(self) -> FillInBlanksData:
        if not self.blanks:
            raise InvalidQuestionData("blanks", "must list at least one blank")
        _check_unique_ids([b.id for b in self.blanks], "blanks", "blank")
        placeholders = PLACEHOLDER.findall(self.text)
        seen: set[str] = set()
        for name in placeholders:
            if name in seen:
                raise InvalidQuestionData("text", f"placeholder {{{name}}} appears more than once")
            seen.add(name)
        ids = {b.id for b in self.blanks}
        for index, blank in enumerate(self.blanks):
            if blank.id not in seen:
                raise InvalidQuestionData(f"blanks[{index}].id", f"no {{{blank.id}}} placeholder in text")
        for name in placeholders:
            if name not in ids:
                raise InvalidQuestionData("text", f"placeholder {{{name}}} has no matching blank")
        return self


QuestionData = Annotated[
    MultipleChoiceData
    | TrueFalseData
    | ShortAnswerData
    | NumericData
    | MatchingData
    | OrderingData
    | FillInBlanksData,
    Field(discriminator="type"),
]
#: Validates a whole ``data`` document that carries its ``type`` key (e.g. the JSONB column).
QUESTION_DATA_ADAPTER: TypeAdapter[Any] = TypeAdapter(QuestionData)

MODELS: dict[str, type[Model]] = {
    "multiple_choice": MultipleChoiceData,
    "true_false": TrueFalseData,
    "short_answer": ShortAnswerData,
    "numeric": NumericData,
    "matching": MatchingData,
    "ordering": OrderingData,
    "fill_in_blanks": FillInBlanksData,
}
QUESTION_TYPES: tuple[str, ...] = tuple(MODELS)
