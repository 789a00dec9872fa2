"""Question (item) analysis: difficulty, discrimination, correctness, attempts, answers, watching.

Scope: the questions of a video, of a lesson, of a class's lessons, or all questions with attempts; and
the students who attempted them (only the class's students with ``class_id``). A student's item score is
the **fraction of the first attempt**; the "test" whose total discriminates is the set of questions in
scope, unanswered questions scoring 0.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import polars as pl

from platform_core.analytics.scope import TENANT, Id, _enrolled
from platform_core.analytics.sources import UTC_DATETIME, Source


@dataclass(frozen=True)
class ItemThresholds:
    too_easy: float = 0.9  # p-value above: flag too_easy
    too_hard: float = 0.2  # p-value below: flag too_hard
    low_discrimination: float = 0.2  # corrected point-biserial below (but >= 0): flag low_discrimination
    min_respondents: int = 5  # fewer respondents: no flags but few_respondents


def _question_scope(video_id: Id | None, lesson_id: Id | None, class_id: Id | None) -> str:
    where = ""
    if video_id is not None:
        where += " AND q.video_id = CAST(:video_id AS UUID)"
    lessons = None
    if lesson_id is not None:
        lessons = "CAST(:lesson_id AS UUID)"
    elif class_id is not None:
        lessons = (
            f"(SELECT cl.lesson_id FROM class_lessons cl WHERE cl.tenant_id = {TENANT} "  # noqa: S608
            "AND cl.class_id = CAST(:class_id AS UUID))"
        )
    if lessons is not None:
        op = "=" if lesson_id is not None else "IN"
        where += (
            " AND q.video_id IN (SELECT gv.video_id FROM video_groups g JOIN video_group_videos gv "  # noqa: S608
            f"ON gv.tenant_id = g.tenant_id AND gv.video_group_id = g.id WHERE g.tenant_id = {TENANT} "
            f"AND g.lesson_id {op} {lessons})"
        )
    return where


def questions(
    src: Source, *, video_id: Id | None = None, lesson_id: Id | None = None, class_id: Id | None = None
) -> pl.DataFrame:
    """Questions in scope: ``question_id, video_id, milestone_id, type, source, status, data``."""
    return src.query(
        f"""
        SELECT CAST(q.id AS VARCHAR) AS question_id, CAST(q.video_id AS VARCHAR) AS video_id,
               CAST(q.milestone_id AS VARCHAR) AS milestone_id, q.type, q.source, q.status,
               CAST(q.data AS VARCHAR) AS data
        FROM questions q WHERE q.tenant_id = {TENANT}{_question_scope(video_id, lesson_id, class_id)}
        """,  # noqa: S608
        {"video_id": video_id, "lesson_id": lesson_id, "class_id": class_id},
        {
            "question_id": pl.String,
            "video_id": pl.String,
            "milestone_id": pl.String,
            "type": pl.String,
            "source": pl.String,
            "status": pl.String,
            "data": pl.String,
        },
    ).sort("question_id")


def attempts(
    src: Source, *, video_id: Id | None = None, lesson_id: Id | None = None, class_id: Id | None = None
) -> pl.DataFrame:
    """Attempts at in-scope questions (by the class's students with ``class_id``)."""
    students = f" AND {_enrolled('a.student_id', class_id)}" if class_id is not None else ""
    return src.query(
        f"""
        SELECT CAST(a.student_id AS VARCHAR) AS student_id, CAST(a.question_id AS VARCHAR) AS question_id,
               a.attempt_number, a.fraction, a.is_correct, CAST(a.response AS VARCHAR) AS response,
               a.submitted_at
        FROM question_attempts a JOIN questions q ON q.tenant_id = a.tenant_id AND q.id = a.question_id
        WHERE a.tenant_id = {TENANT}{_question_scope(video_id, lesson_id, class_id)}{students}
        """,  # noqa: S608
        {"video_id": video_id, "lesson_id": lesson_id, "class_id": class_id},
        {
            "student_id": pl.String,
            "question_id": pl.String,
            "attempt_number": pl.Int64,
            "fraction": pl.Float64,
            "is_correct": pl.Boolean,
            "response": pl.String,
            "submitted_at": UTC_DATETIME,
        },
    ).sort("question_id", "student_id", "attempt_number")


def _pearson(xs: list[float], ys: list[float]) -> float | None:
    n = len(xs)
    if n < 2:
        return None
    mx, my = math.fsum(xs) / n, math.fsum(ys) / n
    sxy = math.fsum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    sxx = math.fsum((x - mx) ** 2 for x in xs)
    syy = math.fsum((y - my) ** 2 for y in ys)
    if sxx <= 1e-15 or syy <= 1e-15:
        return None
    return sxy / math.sqrt(sxx * syy)


def _group_mean(scores: list[tuple[float, float]], size: int, *, top: bool) -> float:
    """Mean item score of the ``size`` best (``top``) or worst students by total; students tied on the
    total at the group's edge share the remaining places (their mean counts for those places), so the
    index does not depend on how ties are ordered."""
    ordered = sorted(scores, key=lambda s: -s[0] if top else s[0])
    edge = ordered[size - 1][0]
    inside = [item for total, item in ordered if (total > edge if top else total < edge)]
    tied = [item for total, item in ordered if total == edge]
    places = size - len(inside)
    return (math.fsum(inside) + places * math.fsum(tied) / len(tied)) / size


def _upper_lower(scores: list[tuple[float, float]]) -> float | None:
    """Kelley's index: mean item score of the top 27 % by total minus that of the bottom 27 %
    (``scores`` = (total, item score) per respondent; ties at the edges shared)."""
    n = len(scores)
    if n < 2:
        return None
    size = max(1, math.floor(0.27 * n + 0.5))
    rounded = [(round(total, 9), item) for total, item in scores]
    return _group_mean(rounded, size, top=True) - _group_mean(rounded, size, top=False)


def _median(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


ITEM_SCHEMA = {
    "question_id": pl.String,
    "video_id": pl.String,
    "milestone_id": pl.String,
    "type": pl.String,
    "source": pl.String,
    "respondents": pl.Int64,
    "attempts": pl.Int64,
    "p_value": pl.Float64,
    "first_attempt_correct_rate": pl.Float64,
    "eventual_correct_rate": pl.Float64,
    "mean_attempts_to_correct": pl.Float64,
    "median_attempts_to_correct": pl.Float64,
    "point_biserial": pl.Float64,
    "discrimination_index": pl.Float64,
    "flags": pl.List(pl.String),
}


def item_analysis(
    src: Source,
    *,
    video_id: Id | None = None,
    lesson_id: Id | None = None,
    class_id: Id | None = None,
    thresholds: ItemThresholds | None = None,
) -> pl.DataFrame:
    """Per question with at least one attempt (columns ``ITEM_SCHEMA``):

    - ``respondents``: students with an attempt; ``attempts``: all attempts;
    - ``p_value`` (difficulty): mean first-attempt fraction over respondents;
    - ``first_attempt_correct_rate``: respondents whose first attempt was correct;
      ``eventual_correct_rate``: respondents with any correct attempt;
    - ``mean/median_attempts_to_correct``: attempt number of the first correct attempt, over those who
      got it right;
    - ``point_biserial``: corrected item-total correlation, Pearson r between the item score and the
      rest score (total minus the item) over respondents; null without variance;
    - ``discrimination_index``: upper-lower 27 % index on the total score (Kelley), students tied on the
      total at a group's edge sharing its last places;
    - ``flags``: ``too_easy`` (p > too_easy), ``too_hard`` (p < too_hard), ``negative_discrimination``
      (r < 0), ``low_discrimination`` (0 <= r < low_discrimination), or ``few_respondents`` alone.
    """
    th = thresholds or ItemThresholds()
    qs = questions(src, video_id=video_id, lesson_id=lesson_id, class_id=class_id)
    rows = attempts(src, video_id=video_id, lesson_id=lesson_id, class_id=class_id)
    by_q: dict[str, dict[str, list[tuple[int, float, bool]]]] = defaultdict(lambda: defaultdict(list))
    for student, qid, number, fraction, correct in rows.select(
        "student_id", "question_id", "attempt_number", "fraction", "is_correct"
    ).iter_rows():
        by_q[qid][student].append((number, fraction, correct))
    first: dict[str, dict[str, float]] = {
        qid: {st: min(tries)[1] for st, tries in students.items()} for qid, students in by_q.items()
    }
    totals: dict[str, float] = defaultdict(float)
    for scores in first.values():
        for st, score in scores.items():
            totals[st] += score
    out: list[dict[str, Any]] = []
    for q in qs.iter_rows(named=True):
        students = by_q.get(q["question_id"])
        if not students:
            continue
        n = len(students)
        item = first[q["question_id"]]
        firsts = [min(tries) for tries in students.values()]
        to_correct = [
            min(num for num, _f, ok in tries if ok) for tries in students.values() if any(t[2] for t in tries)
        ]
        ordered = sorted(item)
        r = _pearson([item[s] for s in ordered], [totals[s] - item[s] for s in ordered])
        d = _upper_lower([(totals[s], item[s]) for s in ordered])
        p = math.fsum(item.values()) / n
        flags: list[str] = []
        if n < th.min_respondents:
            flags.append("few_respondents")
        else:
            if p > th.too_easy:
                flags.append("too_easy")
            if p < th.too_hard:
                flags.append("too_hard")
            if r is not None and r < 0:
                flags.append("negative_discrimination")
            elif r is not None and r < th.low_discrimination:
                flags.append("low_discrimination")
        out.append(
            {
                "question_id": q["question_id"],
                "video_id": q["video_id"],
                "milestone_id": q["milestone_id"],
                "type": q["type"],
                "source": q["source"],
                "respondents": n,
                "attempts": sum(len(t) for t in students.values()),
                "p_value": p,
                "first_attempt_correct_rate": sum(1 for f in firsts if f[2]) / n,
                "eventual_correct_rate": len(to_correct) / n,
                "mean_attempts_to_correct": math.fsum(to_correct) / len(to_correct) if to_correct else None,
                "median_attempts_to_correct": _median([float(x) for x in to_correct]),
                "point_biserial": r,
                "discrimination_index": d,
                "flags": flags,
            }
        )
    return pl.DataFrame(out, schema=ITEM_SCHEMA)


def _canonical(raw: str | None) -> str:
    return json.dumps(json.loads(raw) if raw else None, sort_keys=True, ensure_ascii=False)


def _choices(kind: str, data: dict[str, Any]) -> list[tuple[str, str, bool]]:
    """(canonical answer, label, is the right answer) for every option a student can pick."""
    if kind == "multiple_choice" and not data.get("multipleAnswers"):
        return [
            (
                json.dumps(o["id"]),
                str(o.get("text", o["id"])),
                bool(o.get("isCorrect")) or o.get("fraction") == 1,
            )
            for o in data.get("options", [])
        ]
    if kind == "true_false":
        answer = bool(data.get("correctAnswer"))
        return [("true", "True", answer), ("false", "False", not answer)]
    return []


def answer_distribution(
    src: Source,
    *,
    video_id: Id | None = None,
    lesson_id: Id | None = None,
    class_id: Id | None = None,
    first_attempts_only: bool = False,
) -> pl.DataFrame:
    """Per question and answer (the response as canonical JSON): ``count`` of attempts giving it,
    ``share`` of the question's attempts, ``is_key`` (the correct option) and ``label`` (option text).
    Single-answer multiple-choice and true/false questions list every option, chosen or not, so
    distractors nobody picks show up with count 0; other answers are listed as given (``is_key`` null,
    ``correct_share`` = share of those attempts graded correct)."""
    qs = questions(src, video_id=video_id, lesson_id=lesson_id, class_id=class_id)
    rows = attempts(src, video_id=video_id, lesson_id=lesson_id, class_id=class_id)
    if first_attempts_only:
        rows = rows.filter(pl.col("attempt_number") == 1)
    counts: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    totals: dict[str, int] = defaultdict(int)
    for qid, response, correct in rows.select("question_id", "response", "is_correct").iter_rows():
        entry = counts[qid][_canonical(response)]
        entry[0] += 1
        entry[1] += 1 if correct else 0
        totals[qid] += 1
    out = []
    for qid, kind, raw in qs.select("question_id", "type", "data").iter_rows():
        if not totals.get(qid):
            continue
        choices = _choices(kind, json.loads(raw) if raw else {})
        listed = set()
        for answer, label, key in choices:
            n, ok = counts[qid].get(answer, [0, 0])
            out.append((qid, answer, label, key, n, n / totals[qid], ok / n if n else None))
            listed.add(answer)
        for answer, (n, ok) in sorted(counts[qid].items()):
            if answer not in listed:
                out.append((qid, answer, None, None, n, n / totals[qid], ok / n))
    return pl.DataFrame(
        out,
        schema={
            "question_id": pl.String,
            "answer": pl.String,
            "label": pl.String,
            "is_key": pl.Boolean,
            "count": pl.Int64,
            "share": pl.Float64,
            "correct_share": pl.Float64,
        },
        orient="row",
    )


def _covered(segments: list[list[float]], start: float, end: float) -> float:
    """Length of [start, end] covered by the (merged) segments."""
    total = 0.0
    for s, e in segments:
        lo, hi = max(float(s), start), min(float(e), end)
        if hi > lo:
            total += hi - lo
    return total


def watched_before_milestone(
    src: Source,
    *,
    video_id: Id | None = None,
    lesson_id: Id | None = None,
    class_id: Id | None = None,
    min_share: float = 0.9,
) -> pl.DataFrame:
    """First-attempt correctness split by whether the student watched the segment before the question's
    milestone: from the previous milestone of the video (or 0) to this one; "watched" = the student's
    watched segments cover at least ``min_share`` of it. Per question with a milestone and attempts:
    ``watched_n``, ``watched_correct_rate``, ``unwatched_n``, ``unwatched_correct_rate``, ``difference``
    (watched - unwatched rate) and Fisher's exact two-sided ``p_value`` (null unless both groups exist)."""
    from scipy.stats import fisher_exact

    qs = questions(src, video_id=video_id, lesson_id=lesson_id, class_id=class_id).filter(
        pl.col("milestone_id").is_not_null()
    )
    rows = attempts(src, video_id=video_id, lesson_id=lesson_id, class_id=class_id).filter(
        pl.col("attempt_number") == 1
    )
    marks = src.query(
        "SELECT CAST(id AS VARCHAR) AS milestone_id, CAST(video_id AS VARCHAR) AS video_id, "  # noqa: S608
        f"timestamp_seconds FROM milestones WHERE tenant_id = {TENANT}",
        schema={"milestone_id": pl.String, "video_id": pl.String, "timestamp_seconds": pl.Float64},
    )
    stamps = {m: (v, t) for m, v, t in marks.iter_rows()}
    segments_of = {
        (st, v): json.loads(raw) if raw else []
        for st, v, raw in src.query(
            f"SELECT CAST(student_id AS VARCHAR) AS student_id, CAST(video_id AS VARCHAR) AS video_id, "  # noqa: S608
            f"CAST(watched_segments AS VARCHAR) AS segments FROM student_progress WHERE tenant_id = {TENANT}",
            schema={"student_id": pl.String, "video_id": pl.String, "segments": pl.String},
        ).iter_rows()
    }
    first_correct: dict[str, list[tuple[str, bool]]] = defaultdict(list)
    for st, qid, ok in rows.select("student_id", "question_id", "is_correct").iter_rows():
        first_correct[qid].append((st, ok))
    out = []
    for qid, vid, mid in qs.select("question_id", "video_id", "milestone_id").iter_rows():
        if not first_correct.get(qid) or mid not in stamps:
            continue
        end = stamps[mid][1]
        start = max((t for m, (v, t) in stamps.items() if v == vid and t < end), default=0.0)
        if end - start <= 0:
            continue
        groups: dict[bool, list[bool]] = {True: [], False: []}
        for st, ok in first_correct[qid]:
            seen = _covered(segments_of.get((st, vid), []), start, end) >= min_share * (end - start) - 1e-9
            groups[seen].append(ok)
        w, u = groups[True], groups[False]
        rate_w = sum(w) / len(w) if w else None
        rate_u = sum(u) / len(u) if u else None
        p = None
        if w and u:
            p = float(fisher_exact([[sum(w), len(w) - sum(w)], [sum(u), len(u) - sum(u)]]).pvalue)
        diff = rate_w - rate_u if rate_w is not None and rate_u is not None else None
        out.append((qid, mid, start, end, len(w), rate_w, len(u), rate_u, diff, p))
    return pl.DataFrame(
        out,
        schema={
            "question_id": pl.String,
            "milestone_id": pl.String,
            "segment_start": pl.Float64,
            "segment_end": pl.Float64,
            "watched_n": pl.Int64,
            "watched_correct_rate": pl.Float64,
            "unwatched_n": pl.Int64,
            "unwatched_correct_rate": pl.Float64,
            "difference": pl.Float64,
            "p_value": pl.Float64,
        },
        orient="row",
    )
