"""short_answer: ordered accepted answers with ``*`` wildcards.

A pattern matches the *whole* normalised response. ``*`` matches any run of characters (including none
and spaces); ``\\*`` is a literal asterisk; every other character, a backslash included, is literal. There
are no regular expressions: patterns are split into literal chunks and matched with ``startswith`` /
``find`` / ``endswith``, which is linear-ish and immune to catastrophic backtracking on long input.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import InvalidResponse
from .result import Outcome
from .text import coerce_text, normalize

if TYPE_CHECKING:
    from .schemas import AcceptedAnswer, ShortAnswerData

__all__ = ["AcceptedAnswerMatcher", "Pattern", "ShortAnswerGrader", "compile_pattern"]


@dataclass(frozen=True, slots=True)
class Pattern:
    """Literal chunks around wildcards: ``"a*b*c"`` -> ``("a", "b", "c")``; no wildcard -> one chunk."""

    chunks: tuple[str, ...]

    def matches(self, text: str) -> bool:
        chunks = self.chunks
        if len(chunks) == 1:
            return text == chunks[0]
        first, last = chunks[0], chunks[-1]
        if len(text) < len(first) + len(last) or not text.startswith(first) or not text.endswith(last):
            return False
        # Greedy leftmost search for the middle chunks is exact for patterns whose only wildcard is "*".
        position, end = len(first), len(text) - len(last)
        for chunk in chunks[1:-1]:
            found = text.find(chunk, position, end)
            if found < 0:
                return False
            position = found + len(chunk)
        return True


def compile_pattern(pattern: str, case_sensitive: bool) -> Pattern:
    """Normalise ``pattern`` like a response, then split it on unescaped ``*``."""
    text = normalize(pattern, case_sensitive)
    chunks: list[str] = []
    current: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\\" and text.startswith("*", index + 1):
            current.append("*")
            index += 2
            continue
        if char == "*":
            chunks.append("".join(current))
            current = []
        else:
            current.append(char)
        index += 1
    chunks.append("".join(current))
    return Pattern(tuple(chunks))


class AcceptedAnswerMatcher:
    """The ordered entries of a short answer (or a text blank); the first match wins."""

    def __init__(self, answers: Sequence[AcceptedAnswer], case_sensitive: bool) -> None:
        self.case_sensitive = case_sensitive
        self.entries = tuple(
            (compile_pattern(a.text, case_sensitive), a.fraction, a.feedback, a.text) for a in answers
        )

    def grade_text(self, text: str | None) -> Outcome:
        """Grade already-coerced text; ``None`` or blank text is an empty answer scoring 0."""
        if text is None or not text.strip():
            return Outcome(0.0, "No answer was given.", {"matched_index": None, "response": text or ""})
        normalised = normalize(text, self.case_sensitive)
        for index, (pattern, fraction, feedback, source) in enumerate(self.entries):
            if pattern.matches(normalised):
                if fraction >= 1:
                    sentence = f"Correct: your answer matches accepted answer {index + 1}."
                elif fraction > 0:
                    sentence = (
                        f"Partly right: your answer matches accepted answer {index + 1}, "
                        f"worth {fraction:.0%}."
                    )
                else:
                    sentence = "Your answer is wrong."
                if feedback:
                    sentence = f"{sentence} {feedback}"
                details = {
                    "matched_index": index,
                    "matched_text": source,
                    "entry_fraction": fraction,
                    "response": normalised,
                }
                return Outcome(fraction, sentence, details)
        return Outcome(
            0.0,
            "Your answer does not match any accepted answer.",
            {"matched_index": None, "response": normalised},
        )


class ShortAnswerGrader:
    def __init__(self, data: ShortAnswerData) -> None:
        self.matcher = AcceptedAnswerMatcher(data.accepted_answers, data.case_sensitive)

    def grade(self, response: Any) -> Outcome:
        text = coerce_text(response, "response")
        if text is None:
            raise InvalidResponse("response", "expected text, got null")
        return self.matcher.grade_text(text)
