"""Property tests: bounds, correct answers, permutation invariance, determinism, for every type."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from platform_core.grading import (
    DEFAULT_LETTER_SCALE,
    GRADING_METHODS,
    ORDERING_MODES,
    final_fraction,
    grade_response,
    letter_grade,
)

FAST = settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

LETTERS = "abcXYZßẞéÉ-"
words = st.text(alphabet=LETTERS, min_size=1, max_size=6)
spaces = st.sampled_from(["", " ", "  ", "\t", "\n "])


def check_bounds(result: Any) -> None:
    assert 0.0 <= result.fraction <= 1.0
    assert result.is_correct == (result.fraction == 1.0)
    assert isinstance(result.feedback, str) and result.feedback


def grade_twice(question_type: str, data: dict[str, Any], response: Any) -> Any:
    """Grade on deep copies twice: same inputs must give equal results (determinism, no mutation)."""
    first = grade_response(question_type, copy.deepcopy(data), copy.deepcopy(response))
    second = grade_response(question_type, copy.deepcopy(data), copy.deepcopy(response))
    assert first == second
    check_bounds(first)
    return first


# ---------------------------------------------------------------- multiple choice
@st.composite
def multiple_choice(draw: st.DrawFn) -> tuple[dict[str, Any], bool]:
    n = draw(st.integers(1, 7))
    correct = draw(st.sets(st.integers(0, n - 1), min_size=1))
    multiple = draw(st.sampled_from([None, True, False]))
    options = []
    for i in range(n):
        option: dict[str, Any] = {"id": f"o{i}", "text": f"Option {i}", "isCorrect": i in correct}
        if i not in correct and draw(st.booleans()):
            option["fraction"] = draw(st.floats(-1, 0))  # explicit penalties on wrong options
        options.append(option)
    data: dict[str, Any] = {"options": options}
    if multiple is not None:
        data["multipleAnswers"] = multiple
    is_multiple = multiple if multiple is not None else len(correct) > 1
    return data, is_multiple


def correct_ids(data: dict[str, Any]) -> list[str]:
    return [o["id"] for o in data["options"] if o["isCorrect"]]


@FAST
@given(multiple_choice(), st.data())
def test_multiple_choice_properties(question: tuple[dict[str, Any], bool], draw: st.DataObject) -> None:
    data, is_multiple = question
    ids = [o["id"] for o in data["options"]]
    right = correct_ids(data)
    best = right if is_multiple else draw.draw(st.sampled_from(right))
    assert grade_twice("multiple_choice", data, best).fraction == 1.0
    if is_multiple:
        response: Any = draw.draw(st.lists(st.sampled_from(ids), unique=True))
    else:
        response = draw.draw(st.sampled_from(ids))
    result = grade_twice("multiple_choice", data, response)
    permuted = {**data, "options": draw.draw(st.permutations(data["options"]))}
    again = grade_twice("multiple_choice", permuted, response)
    assert again.fraction == result.fraction
    assert again.feedback == result.feedback
    if is_multiple:  # the order of the learner's ticks cannot matter either
        shuffled = draw.draw(st.permutations(response))
        assert grade_twice("multiple_choice", data, shuffled).fraction == result.fraction


@FAST
@given(st.booleans(), st.sampled_from([True, False, "true", "false", "TRUE", " False "]))
def test_true_false_properties(answer: bool, response: Any) -> None:
    assert grade_twice("true_false", {"correctAnswer": answer}, answer).fraction == 1.0
    grade_twice("true_false", {"correctAnswer": answer}, response)


# ---------------------------------------------------------------- short answer
token = st.one_of(
    words.map(lambda w: ("lit", w)),
    st.just(("star", "*")),
    st.just(("lstar", "\\*")),
    spaces.filter(bool).map(lambda s: ("lit", s)),
)


@st.composite
def pattern_and_match(draw: st.DrawFn, case_sensitive: bool) -> tuple[str, str]:
    """A pattern (tokens) and a response built to match it (wildcards filled in, case and spacing varied)."""
    tokens = draw(
        st.lists(token, min_size=1, max_size=6).filter(
            lambda ts: any(k != "star" and t.strip() for k, t in ts)
        )
    )
    pattern = "".join(text for _, text in tokens)
    parts = []
    for kind, text in tokens:
        if kind == "star":
            # A non-empty run: an empty one next to a space in the pattern is undone by space collapsing
            # (the unit tests cover "*" matching nothing).
            parts.append(draw(st.text(alphabet=LETTERS, min_size=1, max_size=4)))
        elif kind == "lstar":
            parts.append("*")
        else:
            parts.append(
                text if case_sensitive else draw(st.sampled_from([text, text.upper(), text.lower()]))
            )
    response = draw(spaces) + "".join(parts) + draw(spaces)
    return pattern, response


@FAST
@given(st.booleans(), st.data())
def test_short_answer_properties(case_sensitive: bool, draw: st.DataObject) -> None:
    pattern, response = draw.draw(pattern_and_match(case_sensitive))
    others = draw.draw(st.lists(st.tuples(words, st.floats(0, 1)), max_size=3))
    data = {
        "acceptedAnswers": [pattern] + [{"text": t, "fraction": f} for t, f in others],
        "caseSensitive": case_sensitive,
    }
    assert grade_twice("short_answer", data, response).fraction == 1.0
    arbitrary = draw.draw(st.text(alphabet=LETTERS + " *\\", max_size=12))
    grade_twice("short_answer", data, arbitrary)


# ---------------------------------------------------------------- numeric
finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)


@st.composite
def numeric_answer(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["absolute", "relative", "geometric"]))
    return {"value": draw(finite), "tolerance": draw(st.floats(0, 2)), "toleranceType": kind}


UNITS = [
    {"unit": "m", "multiplier": 1},
    {"unit": "cm", "multiplier": 100},
    {"unit": "km", "multiplier": 0.001},
]


@FAST
@given(numeric_answer(), st.booleans(), st.data())
def test_numeric_properties(answer: dict[str, Any], with_units: bool, draw: st.DataObject) -> None:
    data: dict[str, Any] = {"answers": [answer]}
    value = answer["value"]
    responses: list[Any] = [value, repr(value), repr(value).replace(".", ",")]
    if with_units:
        data["units"] = UNITS
        unit = draw.draw(st.sampled_from(UNITS))
        responses = [f"{value * unit['multiplier']!r} {unit['unit']}", f"{value!r}m"]
    for response in responses:
        assert grade_twice("numeric", data, response).fraction == 1.0, response
    arbitrary = draw.draw(
        st.one_of(finite, finite.map(repr), st.text(alphabet="0123456789.,e- cmk", max_size=8))
    )
    grade_twice("numeric", data, arbitrary)


# ---------------------------------------------------------------- matching
@st.composite
def matching(draw: st.DrawFn) -> dict[str, Any]:
    answers = draw(st.lists(words, min_size=1, max_size=6))
    return {
        "pairs": [{"id": f"p{i}", "prompt": f"Prompt {i}", "answer": a} for i, a in enumerate(answers)],
        "distractors": draw(st.lists(words, max_size=3)),
        "caseSensitive": draw(st.booleans()),
    }


@FAST
@given(matching(), st.data())
def test_matching_properties(data: dict[str, Any], draw: st.DataObject) -> None:
    correct = {p["id"]: draw.draw(spaces) + p["answer"] + draw.draw(spaces) for p in data["pairs"]}
    assert grade_twice("matching", data, correct).fraction == 1.0
    choices = [p["answer"] for p in data["pairs"]] + data["distractors"] + ["", None]
    response = {
        p["id"]: draw.draw(st.sampled_from(choices)) for p in data["pairs"] if draw.draw(st.booleans())
    }
    result = grade_twice("matching", data, response)
    permuted = {**data, "pairs": draw.draw(st.permutations(data["pairs"]))}
    reordered = dict(draw.draw(st.permutations(list(response.items()))))
    again = grade_twice("matching", permuted, reordered)
    assert again.fraction == result.fraction
    assert again.feedback == result.feedback


# ---------------------------------------------------------------- ordering
@FAST
@given(st.integers(1, 8), st.sampled_from(ORDERING_MODES), st.data())
def test_ordering_properties(n: int, mode: str, draw: st.DataObject) -> None:
    items = [{"id": f"i{k}", "text": f"Item {k}"} for k in range(n)]
    data = {"items": items, "gradingMode": mode}
    ids = [item["id"] for item in items]
    assert grade_twice("ordering", data, ids).fraction == 1.0
    response = draw.draw(st.permutations(ids))
    result = grade_twice("ordering", data, response)
    if response != ids and n > 1:
        assert result.fraction < 1.0  # only the correct order earns full marks, in every mode
    absolute = grade_response("ordering", {"items": items}, response)
    assert absolute.fraction == sum(a == b for a, b in zip(response, ids, strict=True)) / n


# ---------------------------------------------------------------- fill in blanks
@st.composite
def fill_in_blanks(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    n = draw(st.integers(1, 5))
    blanks, correct = [], {}
    for i in range(n):
        weight = draw(st.floats(0.1, 10))
        if draw(st.booleans()):
            word = draw(words)
            blanks.append({"id": f"b{i}", "acceptedAnswers": [word], "weight": weight})
            correct[f"b{i}"] = word
        else:
            value = draw(finite)
            blanks.append({"id": f"b{i}", "numeric": {"answer": value}, "weight": weight})
            correct[f"b{i}"] = draw(st.sampled_from([value, repr(value)]))
    text = " ".join(f"{{b{i}}}" for i in range(n))
    return {"text": text, "blanks": blanks}, correct


@FAST
@given(fill_in_blanks(), st.data())
def test_fill_in_blanks_properties(
    question: tuple[dict[str, Any], dict[str, Any]], draw: st.DataObject
) -> None:
    data, correct = question
    assert grade_twice("fill_in_blanks", data, correct).fraction == 1.0
    response = {
        key: draw.draw(st.one_of(st.just(value), words, st.none(), st.just("")))
        for key, value in correct.items()
        if draw.draw(st.booleans())
    }
    result = grade_twice("fill_in_blanks", data, response)
    permuted = {**data, "blanks": draw.draw(st.permutations(data["blanks"]))}
    assert grade_twice("fill_in_blanks", permuted, response).fraction == result.fraction


# ---------------------------------------------------------------- methods and letters
fractions = st.lists(st.floats(0, 1), max_size=8)


@FAST
@given(fractions, st.sampled_from(GRADING_METHODS), st.floats(0, 1))
def test_final_fraction_properties(values: list[float], method: str, penalty: float) -> None:
    result = final_fraction(values, method=method, penalty=penalty)
    assert 0.0 <= result <= 1.0
    assert result == final_fraction(values, method=method, penalty=penalty)
    if values:
        assert result <= max(values) + 1e-12  # no method can beat the best attempt


@FAST
@given(st.floats(-50, 150, allow_nan=False), st.floats(-50, 150, allow_nan=False))
def test_letter_grade_is_monotonic(a: float, b: float) -> None:
    order = [letter for letter, _ in reversed(DEFAULT_LETTER_SCALE)]
    low, high = sorted((a, b))
    assert order.index(letter_grade(low)) <= order.index(letter_grade(high))
