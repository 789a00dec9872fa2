"""Attempts per second through ``submit_attempt``, as ratios to plain INSERTs of the same rows.

Usage: .venv/bin/python bench/bench_attempts.py [--attempts N] [--students S] [--json]

Runs against a scratch database created (and dropped afterwards) on the server of ``DATABASE_URL``, or on
the embedded server when it is unset, migrated to head. One tenant holds two lessons sharing a video with
a milestone, and a video in no lesson. Rows, each phase on its own students and one transaction per
attempt unless said otherwise:

- ``INSERT, one per transaction`` (baseline): the very rows ``submit_attempt`` stored, inserted again with
  a plain INSERT as the application role (tenant context, RLS, FKs and the audit trigger all apply).
- ``INSERT, all in one transaction``: the same rows through one executemany: the floor of the storage cost.
- ``submit_attempt, no lesson or milestone``: grading, checks, the advisory lock, the count, the insert.
- ``submit_attempt, 2 lessons + milestone``: also two incremental lesson grades and the milestone's
  progress entry, which is what a learner's answer in a lesson costs.

Peak memory is the peak traced by tracemalloc over a separate, smaller pass of each phase (tracing slows
everything down, so it is not measured during the timed pass). No assertions.
"""

from __future__ import annotations

import argparse
import json
import time
import tracemalloc
import uuid
from collections.abc import Callable
from typing import Any

from rich.console import Console
from rich.table import Table
from scratch import scratch_database
from sqlalchemy import insert, select

from platform_core.db.session import tenant_session
from platform_core.grading.attempts import submit_attempt
from platform_core.models import (
    Lesson,
    Milestone,
    Question,
    QuestionAttempt,
    Video,
    VideoGroup,
    VideoGroupVideo,
)
from platform_core.tenancy.tenants import create_tenant
from platform_core.tenancy.users import create_user

QUESTIONS: list[tuple[str, dict[str, Any], list[Any]]] = [
    (
        "multiple_choice",
        {"options": [{"id": "a", "text": "2", "isCorrect": True}, {"id": "b", "text": "3"}]},
        ["a", "b"],
    ),
    (
        "short_answer",
        {"acceptedAnswers": ["Paris", {"text": "Par*", "fraction": 0.5}]},
        ["Paris", "Parma", "x"],
    ),
    (
        "numeric",
        {"answer": 9.81, "tolerance": 0.05, "units": [{"unit": "m/s2", "multiplier": 1}]},
        ["9.8", "10"],
    ),
    ("true_false", {"correctAnswer": True}, [True, False]),
]


class Workload:
    """A tenant with content; ``questions(kind)`` are (question id, responses) to answer."""

    def __init__(self) -> None:
        self.tenant_id = create_tenant(slug=f"bench-{uuid.uuid4().hex[:8]}", name="Bench").id
        tid = self.tenant_id
        with tenant_session(tid) as s:
            shared = Video(id=uuid.uuid4(), tenant_id=tid, title="shared", duration_seconds=600)
            loose = Video(id=uuid.uuid4(), tenant_id=tid, title="loose", duration_seconds=600)
            lessons = [Lesson(id=uuid.uuid4(), tenant_id=tid, title=f"L{i}") for i in range(2)]
            s.add_all([shared, loose, *lessons])
            s.flush()
            groups = [VideoGroup(id=uuid.uuid4(), tenant_id=tid, lesson_id=x.id, title="G") for x in lessons]
            milestone = Milestone(
                id=uuid.uuid4(),
                tenant_id=tid,
                video_id=shared.id,
                timestamp_seconds=60,
                settings={"onWrong": {"action": "seek", "to": 30}},
            )
            s.add_all([*groups, milestone])
            s.flush()
            s.add_all(VideoGroupVideo(tenant_id=tid, video_group_id=g.id, video_id=shared.id) for g in groups)
            self.lesson_questions = self._questions(s, shared.id, milestone.id)
            self.loose_questions = self._questions(s, loose.id, None)

    def _questions(self, s, video_id, milestone_id) -> list[tuple[uuid.UUID, list[Any]]]:
        made = []
        for position, (kind, data, responses) in enumerate(QUESTIONS * 2):
            qid = uuid.uuid4()
            s.add(
                Question(
                    id=qid,
                    tenant_id=self.tenant_id,
                    video_id=video_id,
                    milestone_id=milestone_id,
                    type=kind,
                    prompt="?",
                    data=data,
                    status="published",
                    position=position,
                )
            )
            made.append((qid, responses))
        return made

    def students(self, count: int) -> list[uuid.UUID]:
        with tenant_session(self.tenant_id) as s:
            return [
                create_user(
                    s, email=f"s{uuid.uuid4().hex[:10]}@bench.test", display_name="S", role="student"
                ).id
                for _ in range(count)
            ]

    @staticmethod
    def plan(questions, students: list[uuid.UUID], n: int) -> list[tuple[uuid.UUID, uuid.UUID, Any]]:
        """Round robin over students, then questions; responses rotate (right, partly right, wrong)."""
        plan = []
        for i in range(n):
            question, responses = questions[(i // len(students)) % len(questions)]
            plan.append((students[i % len(students)], question, responses[i % len(responses)]))
        return plan


def run_submits(workload: Workload, plan) -> None:
    for student, question, response in plan:
        with tenant_session(workload.tenant_id) as s:
            submit_attempt(s, student_id=student, question_id=question, response=response, time_spent_ms=1500)


def stored_rows(workload: Workload, students: list[uuid.UUID]) -> list[dict[str, Any]]:
    with tenant_session(workload.tenant_id) as s:
        rows = s.execute(select(QuestionAttempt).where(QuestionAttempt.student_id.in_(students))).scalars()
        columns = [
            c.key for c in QuestionAttempt.__mapper__.column_attrs if c.key not in ("id", "submitted_at")
        ]
        return [{c: getattr(r, c) for c in columns} for r in rows]


def remap(rows: list[dict[str, Any]], students: dict[uuid.UUID, uuid.UUID]) -> list[dict[str, Any]]:
    return [{**r, "id": uuid.uuid4(), "student_id": students[r["student_id"]]} for r in rows]


def run_inserts(workload: Workload, rows: list[dict[str, Any]]) -> None:
    for row in rows:
        with tenant_session(workload.tenant_id) as s:
            s.execute(insert(QuestionAttempt), [row])


def run_bulk(workload: Workload, rows: list[dict[str, Any]]) -> None:
    with tenant_session(workload.tenant_id) as s:
        s.execute(insert(QuestionAttempt), rows)


def timed(fn: Callable[[], None]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def peak_kib(fn: Callable[[], None]) -> float:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 1024
    finally:
        tracemalloc.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--attempts", type=int, default=500, help="attempts per timed phase")
    parser.add_argument("--students", type=int, default=40, help="students per phase")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args()
    n, k = args.attempts, args.students
    sample = max(20, n // 10)
    results: list[dict[str, Any]] = []
    with scratch_database():
        w = Workload()
        run_submits(w, w.plan(w.lesson_questions, w.students(4), 50))  # warm caches and pools

        def phase(name: str, questions) -> list[uuid.UUID]:
            students, traced = w.students(k), w.students(k)
            seconds = timed(lambda: run_submits(w, w.plan(questions, students, n)))
            memory = peak_kib(lambda: run_submits(w, w.plan(questions, traced, sample)))
            results.append({"name": name, "rows": n, "seconds": seconds, "peak_kib": memory})
            return students

        loose_students = phase("submit_attempt, no lesson or milestone", w.loose_questions)
        phase("submit_attempt, 2 lessons + milestone", w.lesson_questions)
        rows = stored_rows(w, loose_students)
        for name, runner in (
            ("INSERT, all in one transaction", run_bulk),
            ("INSERT, one per transaction (baseline)", run_inserts),
        ):
            timed_rows = remap(rows, dict(zip(loose_students, w.students(k), strict=True)))
            traced_rows = remap(rows[:sample], dict(zip(loose_students, w.students(k), strict=True)))
            seconds = timed(lambda runner=runner, batch=timed_rows: runner(w, batch))
            memory = peak_kib(lambda runner=runner, batch=traced_rows: runner(w, batch))
            results.insert(0, {"name": name, "rows": len(rows), "seconds": seconds, "peak_kib": memory})
    base = results[0]["rows"] / results[0]["seconds"]
    for r in results:
        r["per_second"] = r["rows"] / r["seconds"]
        r["vs_baseline"] = r["per_second"] / base
    if args.json:
        print(json.dumps(results, indent=2))
        return
    table = Table(title=f"question attempts ({n} per phase, {k} students per phase)")
    for column in ("phase", "rows", "rows/s", "x baseline", "peak traced KiB"):
        table.add_column(column, justify="left" if column == "phase" else "right")
    for r in results:
        table.add_row(
            r["name"],
            str(r["rows"]),
            f"{r['per_second']:,.0f}",
            f"{r['vs_baseline']:.2f}",
            f"{r['peak_kib']:,.0f}",
        )
    Console().print(table)


if __name__ == "__main__":
    main()
