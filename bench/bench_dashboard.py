"""Class-dashboard latency at a small and a 10x larger event volume, as ratios to the small scale.

Usage: .venv/bin/python bench/bench_dashboard.py [--events N] [--factor F] [--runs R] [--json]

Runs on a scratch database created (and dropped) on the server of ``DATABASE_URL``, or on the embedded
server. Two schools of the same shape are bulk-loaded with binary COPY by the owner (classes, lessons,
videos, questions, progress, grades, attempts) and ``N`` playback events each over the last 28 days; the
daily roll-ups are refreshed. The "large" school then gets ``(F - 1) * N`` more events over the same days
(the same learners watching more) and its roll-ups are refreshed incrementally. The class dashboard
(``class_overview`` + ``class_students`` of one class, through ``open_source`` as the application role,
rotating over the classes) is timed ``R`` times per school, in interleaved rounds so that a busy
machine's load falls on both scales alike.

Baseline row: the same class's "time spent" computed straight from ``analytics_events`` (what a dashboard
without roll-ups would do), timed at both scales. The figure is the large/small ratio of the dashboard's
p50 and p95 (goal: under 1.5 for 10x the events). Peak memory is the process's peak RSS. No assertions.

This module also holds the bulk loader the other analytics benchmarks use.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import scratch
from psycopg.types.json import Jsonb
from rich.console import Console
from rich.table import Table
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from platform_core.db.engine import owner_engine
from platform_core.tenancy.tenants import create_tenant

DAYS = 28


@contextmanager
def scratch_database() -> Iterator[str]:
    """A scratch database (see ``scratch.py``) with partitions for the whole benchmark period."""
    with scratch.scratch_database("ilp_bench_an") as url:
        with owner_engine().begin() as conn:
            conn.execute(
                text(
                    "SELECT ilp_ensure_month_partitions('analytics_events', "
                    "now() - interval '40 days', now())"
                )
            )
        yield url


@dataclass
class School:
    tenant_id: uuid.UUID
    slug: str
    classes: list[uuid.UUID] = field(default_factory=list)
    students: list[uuid.UUID] = field(default_factory=list)
    roster: dict[uuid.UUID, list[uuid.UUID]] = field(default_factory=dict)
    videos: list[uuid.UUID] = field(default_factory=list)
    class_videos: dict[uuid.UUID, list[uuid.UUID]] = field(default_factory=dict)
    questions: list[tuple[uuid.UUID, uuid.UUID]] = field(default_factory=list)  # (question, video)


def _copy(table: str, columns: list[str], types: list[str], rows: Iterator[tuple[Any, ...]]) -> int:
    """Binary COPY as the owner (a superuser bypasses RLS: bulk loading only, never the app path)."""
    n = 0
    with owner_engine().connect() as conn:
        driver = conn.connection.driver_connection
        assert driver is not None
        with (
            driver.cursor() as cur,
            cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)") as cp,
        ):
            cp.set_types(types)
            for row in rows:
                cp.write_row(row)
                n += 1
        driver.commit()  # the COPY ran on the driver connection, outside SQLAlchemy's transaction
    return n


def build_school(*, classes: int = 20, per_class: int = 30, seed: int = 3) -> School:
    """Content, rosters, progress, grades and attempts of one tenant (events come separately)."""
    rng = random.Random(seed)
    slug = f"bench-{uuid.uuid4().hex[:8]}"
    tid = create_tenant(slug=slug, name=f"Bench {slug}").id
    school = School(tid, slug)
    now = datetime.now(UTC)
    teacher = uuid.uuid4()
    school.students = [uuid.uuid4() for _ in range(classes * per_class)]
    _copy(
        "users",
        ["tenant_id", "id", "email", "display_name", "role"],
        ["uuid", "uuid", "text", "text", "text"],
        iter(
            [(tid, teacher, f"teacher@{slug}.test", "Teacher", "teacher")]
            + [
                (tid, s, f"s{k}@{slug}.test", f"Student {k}", "student")
                for k, s in enumerate(school.students)
            ]
        ),
    )
    lessons = [uuid.uuid4() for _ in range(12)]
    groups = [uuid.uuid4() for _ in lessons]
    school.videos = [uuid.uuid4() for _ in range(len(lessons) * 3)]
    lesson_videos = {lessons[i]: school.videos[3 * i : 3 * i + 3] for i in range(len(lessons))}
    school.classes = [uuid.uuid4() for _ in range(classes)]
    _copy(
        "classes",
        ["tenant_id", "id", "name", "teacher_id"],
        ["uuid", "uuid", "text", "uuid"],
        iter([(tid, c, f"Class {k}", teacher) for k, c in enumerate(school.classes)]),
    )
    _copy(
        "lessons",
        ["tenant_id", "id", "title", "status"],
        ["uuid", "uuid", "text", "text"],
        iter([(tid, lesson, f"Lesson {k}", "published") for k, lesson in enumerate(lessons)]),
    )
    _copy(
        "videos",
        ["tenant_id", "id", "title", "duration_seconds"],
        ["uuid", "uuid", "text", "float8"],
        iter([(tid, v, f"Video {k}", 600.0) for k, v in enumerate(school.videos)]),
    )
    _copy(
        "video_groups",
        ["tenant_id", "id", "lesson_id", "title"],
        ["uuid", "uuid", "uuid", "text"],
        iter([(tid, g, lesson, "Part") for g, lesson in zip(groups, lessons, strict=True)]),
    )
    _copy(
        "video_group_videos",
        ["tenant_id", "video_group_id", "video_id", "position"],
        ["uuid", "uuid", "uuid", "int4"],
        iter(
            [
                (tid, g, v, p)
                for g, lesson in zip(groups, lessons, strict=True)
                for p, v in enumerate(lesson_videos[lesson])
            ]
        ),
    )
    enroll, assign = [], []
    for k, c in enumerate(school.classes):
        members = school.students[k * per_class : (k + 1) * per_class]
        school.roster[c] = members
        chosen = rng.sample(lessons, 4)
        school.class_videos[c] = [v for lesson in chosen for v in lesson_videos[lesson]]
        enroll += [(tid, c, s) for s in members]
        assign += [(tid, c, lesson, p) for p, lesson in enumerate(chosen)]
    _copy("enrollments", ["tenant_id", "class_id", "student_id"], ["uuid", "uuid", "uuid"], iter(enroll))
    _copy(
        "class_lessons",
        ["tenant_id", "class_id", "lesson_id", "position"],
        ["uuid", "uuid", "uuid", "int4"],
        iter(assign),
    )
    milestones = [(uuid.uuid4(), v, t) for v in school.videos for t in (150.0, 420.0)]
    _copy(
        "milestones",
        ["tenant_id", "id", "video_id", "timestamp_seconds"],
        ["uuid", "uuid", "uuid", "float8"],
        iter([(tid, m, v, t) for m, v, t in milestones]),
    )
    school.questions = [(uuid.uuid4(), v) for _m, v, _t in milestones]
    _copy(
        "questions",
        ["tenant_id", "id", "video_id", "milestone_id", "type", "prompt", "data", "status"],
        ["uuid", "uuid", "uuid", "uuid", "text", "text", "jsonb", "text"],
        iter(
            [
                (tid, q, v, m, "true_false", "True?", Jsonb({"correctAnswer": True}), "published")
                for (q, v), (m, _v, _t) in zip(school.questions, milestones, strict=True)
            ]
        ),
    )
    progress, grades, attempts = [], [], []
    video_questions: dict[uuid.UUID, list[uuid.UUID]] = {}
    for q, v in school.questions:
        video_questions.setdefault(v, []).append(q)
    for c, members in school.roster.items():
        for s in members:
            for v in school.class_videos[c]:
                if rng.random() < 0.8:
                    end = rng.choice([600.0, rng.uniform(60, 600)])
                    cov = end / 600.0
                    progress.append(
                        (
                            tid,
                            uuid.uuid4(),
                            s,
                            v,
                            Jsonb([[0.0, end]]),
                            end,
                            end * 1.2,
                            cov,
                            cov >= 0.95,
                            now - timedelta(days=rng.uniform(0, DAYS)),
                        )
                    )
                    for q in video_questions[v]:
                        ok = rng.random() < 0.6
                        attempts.append(
                            (
                                tid,
                                uuid.uuid4(),
                                s,
                                q,
                                1,
                                Jsonb(ok),
                                1.0 if ok else 0.0,
                                1.0 if ok else 0.0,
                                1.0,
                                ok,
                                now - timedelta(days=rng.uniform(0, DAYS)),
                            )
                        )
            for lesson in {lv for lv, vs in lesson_videos.items() if set(vs) <= set(school.class_videos[c])}:
                pct = rng.uniform(20, 100)
                grades.append((tid, uuid.uuid4(), s, lesson, pct, "B", 2, "penalized"))
    _copy(
        "student_progress",
        [
            "tenant_id",
            "id",
            "student_id",
            "video_id",
            "watched_segments",
            "watched_seconds",
            "total_watch_seconds",
            "coverage",
            "is_completed",
            "last_event_at",
        ],
        ["uuid", "uuid", "uuid", "uuid", "jsonb", "float8", "float8", "float8", "bool", "timestamptz"],
        iter(progress),
    )
    _copy(
        "grades",
        [
            "tenant_id",
            "id",
            "student_id",
            "lesson_id",
            "percentage",
            "letter",
            "attempts_count",
            "grading_method",
        ],
        ["uuid", "uuid", "uuid", "uuid", "float8", "text", "int4", "text"],
        iter(grades),
    )
    _copy(
        "question_attempts",
        [
            "tenant_id",
            "id",
            "student_id",
            "question_id",
            "attempt_number",
            "response",
            "fraction",
            "points_awarded",
            "points_possible",
            "is_correct",
            "submitted_at",
        ],
        [
            "uuid",
            "uuid",
            "uuid",
            "uuid",
            "int4",
            "jsonb",
            "float8",
            "float8",
            "float8",
            "bool",
            "timestamptz",
        ],
        iter(attempts),
    )
    return school


def _events(school: School, count: int, seed: int) -> Iterator[tuple[Any, ...]]:
    """Viewing sessions (play, 10 s heartbeats, pause) by enrolled students on their class's videos."""
    rng = random.Random(seed)
    start = datetime.now(UTC) - timedelta(days=DAYS)
    pairs = [(s, c) for c, members in school.roster.items() for s in members]
    tid, n = school.tenant_id, 0
    while n < count:
        student, klass = rng.choice(pairs)
        v = rng.choice(school.class_videos[klass])
        at = start + timedelta(seconds=rng.randrange(0, DAYS * 86400 - 3600))
        pos = float(rng.choice([0, 0, 150, 300]))
        data = {"video_id": str(v)}
        yield (tid, uuid.uuid4(), at, student, "video_play", Jsonb({**data, "position": pos}))
        n += 1
        for _ in range(min(rng.randrange(5, 40), count - n)):
            at += timedelta(seconds=10)
            pos = min(600.0, pos + 10)
            yield (
                tid,
                uuid.uuid4(),
                at,
                student,
                "video_progress",
                Jsonb({**data, "position": pos, "playback_rate": 1.0}),
            )
            n += 1
        if n < count:
            yield (tid, uuid.uuid4(), at, student, "video_pause", Jsonb({**data, "position": pos}))
            n += 1


def add_events(school: School, count: int, *, seed: int) -> int:
    n = _copy(
        "analytics_events",
        ["tenant_id", "id", "occurred_at", "user_id", "type", "data"],
        ["uuid", "uuid", "timestamptz", "uuid", "text", "jsonb"],
        _events(school, count, seed),
    )
    analyze()
    return n


def analyze() -> None:
    """What autovacuum would do after a bulk load: fresh planner statistics."""
    with owner_engine().connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))


def refresh(school: School) -> float:
    from platform_core.analytics.rollups import refresh_rollups
    from platform_core.db.session import tenant_session

    started = time.perf_counter()
    with tenant_session(school.tenant_id) as s:
        refresh_rollups(s)
    return time.perf_counter() - started


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _dashboard(school: School, klass: uuid.UUID) -> None:
    from platform_core.analytics import class_overview, class_students, open_source

    with open_source(school.tenant_id) as src:
        class_overview(src, class_id=klass)
        class_students(src, class_id=klass)


RAW_TIME_SPENT = """
SELECT user_id, sum(LEAST(coalesce(EXTRACT(EPOCH FROM next_at - occurred_at), 0), 60)) FROM (
    SELECT e.user_id, e.type, e.occurred_at, LEAD(e.occurred_at) OVER (
               PARTITION BY e.user_id, e.data ->> 'video_id' ORDER BY e.occurred_at, e.id) AS next_at
    FROM analytics_events e
    WHERE e.tenant_id = :t AND e.data ? 'video_id'
      AND e.user_id IN (SELECT student_id FROM enrollments WHERE tenant_id = :t AND class_id = :c)
) AS timed
WHERE type IN ('video_play', 'video_progress', 'video_seek')
GROUP BY user_id
"""


def _raw_baseline(school: School, klass: uuid.UUID) -> None:
    from platform_core.analytics import open_source

    with open_source(school.tenant_id) as src:
        src.session.execute(text(RAW_TIME_SPENT), {"t": school.tenant_id, "c": klass}).all()


def _interleaved(schools: dict[str, School], runs: int, call: Any) -> dict[str, list[float]]:
    """Time ``call`` on each school in turn (random order per round), so that both scales see the same
    machine load; the first round warms pools and caches and is not counted."""
    rng = random.Random(9)
    out: dict[str, list[float]] = {name: [] for name in schools}
    for k in range(runs + 1):
        names = list(schools)
        rng.shuffle(names)
        for name in names:
            school = schools[name]
            started = time.perf_counter()
            call(school, school.classes[k % len(school.classes)])
            if k:
                out[name].append((time.perf_counter() - started) * 1000)
    return out


def _summary(ms: list[float]) -> tuple[float, float]:
    qs = statistics.quantiles(ms, n=20, method="inclusive")
    return statistics.median(ms), qs[18]


def _rollup_rows(school: School) -> int:
    with owner_engine().connect() as conn:
        return conn.execute(
            text("SELECT count(*) FROM analytics_daily_video_activity WHERE tenant_id = :t"),
            {"t": school.tenant_id},
        ).scalar_one()


def run(events: int, factor: int, runs: int, classes: int, per_class: int) -> dict[str, Any]:
    with scratch_database():
        # two schools of the same shape: "small" keeps N events, "large" grows to factor x N
        schools = {
            name: build_school(classes=classes, per_class=per_class, seed=3) for name in ("small", "large")
        }
        refresh_s = {}
        for name, school in schools.items():
            add_events(school, events, seed=1)
            refresh_s[name] = refresh(school)
        add_events(schools["large"], events * (factor - 1), seed=2)
        incremental = refresh(schools["large"])
        dashboard = _interleaved(schools, runs, _dashboard)
        raw = _interleaved(schools, max(5, runs // 4), _raw_baseline)
        result = {
            name: {
                "events": events * (factor if name == "large" else 1),
                "rollup_rows": _rollup_rows(school),
                "dashboard": _summary(dashboard[name]),
                "raw": _summary(raw[name]),
            }
            for name, school in schools.items()
        }
    return {
        **result,
        "students": classes * per_class,
        "runs": runs,
        "first_refresh_s": refresh_s["small"],
        "incremental_refresh_s": incremental,
        "added_events": events * (factor - 1),
        "peak_rss_mib": peak_rss_mib(),
    }


def show(result: dict[str, Any]) -> None:
    small, large = result["small"], result["large"]
    table = Table(
        title=f"class dashboard ({result['students']} students, {result['runs']} interleaved runs per scale)"
    )
    for col in (
        "scale",
        "events",
        "roll-up rows",
        "dashboard p50 ms",
        "dashboard p95 ms",
        "raw-events query p50 ms",
    ):
        table.add_column(col, justify="right")
    for name, s in (("small", small), ("large", large)):
        table.add_row(
            name,
            f"{s['events']:,}",
            f"{s['rollup_rows']:,}",
            f"{s['dashboard'][0]:.1f}",
            f"{s['dashboard'][1]:.1f}",
            f"{s['raw'][0]:.1f}",
        )
    table.add_row(
        "large / small",
        f"{large['events'] / small['events']:.1f}x",
        f"{large['rollup_rows'] / small['rollup_rows']:.2f}x",
        f"{large['dashboard'][0] / small['dashboard'][0]:.2f}x",
        f"{large['dashboard'][1] / small['dashboard'][1]:.2f}x",
        f"{large['raw'][0] / small['raw'][0]:.2f}x",
    )
    console = Console()
    console.print(table)
    console.print(
        f"roll-up refresh: {result['first_refresh_s']:.1f} s for the first {small['events']:,} events; "
        f"{result['incremental_refresh_s']:.1f} s incrementally for {result['added_events']:,} more "
        f"({result['added_events'] / max(result['incremental_refresh_s'], 1e-9):,.0f} events/s)"
    )
    console.print(
        "goal: dashboard large/small under 1.5x (p50 and p95) for 10x the events; "
        f"peak RSS {result['peak_rss_mib']:.0f} MiB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000, help="events at the small scale")
    parser.add_argument("--factor", type=int, default=10, help="large scale = factor x events")
    parser.add_argument("--runs", type=int, default=40, help="dashboard loads timed per scale")
    parser.add_argument("--classes", type=int, default=20)
    parser.add_argument("--per-class", type=int, default=30)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = run(args.events, args.factor, args.runs, args.classes, args.per_class)
    if args.json:
        print(json.dumps(result, indent=2, default=str))
    else:
        show(result)


if __name__ == "__main__":
    main()
