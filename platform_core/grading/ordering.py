"""ordering: the nine grading modes of Moodle's qtype_ordering, as QUESTIONS.md defines them.

Notation: n items; ``pos[r]`` is the correct position of the item the learner put at position ``r``;
``where[c]`` is the learner's position of the item whose correct position is ``c``.

- all_or_nothing: 1 when every item is in place, else 0.
- absolute_position: items in their right place / n.
- relative_next_exclude_last: items (except the correct last) followed by their correct successor / (n-1).
- relative_next_include_last: the same, plus the correct last item counts when it is last / n.
- relative_one_previous_and_next: for each item, its immediate previous and next neighbours each count
  when right; "no previous" is right for an item first in both orders, "no next" likewise / 2n.
- relative_all_previous_and_next: every ordered pair of distinct items in the right relative order,
  counted from both sides / n(n-1) (so: concordant unordered pairs / (n(n-1)/2)).
- longest_ordered_subset: longest subsequence in correct relative order / n; a length of 1 scores 0.
- longest_contiguous_subset: longest run adjacent in the answer and consecutive in the correct order / n;
  a length of 1 scores 0. (Moodle's code does not require adjacency in the answer; QUESTIONS.md does.)
- relative_to_correct: each item scores max(0, (n-1) - |its position - its correct position|) / n(n-1).

A one-item ordering is trivially right: 1.0 in every mode (instead of dividing by zero).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from .choice import response_id
from .errors import InvalidResponse
from .result import Outcome

if TYPE_CHECKING:
    from .schemas import OrderingData

__all__ = ["MODE_SCORERS", "OrderingGrader", "score_ordering"]

Score = tuple[int, int]  # (earned, possible)


def _all_or_nothing(pos: Sequence[int]) -> Score:
    return (1 if all(p == r for r, p in enumerate(pos)) else 0), 1


def _absolute(pos: Sequence[int]) -> Score:
    return sum(1 for r, p in enumerate(pos) if p == r), len(pos)


def _where(pos: Sequence[int]) -> list[int]:
    where = [0] * len(pos)
    for r, p in enumerate(pos):
        where[p] = r
    return where


def _next_exclude_last(pos: Sequence[int]) -> Score:
    where, n = _where(pos), len(pos)
    return sum(1 for c in range(n - 1) if where[c + 1] == where[c] + 1), n - 1


def _next_include_last(pos: Sequence[int]) -> Score:
    earned, _ = _next_exclude_last(pos)
    n = len(pos)
    return earned + (1 if pos[n - 1] == n - 1 else 0), n


def _one_previous_and_next(pos: Sequence[int]) -> Score:
    n, earned = len(pos), 0
    for r, c in enumerate(pos):
        previous_ok = (r == 0) if c == 0 else (r > 0 and pos[r - 1] == c - 1)
        next_ok = (r == n - 1) if c == n - 1 else (r < n - 1 and pos[r + 1] == c + 1)
        earned += previous_ok + next_ok
    return earned, 2 * n


def _all_previous_and_next(pos: Sequence[int]) -> Score:
    n = len(pos)
    concordant = sum(1 for i in range(n) for j in range(i + 1, n) if pos[i] < pos[j])
    return 2 * concordant, n * (n - 1)


def _longest_ordered(pos: Sequence[int]) -> Score:
    tails: list[int] = []  # patience sorting: longest strictly increasing subsequence
    for p in pos:
        k = bisect_left(tails, p)
        if k == len(tails):
            tails.append(p)
        else:
            tails[k] = p
    length = len(tails)
    return (length if length > 1 else 0), len(pos)


def _longest_contiguous(pos: Sequence[int]) -> Score:
    best = run = 1
    for r in range(1, len(pos)):
        run = run + 1 if pos[r] == pos[r - 1] + 1 else 1
        best = max(best, run)
    return (best if best > 1 else 0), len(pos)


def _relative_to_correct(pos: Sequence[int]) -> Score:
    n = len(pos)
    return sum(max(0, (n - 1) - abs(r - c)) for r, c in enumerate(pos)), n * (n - 1)


MODE_SCORERS: dict[str, Callable[[Sequence[int]], Score]] = {
    "all_or_nothing": _all_or_nothing,
    "absolute_position": _absolute,
    "relative_next_exclude_last": _next_exclude_last,
    "relative_next_include_last": _next_include_last,
    "relative_one_previous_and_next": _one_previous_and_next,
    "relative_all_previous_and_next": _all_previous_and_next,
    "longest_ordered_subset": _longest_ordered,
    "longest_contiguous_subset": _longest_contiguous,
    "relative_to_correct": _relative_to_correct,
}


def score_ordering(pos: Sequence[int], mode: str) -> Score:
    """(earned, possible) for a permutation ``pos`` of ``range(n)``; n = 1 is (1, 1)."""
    if len(pos) == 1:
        return 1, 1
    return MODE_SCORERS[mode](pos)


class OrderingGrader:
    def __init__(self, data: OrderingData) -> None:
        self.mode = data.grading_mode
        self.items = {item.id: item for item in data.items}
        self.index = {item.id: c for c, item in enumerate(data.items)}

    def _positions(self, response: Any) -> list[int]:
        if not isinstance(response, list | tuple):
            raise InvalidResponse("response", "expected a list of item ids")
        pos: list[int] = []
        seen: set[str] = set()
        for r, value in enumerate(response):
            field = f"response[{r}]"
            item_id = response_id(value, field, "an item")
            if item_id not in self.index:
                raise InvalidResponse(field, f"unknown item id '{item_id}'")
            if item_id in seen:
                raise InvalidResponse(field, f"item '{item_id}' is listed more than once")
            seen.add(item_id)
            pos.append(self.index[item_id])
        missing = [i for i in self.index if i not in seen]
        if missing:
            reason = f"every item must be listed exactly once; missing: {', '.join(missing)}"
            raise InvalidResponse("response", reason)
        return pos

    def grade(self, response: Any) -> Outcome:
        pos = self._positions(response)
        earned, possible = score_ordering(pos, self.mode)
        fraction = earned / possible
        ids = list(self.index)
        items = [
            {"id": ids[c], "position": r, "correct_position": c, "in_place": r == c}
            for r, c in enumerate(pos)
        ]
        misplaced = [f"'{self.items[it['id']].text}' ({it['id']})" for it in items if not it["in_place"]]
        if not misplaced:
            feedback = "Correct: every item is in the right place."
        else:
            feedback = (
                f"{len(misplaced)} of {len(pos)} items are out of place: {', '.join(misplaced)}. "
                f"Score {earned}/{possible} ({self.mode.replace('_', ' ')})."
            )
        details = {"mode": self.mode, "earned": earned, "possible": possible, "items": items}
        return Outcome(fraction, feedback, details)
