"""matching: each pair's chosen answer text is compared with its own answer.

Score = correct pairs / number of pairs. A pair that is missing, ``None`` or blank is wrong; choosing a
distractor (or another pair's answer) is simply wrong. Comparison uses the shared text normalisation and
is case-insensitive unless ``caseSensitive`` is set.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .errors import InvalidResponse
from .result import Outcome
from .text import coerce_text, normalize

if TYPE_CHECKING:
    from .schemas import MatchingData

__all__ = ["MatchingGrader", "object_response"]


def object_response(response: Any, known: Mapping[str, Any], what: str) -> dict[str, Any]:
    """Check an object response keyed by ids (pair or blank ids): a mapping with known string keys."""
    if not isinstance(response, Mapping):
        raise InvalidResponse("response", f"expected an object mapping {what} ids to answers")
    checked: dict[str, Any] = {}
    for key, value in response.items():
        name = str(key) if isinstance(key, int) and not isinstance(key, bool) else key
        if not isinstance(name, str):
            raise InvalidResponse("response", f"{what} ids must be strings, got {type(key).__name__}")
        if name not in known:
            raise InvalidResponse(f"response.{name}", f"unknown {what} id '{name}'")
        if name in checked:
            raise InvalidResponse(f"response.{name}", f"{what} '{name}' is answered more than once")
        checked[name] = value
    return checked


class MatchingGrader:
    def __init__(self, data: MatchingData) -> None:
        self.case_sensitive = data.case_sensitive
        self.pairs = {p.id: p for p in data.pairs}
        self.expected = {p.id: normalize(p.answer, data.case_sensitive) for p in data.pairs}

    def grade(self, response: Any) -> Outcome:
        answers = object_response(response, self.pairs, "pair")
        per_pair: dict[str, bool] = {}
        wrong: list[str] = []
        unanswered: list[str] = []
        for pair_id, expected in self.expected.items():
            text = coerce_text(answers.get(pair_id), f"response.{pair_id}")
            if text is None or not text.strip():
                per_pair[pair_id] = False
                unanswered.append(pair_id)
                continue
            per_pair[pair_id] = normalize(text, self.case_sensitive) == expected
            if not per_pair[pair_id]:
                wrong.append(pair_id)
        right = sum(per_pair.values())
        total = len(per_pair)
        if right == total:
            sentences = ["Correct: every pair is matched."]
        else:
            sentences = [f"{right} of {total} pairs are matched correctly."]
        if wrong:
            sentences.append("Wrong: " + ", ".join(self._label(p) for p in sorted(wrong)) + ".")
        if unanswered:
            sentences.append("Unanswered: " + ", ".join(self._label(p) for p in sorted(unanswered)) + ".")
        sentences.extend(self.pairs[p].feedback or "" for p in sorted(wrong))
        details = {"pairs": per_pair, "correct_count": right, "pair_count": total}
        return Outcome(right / total, " ".join(s for s in sentences if s), details)

    def _label(self, pair_id: str) -> str:
        prompt = self.pairs[pair_id].prompt.strip()
        return f"'{prompt}' ({pair_id})" if prompt else pair_id
