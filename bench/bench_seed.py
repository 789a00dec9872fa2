"""The seeding simulator through the platform APIs, as a ratio to the same learners played in memory.

Usage: .venv/bin/python bench/bench_seed.py [--scale small] [--students N] [--workers 1,2] [--json]

Runs against a scratch database created (and dropped afterwards) on the server of ``DATABASE_URL``, or on
the embedded server when it is unset, migrated to head. Every phase plays the same plan (same seed, same
learners, so the same events); each database phase writes a tenant of its own. Rows:

- ``in-memory backend`` (baseline): planning and playing every learner with ``LocalBackend`` (grading and
  next steps computed in Python, no database): the simulator's own cost.
- ``platform, W worker(s)``: people, content, classes and experiments written through the services, then
  every learner played through ``sync_session``, ``submit_attempt`` and ``ingest_events`` with W learners
  at a time (``ilp seed --workers W``).

Columns: wall seconds; CPU seconds of this (Python) process (the rest of the wall time is the database
server's work, or waiting for it and for other processes on a busy machine); events per second; slowdown
against the baseline; attempts and session syncs per second; and peak memory: traced (tracemalloc) for the
in-memory pass, the process's peak resident size after each database phase. No assertions.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import resource
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from typing import Any

from rich.console import Console
from rich.table import Table
from scratch import scratch_database

from platform_core.simulation.backends import LocalBackend
from platform_core.simulation.content_plan import SCALES, TenantPlan, plan_tenant
from platform_core.simulation.learners import make_profile, plan_sittings
from platform_core.simulation.player import Player
from platform_core.simulation.player_state import PlayerStats
from platform_core.simulation.seed import seed_tenant
from platform_core.tenancy.tenants import create_tenant


def in_memory(plan: TenantPlan) -> tuple[PlayerStats, int]:
    """Play every learner of ``plan`` against ``LocalBackend``; returns the stats and the event count."""
    lessons = {lesson.id: lesson.video_ids for lesson in plan.lessons}
    minutes = {
        lesson.id: sum(plan.videos[v].duration for v in lesson.video_ids) / 60 for lesson in plan.lessons
    }
    experiments = [(e.key, e.variants) for e in plan.experiments]
    stats, count = PlayerStats(), 0
    backend = LocalBackend()
    for klass in plan.classes:
        work = [(a.lesson_id, a.assigned_at, a.due_at, minutes[a.lesson_id]) for a in klass.assignments]
        for index in klass.student_indexes:
            student = plan.students[index]
            rng = random.Random(student.seed)
            profile = make_profile(rng, student.id, start=plan.start, now=plan.now, experiments=experiments)
            events: list[dict[str, Any]] = []
            player = Player(profile=profile, videos=plan.videos, lessons=lessons, backend=backend,
                            sink=events.append, rng=rng, now=plan.now)  # fmt: skip
            stats.add(player.run(plan_sittings(rng, profile, work, now=plan.now)))
            count += len(events)
    return stats, count


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", default="small", choices=sorted(SCALES))
    parser.add_argument(
        "--students", type=int, default=None, help="Learners per tenant (default: the scale's)."
    )
    parser.add_argument("--workers", default="1,2", help="Comma-separated worker counts to run.")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    scale = SCALES[args.scale]
    if args.students:
        scale = dataclasses.replace(scale, students=args.students, classes=min(scale.classes, args.students))
    now = (datetime.now(UTC) - timedelta(hours=1)).replace(microsecond=0)
    rows: list[dict[str, Any]] = []

    started, cpu = time.perf_counter(), cpu_seconds()
    stats, events = in_memory(plan_tenant(args.seed, scale, 0, now=now, slug="bench"))
    baseline, baseline_cpu = time.perf_counter() - started, cpu_seconds() - cpu
    tracemalloc.start()
    in_memory(plan_tenant(args.seed, scale, 0, now=now, slug="bench"))
    traced = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    rows.append({"phase": "in-memory backend (baseline)", "seconds": baseline, "cpu": baseline_cpu,
                 "events": events, "attempts": stats.attempts, "syncs": stats.syncs,
                 "peak_mib": traced})  # fmt: skip

    with scratch_database():
        for workers in (int(w) for w in args.workers.split(",")):
            slug = f"bench-w{workers}"
            plan = plan_tenant(args.seed, scale, 0, now=now, slug=slug)
            tenant = create_tenant(slug=slug, name=slug)
            started, cpu = time.perf_counter(), cpu_seconds()
            report = seed_tenant(tenant.id, plan, seed=args.seed, workers=workers)
            rows.append({"phase": f"platform, {workers} worker(s)", "seconds": time.perf_counter() - started,
                         "cpu": cpu_seconds() - cpu, "events": report.ingest.stored,
                         "attempts": report.activity.attempts, "syncs": report.activity.syncs,
                         "peak_mib": peak_rss_mib(), "quarantined": report.ingest.quarantined})  # fmt: skip
    for row in rows:
        row["events_per_second"] = row["events"] / row["seconds"]
        row["slowdown"] = row["seconds"] / baseline
    if args.json:
        print(json.dumps({"scale": scale.name, "students": scale.students, "rows": rows}, indent=2))
        return
    table = Table(title=f"ilp seed, {scale.students} learners ({scale.name}), as ratios to the in-memory run")
    for column in (
        "phase",
        "seconds",
        "python cpu s",
        "events/s",
        "x baseline",
        "attempts/s",
        "syncs/s",
        "peak MiB",
    ):
        table.add_column(column, justify="left" if column == "phase" else "right")
    for row in rows:
        table.add_row(
            row["phase"],
            f"{row['seconds']:.1f}",
            f"{row['cpu']:.1f}",
            f"{row['events_per_second']:,.0f}",
            f"{row['slowdown']:.1f}",
            f"{row['attempts'] / row['seconds']:,.0f}",
            f"{row['syncs'] / row['seconds']:,.0f}",
            f"{row['peak_mib']:.0f}",
        )
    console = Console(width=max(Console().width, 120))
    console.print(table)
    console.print("peak MiB: traced allocations for the in-memory run, process peak RSS for the others")


if __name__ == "__main__":
    main()
