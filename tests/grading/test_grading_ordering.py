"""ordering: the nine grading modes on hand-computed examples.

Items A..E are in the correct order A B C D E (correct positions 0..4). For each response, ``pos`` lists
the correct position of the item the learner put at each place.
"""

from __future__ import annotations

from typing import Any

import pytest

from platform_core.grading import ORDERING_MODES, InvalidQuestionData, InvalidResponse, grade_response
from platform_core.grading.ordering import score_ordering

ITEMS = [{"id": x, "text": f"Item {x.upper()}"} for x in "abcde"]


def data(mode: str | None, items: list[dict[str, str]] = ITEMS) -> dict[str, Any]:
    d: dict[str, Any] = {"items": items}
    if mode is not None:
        d["gradingMode"] = mode
    return d


# Response A B D C E: pos = [0, 1, 3, 2, 4]
#  all_or_nothing: not all in place -> 0
#  absolute_position: A, B, E in place -> 3/5
#  relative_next_exclude_last: A->B yes; B->C no (C is 2 places on); C->D no (D is before C);
#      D->E no -> 1/4
#  relative_next_include_last: 1 + (E is last) = 2/5
#  relative_one_previous_and_next: A prev(none, first)+ next(B)+ = 2; B prev(A)+ next(C)- = 1; D 0; C 0;
#      E prev(D)- next(none, last)+ = 1 -> 4/10
#  relative_all_previous_and_next: 10 unordered pairs, only (D, C) discordant -> 9 x 2 / 20 = 18/20
#  longest_ordered_subset: A B C E (or A B D E) -> 4/5
#  longest_contiguous_subset: runs adjacent in the answer and consecutive in the correct order: A B -> 2/5
#  relative_to_correct: distances 0,0,1,1,0 -> scores 4,4,3,3,4 = 18 / (5 x 4) = 18/20
SWAP_MIDDLE = ["a", "b", "d", "c", "e"]
# Response E D C B A: pos = [4, 3, 2, 1, 0]
#  absolute: C only -> 1/5; next modes: 0; one_previous_and_next: no neighbour right -> 0; all pairs
#  discordant -> 0; longest subsets have length 1 -> 0;
#  relative_to_correct: distances 4,2,0,2,4 -> scores 0,2,4,2,0 = 8/20
REVERSED = ["e", "d", "c", "b", "a"]
# Response C D E A B: pos = [2, 3, 4, 0, 1]
#  absolute: none -> 0
#  next_exclude_last: A->B yes, B->C no, C->D yes, D->E yes -> 3/4
#  next_include_last: 3 + (E last? no) = 3/5
#  one_previous_and_next: C prev- next(D)+ = 1; D prev(C)+ next(E)+ = 2; E prev(D)+ next(none)- = 1;
#      A prev(none)- next(B)+ = 1; B prev(A)+ next(C)- = 1 -> 6/10
#  all_previous_and_next: concordant pairs: CD CE DE AB = 4 of 10 -> 8/20
#  longest_ordered_subset: C D E -> 3/5; longest_contiguous_subset: C D E -> 3/5
#  relative_to_correct: distances 2,2,2,3,3 -> scores 2,2,2,1,1 = 8/20
ROTATED = ["c", "d", "e", "a", "b"]
# Response A C B D E: pos = [0, 2, 1, 3, 4]; longest contiguous: D E (A, B are not adjacent in the answer, so
# QUESTIONS.md does not count A B, unlike Moodle's code) -> 2/5; longest ordered A B D E -> 4/5.
SPLIT = ["a", "c", "b", "d", "e"]

EXPECTED = {
    "all_or_nothing": {"SWAP_MIDDLE": 0, "REVERSED": 0, "ROTATED": 0, "SPLIT": 0},
    "absolute_position": {"SWAP_MIDDLE": 3 / 5, "REVERSED": 1 / 5, "ROTATED": 0, "SPLIT": 3 / 5},
    "relative_next_exclude_last": {"SWAP_MIDDLE": 1 / 4, "REVERSED": 0, "ROTATED": 3 / 4, "SPLIT": 1 / 4},
    "relative_next_include_last": {"SWAP_MIDDLE": 2 / 5, "REVERSED": 0, "ROTATED": 3 / 5, "SPLIT": 2 / 5},
    "relative_one_previous_and_next": {
        "SWAP_MIDDLE": 4 / 10,
        "REVERSED": 0,
        "ROTATED": 6 / 10,
        "SPLIT": 4 / 10,
    },
    "relative_all_previous_and_next": {
        "SWAP_MIDDLE": 18 / 20,
        "REVERSED": 0,
        "ROTATED": 8 / 20,
        "SPLIT": 18 / 20,
    },
    "longest_ordered_subset": {"SWAP_MIDDLE": 4 / 5, "REVERSED": 0, "ROTATED": 3 / 5, "SPLIT": 4 / 5},
    "longest_contiguous_subset": {"SWAP_MIDDLE": 2 / 5, "REVERSED": 0, "ROTATED": 3 / 5, "SPLIT": 2 / 5},
    "relative_to_correct": {"SWAP_MIDDLE": 18 / 20, "REVERSED": 8 / 20, "ROTATED": 8 / 20, "SPLIT": 18 / 20},
}
# SPLIT by hand: next_exclude_last: A->B no, B->C no, C->D no, D->E yes = 1/4; include_last 2/5;
#  one_previous_and_next: A 1 (prev only), C 0, B 0, D prev(C)? prev is B -> no, next E yes = 1, E 2 -> 4/10;
#  all pairs: only (C, B) discordant -> 18/20; relative_to_correct: distances 0,1,1,0,0 -> 4,3,3,4,4 = 18/20.
RESPONSES = {"SWAP_MIDDLE": SWAP_MIDDLE, "REVERSED": REVERSED, "ROTATED": ROTATED, "SPLIT": SPLIT}


def test_every_mode_is_covered() -> None:
    assert set(EXPECTED) == set(ORDERING_MODES)
    assert len(ORDERING_MODES) == 9


@pytest.mark.parametrize("mode", ORDERING_MODES)
@pytest.mark.parametrize("name", list(RESPONSES))
def test_modes_on_hand_computed_examples(mode: str, name: str) -> None:
    result = grade_response("ordering", data(mode), RESPONSES[name])
    assert result.fraction == pytest.approx(EXPECTED[mode][name], abs=1e-12)


@pytest.mark.parametrize("mode", ORDERING_MODES)
def test_correct_order_scores_one_in_every_mode(mode: str) -> None:
    result = grade_response("ordering", data(mode), list("abcde"))
    assert result.fraction == 1.0
    assert result.is_correct
    assert result.feedback == "Correct: every item is in the right place."


@pytest.mark.parametrize("mode", ORDERING_MODES)
def test_single_item_is_trivially_correct(mode: str) -> None:
    assert grade_response("ordering", data(mode, [{"id": "x", "text": "X"}]), ["x"]).fraction == 1.0


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        # two items swapped: pos = [1, 0]
        ("all_or_nothing", 0.0),
        ("absolute_position", 0.0),
        ("relative_next_exclude_last", 0.0),  # A->B? no; / 1
        ("relative_next_include_last", 0.0),  # B last? no; / 2
        ("relative_one_previous_and_next", 0.0),  # no end or neighbour right / 4
        ("relative_all_previous_and_next", 0.0),
        ("longest_ordered_subset", 0.0),
        ("longest_contiguous_subset", 0.0),
        ("relative_to_correct", 0.0),  # (n-1) - 1 = 0 for both
    ],
)
def test_two_items_swapped(mode: str, expected: float) -> None:
    two = [{"id": "a", "text": "A"}, {"id": "b", "text": "B"}]
    assert grade_response("ordering", data(mode, two), ["b", "a"]).fraction == expected


def test_default_mode_is_absolute_position() -> None:
    result = grade_response("ordering", data(None), SWAP_MIDDLE)
    assert result.fraction == pytest.approx(0.6)
    assert result.details["mode"] == "absolute_position"


def test_score_ordering_returns_raw_counts() -> None:
    assert score_ordering([0, 1, 3, 2, 4], "relative_all_previous_and_next") == (18, 20)
    assert score_ordering([2, 3, 4, 0, 1], "relative_one_previous_and_next") == (6, 10)
    assert score_ordering([0], "longest_contiguous_subset") == (1, 1)


def test_feedback_lists_items_out_of_place_and_details() -> None:
    result = grade_response("ordering", data("relative_to_correct"), SWAP_MIDDLE)
    assert result.feedback == (
        "2 of 5 items are out of place: 'Item D' (d), 'Item C' (c). Score 18/20 (relative to correct)."
    )
    assert result.details["earned"] == 18
    assert result.details["possible"] == 20
    assert result.details["items"][2] == {"id": "d", "position": 2, "correct_position": 3, "in_place": False}
    assert [item["in_place"] for item in result.details["items"]] == [True, True, False, False, True]


def test_tuple_and_integer_ids() -> None:
    items = [{"id": 1, "text": "one"}, {"id": 2, "text": "two"}]
    assert grade_response("ordering", data(None, items), (1, 2)).fraction == 1.0
    assert grade_response("ordering", data(None, items), ["2", "1"]).fraction == 0.0


@pytest.mark.parametrize(
    ("response", "field", "reason_part"),
    [
        ("abcde", "response", "expected a list"),
        ({"a": 0}, "response", "expected a list"),
        (None, "response", "expected a list"),
        (["a", "b", "c", "d"], "response", "missing: e"),
        (["a", "b", "c", "d", "e", "a"], "response[5]", "more than once"),
        (["a", "b", "b", "d", "e"], "response[2]", "more than once"),
        (["a", "b", "c", "d", "z"], "response[4]", "unknown item id 'z'"),
        (["a", "b", None, "d", "e"], "response[2]", "expected an item id"),
        ([], "response", "missing: a, b, c, d, e"),
    ],
)
def test_invalid_responses(response: Any, field: str, reason_part: str) -> None:
    with pytest.raises(InvalidResponse) as info:
        grade_response("ordering", data(None), response)
    assert info.value.field == field
    assert reason_part in info.value.reason


@pytest.mark.parametrize(
    ("bad", "field", "reason_part"),
    [
        ({"items": []}, "items", "at least one item"),
        ({}, "items", "is required"),
        (
            {"items": [{"id": "a", "text": "A"}, {"id": "a", "text": "B"}]},
            "items[1].id",
            "duplicate item id 'a'",
        ),
        ({"items": ITEMS, "gradingMode": "best_effort"}, "gradingMode", "'all_or_nothing'"),
        ({"items": [{"id": "a"}]}, "items[0].text", "is required"),
    ],
)
def test_invalid_data(bad: dict[str, Any], field: str, reason_part: str) -> None:
    with pytest.raises(InvalidQuestionData) as info:
        grade_response("ordering", bad, ["a"])
    assert info.value.field == field
    assert reason_part in info.value.reason
