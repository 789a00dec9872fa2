"""Grading throughput per question type, as ratios to trivial baselines measured in the same run.

Usage: .venv/bin/python bench/bench_grading.py [--seconds S] [--json]

For each type a realistic mix of right, partly right, wrong and unreadable responses is graded through the
public ``grade_response`` for about S seconds. Columns: responses graded per second; slowdown against the
fastest baseline (a no-op call through a dispatch dict, standing in for the cheapest possible "grader");
slowdown against true_false (the cheapest real type); validations per second of the question data alone
(what a first, uncached grade also pays); and the peak traced memory of grading the mix once
(tracemalloc, measured in a separate pass because tracing slows everything down). No assertions.
"""

from __future__ import annotations

import argparse
import json
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

from platform_core.grading import grade_response, validate_question_data

Case = tuple[dict[str, Any], Any]

MULTIPLE_CHOICE = {
    "prompt": "Which of these are prime?",
    "points": 2,
    "options": [
        {"id": "a", "text": "2", "isCorrect": True},
        {"id": "b", "text": "4", "isCorrect": False},
        {"id": "c", "text": "7", "isCorrect": True},
        {"id": "d", "text": "9", "isCorrect": False, "feedback": "9 = 3 x 3"},
    ],
}
SINGLE_CHOICE = {
    "options": [
        {"id": "a", "text": "Paris", "isCorrect": True},
        {"id": "b", "text": "Lyon"},
        {"id": "c", "text": "Marseille", "fraction": 0.25},
    ]
}
SHORT_ANSWER = {
    "acceptedAnswers": [
        "Paris",
        "paris, france",
        {"text": "Par*", "fraction": 0.5},
        {"text": "Lyon", "fraction": 0},
    ],
    "caseSensitive": False,
}
NUMERIC = {
    "answers": [
        {"value": 1.25, "tolerance": 0.01},
        {"value": 1.25, "tolerance": 0.1, "toleranceType": "relative", "fraction": 0.5},
    ],
    "units": [
        {"unit": "m", "multiplier": 1},
        {"unit": "cm", "multiplier": 100},
        {"unit": "mm", "multiplier": 1000},
    ],
}
MATCHING = {
    "pairs": [
        {"id": "fr", "prompt": "France", "answer": "Paris"},
        {"id": "es", "prompt": "Spain", "answer": "Madrid"},
        {"id": "de", "prompt": "Germany", "answer": "Berlin"},
        {"id": "it", "prompt": "Italy", "answer": "Rome"},
        {"id": "pt", "prompt": "Portugal", "answer": "Lisbon"},
    ],
    "distractors": ["Lyon", "Porto"],
}
ITEMS = [{"id": f"i{k}", "text": f"Step {k}"} for k in range(6)]
FILL = {
    "text": "Water is {formula} and boils at {temp} at sea level in {unit}.",
    "blanks": [
        {"id": "formula", "acceptedAnswers": ["H2O"], "caseSensitive": True},
        {"id": "temp", "numeric": {"answer": 100, "tolerance": 0.5}, "weight": 2},
        {"id": "unit", "acceptedAnswers": ["degrees Celsius", "celsius", "°C"]},
    ],
}
CAPITALS = {"fr": "Paris", "es": "Madrid", "de": "Berlin", "it": "Rome", "pt": "Lisbon"}
ORDERS = [
    [f"i{k}" for k in range(6)],
    ["i1", "i0", "i2", "i3", "i5", "i4"],
    [f"i{k}" for k in reversed(range(6))],
    ["i2", "i3", "i4", "i5", "i0", "i1"],
]

CASES: dict[str, list[Case]] = {
    "true_false": [({"correctAnswer": True}, r) for r in (True, False, "true", "FALSE")],
    "multiple_choice": [
        (MULTIPLE_CHOICE, r) for r in (["a", "c"], ["a"], ["a", "b"], ["d"], [], ["c", "a", "d"])
    ]
    + [(SINGLE_CHOICE, r) for r in ("a", "b", "c")],
    "short_answer": [
        (SHORT_ANSWER, r) for r in ("Paris", "  PARIS ", "Paris, France", "Parisss", "Lyon", "Berlin")
    ],
    "numeric": [
        (NUMERIC, r) for r in ("1.25 m", "125 cm", "1250mm", "1.25", 1.25, "1,3 m", "2 m", "abc", "1.25 kg")
    ],
    "matching": [
        (MATCHING, CAPITALS),
        (MATCHING, {**CAPITALS, "pt": "Porto"}),
        (MATCHING, {"fr": " paris", "es": "Lyon", "de": "BERLIN"}),
        (MATCHING, {}),
    ],
    "ordering": [
        ({"items": ITEMS, "gradingMode": mode}, order)
        for mode in ("absolute_position", "relative_all_previous_and_next", "longest_ordered_subset")
        for order in ORDERS
    ],
    "fill_in_blanks": [
        (FILL, {"formula": "H2O", "temp": "100", "unit": "celsius"}),
        (FILL, {"formula": "h2o", "temp": "99,8", "unit": "°C"}),
        (FILL, {"formula": "H2O", "temp": "212", "unit": "Fahrenheit"}),
        (FILL, {"formula": "H2O"}),
    ],
}

_NOOP_TABLE: dict[str, Callable[[dict[str, Any], Any], float]] = {"noop": lambda data, response: 1.0}


def _noop(question_type: str, data: dict[str, Any], response: Any) -> float:
    return _NOOP_TABLE["noop"](data, response)


def rate(
    call: Callable[[str, dict[str, Any], Any], Any], question_type: str, cases: list[Case], seconds: float
) -> float:
    """Calls per second of ``call`` over ``cases`` repeated, for about ``seconds`` (checked every round)."""
    for data, response in cases:  # warm up (and fill the grader cache, as a running service would)
        call(question_type, data, response)
    done, start = 0, time.perf_counter()
    deadline = start + seconds
    while True:
        for data, response in cases:
            call(question_type, data, response)
        done += len(cases)
        now = time.perf_counter()
        if now >= deadline:
            return done / (now - start)


def peak_memory(question_type: str, cases: list[Case]) -> int:
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        for data, response in cases:
            grade_response(question_type, data, response)
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


def validate(question_type: str, data: dict[str, Any], response: Any) -> Any:
    return validate_question_data(question_type, data)


def run(seconds: float) -> dict[str, Any]:
    baseline = rate(_noop, "noop", CASES["true_false"], seconds)
    results = []
    for question_type, cases in CASES.items():
        results.append(
            {
                "type": question_type,
                "cases": len(cases),
                "graded_per_s": rate(grade_response, question_type, cases, seconds),
                "validated_per_s": rate(validate, question_type, cases, seconds / 2),
                "peak_kib": peak_memory(question_type, cases) / 1024,
            }
        )
    true_false = next(r["graded_per_s"] for r in results if r["type"] == "true_false")
    for row in results:
        row["slowdown_vs_noop"] = baseline / row["graded_per_s"]
        row["slowdown_vs_true_false"] = true_false / row["graded_per_s"]
    return {"seconds_per_type": seconds, "noop_dispatch_per_s": baseline, "types": results}


def show(report: dict[str, Any]) -> None:
    headers = ["type", "cases", "graded/s", "x noop", "x true_false", "validated/s", "peak KiB"]
    rows = [
        [
            r["type"],
            str(r["cases"]),
            f"{r['graded_per_s']:,.0f}",
            f"{r['slowdown_vs_noop']:.1f}",
            f"{r['slowdown_vs_true_false']:.2f}",
            f"{r['validated_per_s']:,.0f}",
            f"{r['peak_kib']:.1f}",
        ]
        for r in report["types"]
    ]
    title = f"Grading throughput (baseline no-op dispatch: {report['noop_dispatch_per_s']:,.0f} calls/s)"
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:
        print(title)
        widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(headers)]
        for row in [headers, *rows]:
            print(
                "  ".join(
                    cell.rjust(width) if i else cell.ljust(width)
                    for i, (cell, width) in enumerate(zip(row, widths, strict=True))
                )
            )
        return
    table = Table(title=title)
    for i, header in enumerate(headers):
        table.add_column(header, justify="left" if i == 0 else "right", no_wrap=True)
    for row in rows:
        table.add_row(*row)
    console = Console()
    if console.width < 100:  # not a terminal (or a narrow one): do not squeeze the columns
        console = Console(width=100)
    console.print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=1.0, help="measuring time per type (default 1)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON instead of a table")
    args = parser.parse_args()
    report = run(max(0.05, args.seconds))
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        show(report)


if __name__ == "__main__":
    main()
