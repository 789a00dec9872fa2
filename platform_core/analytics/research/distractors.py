"""Distractor analysis and the list of questions to revise.

Scope and scores follow :mod:`platform_core.analytics.items`: a student's item score is the fraction of
the first attempt, and the total that separates strong from weak students is the sum of those over the
questions in scope.
"""

from __future__ import annotations

import json
import math
from datetime import datetime
from typing import Any

import polars as pl

from platform_core.analytics import items
from platform_core.analytics.scope import Id
from platform_core.analytics.sources import Source

DISTRACTOR_SCHEMA = {
    "question_id": pl.String,
    "answer": pl.String,
    "label": pl.String,
    "is_key": pl.Boolean,
    "count": pl.Int64,
    "respondents": pl.Int64,
    "share": pl.Float64,
    "upper_share": pl.Float64,
    "lower_share": pl.Float64,
    "discrimination": pl.Float64,
}
REVISE_SCHEMA = {
    "question_id": pl.String,
    "respondents": pl.Int64,
    "p_value": pl.Float64,
    "point_biserial": pl.Float64,
    "reasons": pl.List(pl.String),
    "severity": pl.Int64,
}
#: How much each reason to revise weighs in ``severity``.
REVISION_WEIGHTS = {
    "negative_discrimination": 3,
    "key_not_preferred_by_upper": 3,
    "distractor_attracts_upper": 2,
    "too_hard": 2,
    "low_discrimination": 1,
    "too_easy": 1,
    "non_functional_distractors": 1,
}


def canonical_response(raw: str | None) -> str:
    """A stored response (JSON text) in one spelling, as :func:`items.answer_distribution` keys it."""
    return json.dumps(json.loads(raw) if raw else None, sort_keys=True, ensure_ascii=False)


def options_of(kind: str, data: dict[str, Any]) -> list[tuple[str, str, bool]]:
    """(canonical response, label, is the key) for every option of a single-answer multiple-choice or a
    true/false question; empty for other questions. Multiple choice is single-answer when
    ``multipleAnswers`` is false, or unset with at most one correct option."""
    if kind == "true_false":
        key = bool(data.get("correctAnswer"))
        return [("true", "True", key), ("false", "False", not key)]
    if kind != "multiple_choice":
        return []
    options = data.get("options") or []
    correct = [bool(o.get("isCorrect")) or o.get("fraction") == 1 for o in options]
    multiple = data.get("multipleAnswers")
    if multiple or (multiple is None and sum(correct) > 1):
        return []
    return [
        (json.dumps(o["id"]), str(o.get("text", o["id"])), ok) for o, ok in zip(options, correct, strict=True)
    ]


def group_weights(totals: dict[str, float], share: float = 0.27) -> tuple[dict[str, float], dict[str, float]]:
    """Membership of the upper and lower groups: the top and bottom ``share`` of ``totals`` (student ->
    total score; at least one student each, none with fewer than two students).

    As in :func:`~platform_core.analytics.items.item_analysis`, students tied on the total at a group's edge
    share its remaining places: each weighs places / tied students. Groups therefore do not depend on how
    ties are ordered (ids differ between the database and a pseudonymised export)."""
    if len(totals) < 2:
        return {}, {}
    size = max(1, math.floor(share * len(totals) + 0.5))
    rounded = {student: round(total, 9) for student, total in totals.items()}

    def weights(top: bool) -> dict[str, float]:
        ordered = sorted(rounded.values(), reverse=top)
        edge = ordered[size - 1]
        inside = {st: 1.0 for st, t in rounded.items() if (t > edge if top else t < edge)}
        tied = [st for st, t in rounded.items() if t == edge]
        return {**inside, **dict.fromkeys(tied, (size - len(inside)) / len(tied))}

    return weights(True), weights(False)


def distractor_analysis(
    src: Source,
    *,
    video_id: Id | None = None,
    lesson_id: Id | None = None,
    class_id: Id | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    group_share: float = 0.27,
) -> pl.DataFrame:
    """Every option of the single-answer multiple-choice and true/false questions in scope, on first
    attempts submitted in ``[since, until)``: ``count`` and ``share`` of the question's ``respondents``
    choosing it; ``upper_share`` / ``lower_share``, the same among the question's respondents in the top /
    bottom ``group_share`` by total score (see :func:`group_weights`); and ``discrimination`` = upper -
    lower: positive for a working key (for the key it equals the item's ``discrimination_index``), negative
    for a working distractor."""
    qs = items.questions(src, video_id=video_id, lesson_id=lesson_id, class_id=class_id)
    firsts = items.attempts(src, video_id=video_id, lesson_id=lesson_id, class_id=class_id).filter(
        pl.col("attempt_number") == 1
    )
    if since is not None:
        firsts = firsts.filter(pl.col("submitted_at") >= since)
    if until is not None:
        firsts = firsts.filter(pl.col("submitted_at") < until)
    totals = dict(firsts.group_by("student_id").agg(pl.col("fraction").sum()).iter_rows())
    chosen: dict[str, dict[str, str]] = {}  # question -> student -> canonical response
    for qid, student, response in firsts.select("question_id", "student_id", "response").iter_rows():
        chosen.setdefault(qid, {})[student] = canonical_response(response)
    out = []
    for qid, kind, raw in qs.select("question_id", "type", "data").iter_rows():
        answers = chosen.get(qid)
        options = options_of(kind, json.loads(raw) if raw else {})
        if not answers or not options:
            continue
        upper, lower = group_weights({st: totals[st] for st in answers}, group_share)
        for answer, label, key in options:
            who = [st for st, given in answers.items() if given == answer]
            up = math.fsum(upper.get(st, 0.0) for st in who) / math.fsum(upper.values()) if upper else None
            low = math.fsum(lower.get(st, 0.0) for st in who) / math.fsum(lower.values()) if lower else None
            disc = up - low if up is not None and low is not None else None
            out.append(
                (qid, answer, label, key, len(who), len(answers), len(who) / len(answers), up, low, disc)
            )
    return pl.DataFrame(out, schema=DISTRACTOR_SCHEMA, orient="row")


def _distractor_reasons(distractors: pl.DataFrame, min_share: float) -> dict[str, set[str]]:
    reasons: dict[str, set[str]] = {}
    for (qid,), rows in distractors.group_by("question_id"):
        found = reasons.setdefault(str(qid), set())
        wrong, key = rows.filter(~pl.col("is_key")), rows.filter(pl.col("is_key"))
        if wrong.filter(pl.col("share") < min_share).height:
            found.add("non_functional_distractors")
        if wrong.filter(pl.col("discrimination") > 0).height:
            found.add("distractor_attracts_upper")
        best_wrong, key_upper = wrong["upper_share"].max(), key["upper_share"].max()
        if best_wrong is not None and key_upper is not None and best_wrong > key_upper:  # type: ignore[operator]
            found.add("key_not_preferred_by_upper")
    return reasons


def questions_to_revise(
    item_stats: pl.DataFrame, distractors: pl.DataFrame, *, min_distractor_share: float = 0.05
) -> pl.DataFrame:
    """Questions with a reason to revise, worst first (columns ``REVISE_SCHEMA``).

    Reasons: the flags of ``item_stats`` (an :func:`~platform_core.analytics.items.item_analysis`; a
    question flagged ``few_respondents`` is left out: too little evidence) and, from ``distractors``,
    ``non_functional_distractors`` (a wrong option chosen by fewer than ``min_distractor_share`` of
    respondents), ``distractor_attracts_upper`` (a wrong option chosen more by strong than by weak
    students) and ``key_not_preferred_by_upper`` (strong students chose a wrong option more often than the
    key). ``severity`` sums ``REVISION_WEIGHTS`` of the reasons."""
    extra = _distractor_reasons(distractors, min_distractor_share)
    out = []
    for row in item_stats.iter_rows(named=True):
        flags = set(row["flags"] or [])
        if "few_respondents" in flags:
            continue
        reasons = sorted(
            flags | extra.get(row["question_id"], set()), key=lambda r: (-REVISION_WEIGHTS.get(r, 1), r)
        )
        if reasons:
            severity = sum(REVISION_WEIGHTS.get(r, 1) for r in reasons)
            out.append(
                (
                    row["question_id"],
                    row["respondents"],
                    row["p_value"],
                    row["point_biserial"],
                    reasons,
                    severity,
                )
            )
    return pl.DataFrame(out, schema=REVISE_SCHEMA, orient="row").sort(
        ["severity", "question_id"], descending=[True, False]
    )
