"""Type-specific question editors and "try it" response widgets (QUESTIONS.md shapes, camelCase keys).

``edit_data`` draws the editor for a type and returns the ``data`` document it describes; ``response_input``
draws what a student would answer with and returns the response in the shape the grader takes.
"""

from __future__ import annotations

import string
from typing import Any

import polars as pl
import streamlit as st

from platform_core.grading import ORDERING_MODES

TOLERANCE_TYPES = ["absolute", "relative", "geometric"]
TYPE_LABELS = {
    "multiple_choice": "Multiple choice",
    "true_false": "True / false",
    "short_answer": "Short answer",
    "numeric": "Numeric",
    "matching": "Matching",
    "ordering": "Ordering",
    "fill_in_blanks": "Fill in the blanks",
}

STARTERS: dict[str, dict[str, Any]] = {
    "multiple_choice": {
        "options": [{"id": "a", "text": "", "isCorrect": True}, {"id": "b", "text": "", "isCorrect": False}]
    },
    "true_false": {"correctAnswer": True},
    "short_answer": {"acceptedAnswers": [""], "caseSensitive": False},
    "numeric": {"answers": [{"value": 0.0, "tolerance": 0.0, "toleranceType": "absolute", "fraction": 1.0}]},
    "matching": {"pairs": [{"id": "1", "prompt": "", "answer": ""}], "distractors": []},
    "ordering": {
        "items": [{"id": "1", "text": ""}, {"id": "2", "text": ""}],
        "gradingMode": "absolute_position",
    },
    "fill_in_blanks": {
        "text": "The capital of France is {capital}.",
        "blanks": [{"id": "capital", "acceptedAnswers": ["Paris"]}],
    },
}


def _records(edited: Any) -> list[dict[str, Any]]:
    frame = edited if isinstance(edited, pl.DataFrame) else pl.DataFrame(edited)
    return [r for r in frame.to_dicts() if any(v not in (None, "") for v in r.values())]


def _grid(
    rows: list[dict[str, Any]], schema: dict[str, Any], key: str, **config: Any
) -> list[dict[str, Any]]:
    frame = pl.DataFrame([{k: r.get(k) for k in schema} for r in rows], schema=schema, orient="row")
    edited = st.data_editor(
        frame, num_rows="dynamic", width="stretch", key=key, hide_index=True, column_config=config
    )
    return _records(edited)


def _ids(rows: list[dict[str, Any]], *, letters: bool = False) -> list[dict[str, Any]]:
    """Fill blank ids with the next free letter or number so a teacher never has to invent them."""
    used = {str(r["id"]) for r in rows if r.get("id")}
    pool = iter(
        [c for c in (string.ascii_lowercase if letters else map(str, range(1, 500))) if c not in used]
    )
    return [{**r, "id": str(r["id"]) if r.get("id") else next(pool)} for r in rows]


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _accepted(entries: list[Any]) -> str:
    return "\n".join(
        e if isinstance(e, str) else f"{e.get('text', '')} | {e.get('fraction', 1)}" for e in entries
    )


def _parse_accepted(text: str) -> list[Any]:
    """One answer per line; ``text | 0.5`` gives partial credit; ``*`` is a wildcard."""
    out: list[Any] = []
    for line in _lines(text):
        answer, sep, fraction = line.rpartition(" | ")
        try:
            out.append({"text": answer.strip(), "fraction": float(fraction)} if sep else line)
        except ValueError:
            out.append(line)
    return out


def edit_data(qtype: str, data: dict[str, Any], key: str) -> dict[str, Any]:
    """Draw the editor for ``qtype`` prefilled from ``data``; return the data it now describes."""
    data = data or STARTERS[qtype]
    if qtype == "multiple_choice":
        rows = _grid(
            data.get("options", []),
            {
                "id": pl.String,
                "text": pl.String,
                "isCorrect": pl.Boolean,
                "fraction": pl.Float64,
                "feedback": pl.String,
            },
            f"{key}_options",
            isCorrect=st.column_config.CheckboxColumn("correct"),
            id=st.column_config.TextColumn(width="small"),
            fraction=st.column_config.NumberColumn("partial credit", min_value=-1.0, max_value=1.0),
        )
        options = [
            {k: v for k, v in {**r, "isCorrect": bool(r.get("isCorrect"))}.items() if v is not None}
            for r in _ids(rows, letters=True)
            if r.get("text")
        ]
        auto = sum(1 for o in options if o["isCorrect"]) > 1  # what the grader assumes when the key is absent
        a, b = st.columns(2)
        multi = a.toggle(
            "Several answers may be ticked", bool(data.get("multipleAnswers", auto)), key=f"{key}_multi"
        )
        shuffle = b.toggle("Shuffle options", bool(data.get("shuffle")), key=f"{key}_shuffle")
        out = {"options": options}
        if "multipleAnswers" in data or multi != auto:
            out["multipleAnswers"] = multi
        if "shuffle" in data or shuffle:
            out["shuffle"] = shuffle
        return out
    if qtype == "true_false":
        answer = st.radio(
            "Correct answer",
            [True, False],
            index=0 if data.get("correctAnswer", True) else 1,
            format_func=lambda v: "True" if v else "False",
            horizontal=True,
            key=f"{key}_tf",
        )
        return {"correctAnswer": answer}
    if qtype == "short_answer":
        text = st.text_area(
            "Accepted answers (one per line; `answer | 0.5` for partial credit; `*` matches anything)",
            _accepted(data.get("acceptedAnswers", [])),
            key=f"{key}_accepted",
        )
        case = st.toggle("Case sensitive", bool(data.get("caseSensitive")), key=f"{key}_case")
        out = {"acceptedAnswers": _parse_accepted(text)}
        return {**out, "caseSensitive": case} if case or "caseSensitive" in data else out
    if qtype == "numeric":
        answers = data.get("answers") or [
            {"value": data.get("answer", 0.0), "tolerance": data.get("tolerance", 0.0)}
        ]
        rows = _grid(
            answers,
            {
                "value": pl.Float64,
                "tolerance": pl.Float64,
                "toleranceType": pl.String,
                "fraction": pl.Float64,
            },
            f"{key}_answers",
            toleranceType=st.column_config.SelectboxColumn(options=TOLERANCE_TYPES),
        )
        units = _grid(data.get("units", []), {"unit": pl.String, "multiplier": pl.Float64}, f"{key}_units")
        penalty = st.slider(
            "Unit penalty", 0.0, 1.0, float(data.get("unitPenalty", 0.1)), 0.05, key=f"{key}_up"
        )
        cleaned = [{k: v for k, v in r.items() if v is not None} for r in rows]
        out: dict[str, Any] = {"answers": [{"fraction": 1.0, **r} for r in cleaned], "unitPenalty": penalty}
        if units:
            out["units"] = units
        return out
    if qtype == "matching":
        rows = _grid(
            data.get("pairs", []), {"id": pl.String, "prompt": pl.String, "answer": pl.String}, f"{key}_pairs"
        )
        extra = st.text_area(
            "Distractors (wrong answers to mix in, one per line)",
            "\n".join(data.get("distractors", [])),
            key=f"{key}_distractors",
        )
        return {
            "pairs": [{**r, "prompt": r.get("prompt") or ""} for r in _ids(rows) if r.get("answer")],
            "distractors": _lines(extra),
        }
    if qtype == "ordering":
        st.caption("List the items in the correct order.")
        rows = _grid(data.get("items", []), {"id": pl.String, "text": pl.String}, f"{key}_items")
        modes = list(ORDERING_MODES)
        mode = st.selectbox(
            "Scoring",
            modes,
            index=modes.index(data.get("gradingMode", "absolute_position")),
            format_func=lambda m: m.replace("_", " "),
            key=f"{key}_mode",
        )
        return {"items": [r for r in _ids(rows) if r.get("text")], "gradingMode": mode}
    if qtype == "fill_in_blanks":
        text = st.text_area("Text with {blank} placeholders", data.get("text", ""), key=f"{key}_text")
        blanks = [
            {
                "id": b.get("id"),
                "accepted": "; ".join(
                    x if isinstance(x, str) else x.get("text", "") for x in b.get("acceptedAnswers") or []
                ),
                "caseSensitive": bool(b.get("caseSensitive")),
                "weight": float(b.get("weight", 1.0)),
            }
            for b in data.get("blanks", [])
        ]
        rows = _grid(
            blanks,
            {"id": pl.String, "accepted": pl.String, "caseSensitive": pl.Boolean, "weight": pl.Float64},
            f"{key}_blanks",
            accepted=st.column_config.TextColumn("accepted answers (; between)"),
        )
        return {
            "text": text,
            "blanks": [
                {
                    "id": r.get("id") or "",
                    "acceptedAnswers": [a.strip() for a in (r.get("accepted") or "").split(";") if a.strip()],
                    "caseSensitive": bool(r.get("caseSensitive")),
                    "weight": r.get("weight") or 1.0,
                }
                for r in rows
            ],
        }
    raise ValueError(f"type: unknown question type {qtype!r}")


def response_input(qtype: str, data: dict[str, Any], key: str) -> Any:
    """The widget a student would answer with; returns the response (None until something is given)."""
    if qtype == "multiple_choice":
        options = {o["id"]: o["text"] for o in data.get("options", [])}
        correct = sum(1 for o in data.get("options", []) if o.get("isCorrect"))
        if data.get("multipleAnswers") or (data.get("multipleAnswers") is None and correct > 1):
            return (
                st.multiselect("Your answer", list(options), format_func=options.get, key=f"{key}_r") or None
            )
        return st.radio("Your answer", list(options), format_func=options.get, index=None, key=f"{key}_r")
    if qtype == "true_false":
        return st.radio(
            "Your answer",
            [True, False],
            format_func=lambda v: "True" if v else "False",
            index=None,
            horizontal=True,
            key=f"{key}_r",
        )
    if qtype in ("short_answer", "numeric"):
        return st.text_input("Your answer", key=f"{key}_r") or None
    if qtype == "matching":
        pairs = data.get("pairs", [])
        answers = sorted({p["answer"] for p in pairs} | set(data.get("distractors", [])))
        return {
            p["id"]: st.selectbox(p["prompt"] or p["id"], ["", *answers], key=f"{key}_r_{p['id']}")
            for p in pairs
        }
    if qtype == "ordering":
        items = {i["id"]: i["text"] for i in data.get("items", [])}
        chosen = st.multiselect(
            "Pick the items in order", sorted(items, key=items.get), format_func=items.get, key=f"{key}_r"
        )
        return chosen or None
    if qtype == "fill_in_blanks":
        return {
            b["id"]: st.text_input(f"{{{b['id']}}}", key=f"{key}_r_{b['id']}") for b in data.get("blanks", [])
        }
    return None
