"""Errors raised by the grading engine.

Both carry the dotted path of the offending field (``options[2].fraction``, ``response[1]``) and a
human reason, so an API layer can show ``str(error)`` as is or map ``.field`` onto a form control.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["GradingError", "InvalidQuestionData", "InvalidResponse", "join_path"]


def join_path(prefix: str, field: str) -> str:
    """Join two dotted paths: ``join_path("blanks[1]", "answers")`` -> ``"blanks[1].answers"``."""
    if not prefix:
        return field
    if not field:
        return prefix
    if field.startswith("["):
        return prefix + field
    return f"{prefix}.{field}"


class GradingError(ValueError):
    """Base class: a ``ValueError`` that names a field and the reason it was refused."""

    def __init__(self, field: str, reason: str, problems: Sequence[tuple[str, str]] | None = None) -> None:
        super().__init__(field, reason)
        self.field = field
        self.reason = reason
        # Every problem found, first one repeated; lets a form show all of them at once.
        self.problems: tuple[tuple[str, str], ...] = tuple(problems) if problems else ((field, reason),)

    def __str__(self) -> str:
        return f"{self.field}: {self.reason}" if self.field else self.reason

    def __reduce__(self) -> tuple[type[GradingError], tuple[str, str, tuple[tuple[str, str], ...]]]:
        return (type(self), (self.field, self.reason, self.problems))


class InvalidQuestionData(GradingError):
    """The question's ``data`` (or its type) is malformed, or the question cannot be answered."""


class InvalidResponse(GradingError):
    """The learner's response has the wrong shape (a well-formed wrong answer is not an error)."""
