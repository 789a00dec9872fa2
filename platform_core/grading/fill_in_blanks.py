"""fill_in_blanks: each blank is graded by the short_answer or numeric rules.

Score = Σ(blank fraction × weight) / Σ weight (``math.fsum``, so the order of blanks cannot matter). A
missing, ``None`` or blank-text answer scores 0 for that blank.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from .matching import object_response
from .numeric import NumericGrader
from .result import Outcome
from .short_answer import AcceptedAnswerMatcher
from .text import coerce_text

if TYPE_CHECKING:
    from .schemas import Blank, FillInBlanksData

__all__ = ["FillInBlanksGrader"]


class _BlankGrader:
    def __init__(self, blank: Blank) -> None:
        self.weight = blank.weight
        self.numeric = NumericGrader(blank.numeric) if blank.numeric is not None else None
        self.text = (
            AcceptedAnswerMatcher(blank.accepted_answers, blank.case_sensitive)
            if blank.accepted_answers is not None
            else None
        )

    def grade(self, value: Any, field: str) -> Outcome:
        if value is None or (isinstance(value, str) and not value.strip()):
            return Outcome(0.0, "No answer was given.", {})
        if self.numeric is not None:
            return self.numeric.grade(value, field)
        assert self.text is not None
        return self.text.grade_text(coerce_text(value, field))


class FillInBlanksGrader:
    def __init__(self, data: FillInBlanksData) -> None:
        self.blanks = {blank.id: _BlankGrader(blank) for blank in data.blanks}
        self.total_weight = math.fsum(b.weight for b in self.blanks.values())

    def grade(self, response: Any) -> Outcome:
        answers = object_response(response, self.blanks, "blank")
        per_blank: dict[str, dict[str, Any]] = {}
        feedback: dict[str, str] = {}
        sentences: list[str] = []
        for blank_id, grader in self.blanks.items():
            outcome = grader.grade(answers.get(blank_id), f"response.{blank_id}")
            fraction = min(1.0, max(0.0, outcome.fraction))
            per_blank[blank_id] = {"fraction": fraction, "weight": grader.weight, **outcome.details}
            feedback[blank_id] = outcome.feedback
        earned = math.fsum(b["fraction"] * b["weight"] for b in per_blank.values())
        fraction = earned / self.total_weight
        right = sorted(b for b, d in per_blank.items() if d["fraction"] >= 1)
        if len(right) == len(per_blank):
            sentences.append("Correct: every blank is right.")
        else:
            sentences.append(f"{len(right)} of {len(per_blank)} blanks are right.")
            sentences.extend(
                f"Blank {{{blank_id}}}: {feedback[blank_id]}"
                for blank_id in sorted(per_blank)
                if per_blank[blank_id]["fraction"] < 1
            )
        details = {"blanks": per_blank, "total_weight": self.total_weight}
        return Outcome(fraction, " ".join(sentences), details)
