"""Event ingest through the platform API, as a ratio to raw binary COPY of the same rows into the same table.

Usage: .venv/bin/python bench/bench_ingest.py [--events N] [--batch-size B] [--json]

Runs against a scratch database created (and dropped afterwards) on the server of ``DATABASE_URL``, or on
the embedded server when it is unset, migrated to head. The events are a realistic mix: students watching
videos (play, heartbeats every 10 s, pauses, seeks, completes) and navigating (page views, clicks), as the
decoded JSON objects a player sends, in time order. Each phase writes to a tenant of its own, into the same
``analytics_events`` table, whose partitions for the period exist beforehand. Rows:

- ``raw binary COPY`` (baseline): the same rows, already built as Python tuples, copied by the owner
  (no RLS, no validation, no deduplication, no progress) straight into ``analytics_events``, under the
  same garbage-collector thresholds as ingest.
- ``ingest_events``: the platform API end to end: validation, user/video/position checks, COPY into a
  staging table, the idempotent insert (id looked up across partitions), progress/session/lesson fold,
  one transaction per batch.
- ``ingest_events, no progress fold``: the same path with ``progress.begin_fold`` stubbed out (bench
  only, to show what folding progress, sessions and lessons in the same transaction costs).
- ``ingest_events, replay``: the same events again (everything is a duplicate).
- ``ingest_events, sessions out of order``: other events of the same kind, sent session after session
  rather than in time order, so that many pairs must be refolded from their stored events.
- ``id check alone``: just the lookup of a batch's ids across partitions (the price of catching an id
  re-sent with another occurred_at), per event.
- ``refold from stored events``: recomputing every (student, video) from its stored events, the
  alternative to the incremental fold kept in ``tracker_state``, per stored event.

Figures are the best of ``--repeat`` runs; raw COPY and ingest take turns at running first. Peak memory
is the peak traced by tracemalloc over a separate pass of a tenth of the events (tracing slows Python
down, so it is not measured while timing). No assertions.
"""

from __future__ import annotations

import argparse
import json
import random
import time
import tracemalloc
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from psycopg.types.json import Jsonb
from rich.console import Console
from rich.table import Table
from scratch import scratch_database
from sqlalchemy import text

from platform_core.activity import ingest_batch
from platform_core.activity.ingest import _fewer_gc_passes, ingest_events
from platform_core.activity.progress import recompute_progress
from platform_core.db.engine import owner_engine
from platform_core.db.session import tenant_session
from platform_core.models import Video
from platform_core.tenancy.tenants import create_tenant
from platform_core.tenancy.users import create_user


def school(students: int, videos: int) -> tuple[uuid.UUID, list[uuid.UUID], list[uuid.UUID]]:
    slug = f"bench-{uuid.uuid4().hex[:10]}"
    tenant_id = create_tenant(slug=slug, name=slug).id
    with tenant_session(tenant_id) as s:
        users = [
            create_user(s, email=f"s{k}@{slug}.test", display_name="S", role="student").id
            for k in range(students)
        ]
        rows = [
            Video(id=uuid.uuid4(), tenant_id=tenant_id, title=f"V{k}", duration_seconds=600.0)
            for k in range(videos)
        ]
        s.add_all(rows)
    return tenant_id, users, [v.id for v in rows]


def make_events(
    count: int, users: list[uuid.UUID], videos: list[uuid.UUID], seed: int = 1, *, in_time_order: bool = True
) -> list[dict[str, Any]]:
    """Raw events (decoded JSON) of viewing sessions and navigation at random moments of twenty days, in
    time order as a log of them would be; with ``in_time_order=False``, session after session instead, so
    that many sessions arrive after later ones of the same learner and video (late delivery)."""
    rng = random.Random(seed)
    start = datetime.now(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    events: list[dict[str, Any]] = []

    def emit(kind: str, user: uuid.UUID, at: datetime, data: dict[str, Any]) -> None:
        events.append(
            {
                "id": str(uuid.uuid4()),
                "type": kind,
                "occurred_at": at.isoformat(),
                "user_id": str(user),
                "session_id": None,
                "data": data,
                "context": {"user_agent": "Mozilla/5.0 (X11; Linux x86_64)", "app_version": "2.4.1"},
            }
        )

    while len(events) < count:
        user, video = rng.choice(users), rng.choice(videos)
        at = start + timedelta(minutes=rng.randrange(0, 60 * 24 * 20))
        v = str(video)
        emit("page_view", user, at, {"path": f"/videos/{v}"})
        emit("video_start", user, at, {"video_id": v})
        position = float(rng.choice([0, 0, 0, 120, 300]))
        emit("video_play", user, at, {"video_id": v, "position": position})
        for _ in range(rng.randrange(10, 60)):
            at += timedelta(seconds=10)
            position = min(600.0, position + 10)
            emit("video_progress", user, at, {"video_id": v, "position": position, "playback_rate": 1.0})
            if rng.random() < 0.03:
                target = float(rng.randrange(0, 600))
                emit("video_seek", user, at, {"video_id": v, "from": position, "to": target})
                position = target
        emit("video_pause", user, at, {"video_id": v, "position": position})
        emit("click", user, at, {"target": "button#next"})
    del events[count:]
    if in_time_order:
        events.sort(key=lambda e: e["occurred_at"])
    return events


def raw_rows(tenant_id: uuid.UUID, events: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [
        (
            tenant_id,
            uuid.UUID(e["id"]),
            datetime.fromisoformat(e["occurred_at"]),
            uuid.UUID(e["user_id"]),
            None,
            e["type"],
            Jsonb(e["data"]),
            Jsonb(e["context"]),
        )
        for e in events
    ]


def raw_copy(rows: list[tuple[Any, ...]]) -> None:
    # under the same garbage-collector settings as ingest, so the baseline is not handicapped by them
    with _fewer_gc_passes(), owner_engine().connect() as conn:
        driver = conn.connection.driver_connection
        assert driver is not None
        with (
            driver.cursor() as cur,
            cur.copy(
                "COPY analytics_events (tenant_id, id, occurred_at, user_id, session_id, type, data, "
                "context) FROM STDIN (FORMAT BINARY)"
            ) as copy,
        ):
            copy.set_types(["uuid", "uuid", "timestamptz", "uuid", "uuid", "text", "jsonb", "jsonb"])
            for row in rows:
                copy.write_row(row)
        conn.commit()


@contextmanager
def no_progress_fold() -> Iterator[None]:
    saved = ingest_batch.begin_fold
    ingest_batch.begin_fold = lambda *args, **kwargs: None  # type: ignore[assignment]
    try:
        yield
    finally:
        ingest_batch.begin_fold = saved  # type: ignore[assignment]


def timed(call: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = call()
    return time.perf_counter() - started, result


def peak_kib(call: Callable[[], Any]) -> float:
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        call()
        return (tracemalloc.get_traced_memory()[1] - base) / 1024
    finally:
        tracemalloc.stop()


def id_check_seconds(tenant_id: uuid.UUID, events: list[dict[str, Any]], batch_size: int) -> float:
    ids = [uuid.UUID(e["id"]) for e in events]
    started = time.perf_counter()
    with tenant_session(tenant_id) as s:
        for k in range(0, len(ids), batch_size):
            s.execute(
                text(
                    "SELECT count(*) FROM analytics_events "
                    "WHERE tenant_id = :t AND id = ANY(CAST(:ids AS uuid[]))"
                ),
                {"t": tenant_id, "ids": ids[k : k + batch_size]},
            ).scalar_one()
    return time.perf_counter() - started


def run(count: int, batch_size: int, repeat: int, students: int, videos: int) -> dict[str, Any]:
    with scratch_database():
        with owner_engine().begin() as conn:  # the month(s) the events fall in, for every phase alike
            now = datetime.now(UTC)
            conn.execute(
                text("SELECT ilp_ensure_month_partitions('analytics_events', :a, :b)"),
                {"a": now - timedelta(days=40), "b": now + timedelta(days=40)},
            )
            partitions = conn.execute(
                text("SELECT count(*) FROM pg_inherits WHERE inhparent = 'analytics_events'::regclass")
            ).scalar_one()
        best: dict[str, float] = {}

        def keep(name: str, seconds: float) -> None:
            best[name] = min(best.get(name, float("inf")), seconds)

        for run_number in range(repeat):
            # interleaved, so that both see the same machine load; the table grows with every phase, so
            # the two take turns at running first
            raw_tenant, users, vids = school(students, videos)
            rows = raw_rows(raw_tenant, make_events(count, users, vids))
            tenant, users, vids = school(students, videos)
            events = make_events(count, users, vids)
            if run_number % 2 == 0:
                keep("raw", timed(lambda rows=rows: raw_copy(rows))[0])
            seconds, report = timed(
                lambda t=tenant, e=events: ingest_events(t, events=e, batch_size=batch_size)
            )
            keep("ingest", seconds)
            if run_number % 2 == 1:
                keep("raw", timed(lambda rows=rows: raw_copy(rows))[0])
            keep(
                "replay",
                timed(lambda t=tenant, e=events: ingest_events(t, events=e, batch_size=batch_size))[0],
            )
            keep("id_check", id_check_seconds(tenant, events, batch_size))
            late_tenant, users, vids = school(students, videos)
            late = make_events(count, users, vids, in_time_order=False)
            seconds, late_report = timed(
                lambda t=late_tenant, e=late: ingest_events(t, events=e, batch_size=batch_size)
            )
            keep("late", seconds)
            with tenant_session(tenant) as s:
                pairs = s.execute(text("SELECT student_id, video_id FROM student_progress")).all()
            playback = sum(1 for e in events if e["type"] != "page_view" and e["type"] != "click")

            def refold(t: uuid.UUID = tenant, pairs: list = pairs) -> None:
                with tenant_session(t) as s:
                    for student_id, video_id in pairs:
                        recompute_progress(s, student_id=student_id, video_id=video_id)

            keep("refold", timed(refold)[0] * count / max(playback, 1))
            other, users, vids = school(students, videos)
            fresh = make_events(count, users, vids)
            with no_progress_fold():
                keep(
                    "no_fold",
                    timed(lambda t=other, e=fresh: ingest_events(t, events=e, batch_size=batch_size))[0],
                )
        tenant, users, vids = school(students, videos)
        small = make_events(max(count // 10, 1), users, vids, seed=2)
        small_rows = raw_rows(tenant, small)
        memory = {"raw": peak_kib(lambda: raw_copy(small_rows))}
        tenant, users, vids = school(students, videos)
        small = make_events(max(count // 10, 1), users, vids, seed=3)
        memory["ingest"] = peak_kib(lambda: ingest_events(tenant, events=small, batch_size=batch_size))
    rates = {name: count / seconds for name, seconds in best.items()}
    return {
        "events": count,
        "batch_size": batch_size,
        "partitions": partitions,
        "stored": report.stored,
        "quarantined": report.quarantined,
        "progress_pairs": report.progress_pairs,
        "late_refolded_pairs": late_report.refolded_pairs,
        "rates": rates,
        "ratio_to_raw_copy": {name: rate / rates["raw"] for name, rate in rates.items()},
        "peak_kib": memory,
        "memory_events": max(count // 10, 1),
    }


def show(result: dict[str, Any]) -> None:
    labels = {
        "raw": "raw binary COPY (baseline)",
        "ingest": "ingest_events (platform API)",
        "no_fold": "ingest_events, no progress fold (bench only)",
        "replay": "ingest_events, replay (all duplicates)",
        "late": f"ingest_events, sessions out of order ({result['late_refolded_pairs']:,} refolds)",
        "id_check": f"id check alone ({result['partitions']} partitions)",
        "refold": "refold from stored events",
    }
    table = Table(
        title=f"Ingest of {result['events']:,} events, batches of {result['batch_size']:,} "
        f"({result['progress_pairs']:,} student-video pairs folded)"
    )
    for column in ("phase", "events/s", "x raw COPY", "peak KiB"):
        table.add_column(column, justify="left" if column == "phase" else "right", no_wrap=True)
    for name, label in labels.items():
        memory = result["peak_kib"].get(name)
        table.add_row(
            label,
            f"{result['rates'][name]:,.0f}",
            f"{result['ratio_to_raw_copy'][name]:.2f}",
            f"{memory:,.0f}" if memory is not None else "",
        )
    console = Console()
    if console.width < 100:
        console = Console(width=100)
    console.print(table)
    console.print(
        f"platform ingest / raw COPY = [bold]{result['ratio_to_raw_copy']['ingest']:.2f}[/] (goal >= 0.6); "
        f"peak memory over {result['memory_events']:,} events"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=50_000, help="events per phase (default 50000)")
    parser.add_argument("--batch-size", type=int, default=5000, help="events per transaction (default 5000)")
    parser.add_argument("--repeat", type=int, default=4, help="runs per phase, best kept (default 4)")
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--videos", type=int, default=20)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON instead of a table")
    args = parser.parse_args()
    result = run(max(args.events, 100), args.batch_size, max(args.repeat, 1), args.students, args.videos)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        show(result)


if __name__ == "__main__":
    main()
