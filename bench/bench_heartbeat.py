"""Session heartbeats through ``sync_session``, as a ratio to plain upserts of the same rows.

Usage: .venv/bin/python bench/bench_heartbeat.py [--heartbeats N] [--json]

Runs against a scratch database created (and dropped afterwards) on the server of ``DATABASE_URL``, or on
the embedded server when it is unset (see ``bench_ingest.scratch_database``). Students watch videos on two
devices; every heartbeat carries a position and the device clock, and one in twenty is a late duplicate
of an earlier one (a retry), as on real networks. Rows, each on a tenant of its own:

- ``plain upsert`` (baseline): ``INSERT ... ON CONFLICT DO UPDATE SET position = ...`` of the same values
  through the same ``tenant_session`` (tenant context, RLS and the foreign keys apply): last write wins,
  no checks.
- ``sync_session``: the platform API: student and video of the tenant, position within the duration,
  validated device info, newest-client-time-wins, stale updates only touch ``last_seen_at``.

Both one heartbeat per transaction (what a web request does) and 100 per transaction (a device flushing
a queue). Peak memory is traced by tracemalloc over a separate pass of 200 heartbeats. No assertions.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
import tracemalloc
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_ingest import school, scratch_database

from platform_core.activity.sessions import sync_session
from platform_core.db.session import tenant_session

Beat = tuple[uuid.UUID, uuid.UUID, float, datetime, str]

_PLAIN = text(
    """
    INSERT INTO student_sessions AS s (tenant_id, student_id, video_id, device_fingerprint, device_info,
        position_seconds, furthest_position_seconds, last_client_at, last_seen_at)
    VALUES (:t, :s, :v, :fp, CAST(:info AS jsonb), :p, :p, :at, now())
    ON CONFLICT (tenant_id, student_id, video_id) DO UPDATE SET
        position_seconds = excluded.position_seconds, device_fingerprint = excluded.device_fingerprint,
        device_info = excluded.device_info, last_client_at = excluded.last_client_at, last_seen_at = now()
    """
)
DEVICE = {"kind": "desktop", "os": "Linux", "browser": "Firefox"}


def heartbeats(count: int, users: list[uuid.UUID], videos: list[uuid.UUID], seed: int = 1) -> list[Beat]:
    rng = random.Random(seed)
    start = datetime.now(UTC) - timedelta(hours=2)
    clock: dict[tuple[uuid.UUID, uuid.UUID], tuple[datetime, float]] = {}
    beats: list[Beat] = []
    while len(beats) < count:
        pair = (rng.choice(users), rng.choice(videos))
        at, position = clock.get(pair, (start, 0.0))
        at, position = at + timedelta(seconds=10), min(600.0, position + 10)
        clock[pair] = (at, position)
        beats.append((pair[0], pair[1], position, at, rng.choice(["laptop", "phone"])))
        if beats and rng.random() < 0.05:
            beats.append(rng.choice(beats))  # a retry delivered late
    return beats[:count]


def plain(tenant: uuid.UUID, beats: list[Beat]) -> None:
    with tenant_session(tenant) as s:
        for student, video, position, at, device in beats:
            info = json.dumps(DEVICE)
            s.execute(
                _PLAIN,
                {"t": tenant, "s": student, "v": video, "fp": device, "info": info, "p": position, "at": at},
            )


def api(tenant: uuid.UUID, beats: list[Beat]) -> None:
    with tenant_session(tenant) as s:
        for student, video, position, at, device in beats:
            sync_session(
                s,
                student_id=student,
                video_id=video,
                position=position,
                client_at=at,
                device_fingerprint=device,
                device_info=DEVICE,
            )


def chunks(beats: list[Beat], size: int) -> Iterator[list[Beat]]:
    for k in range(0, len(beats), size):
        yield beats[k : k + size]


Call = Callable[[uuid.UUID, list[Beat]], None]


def measure(call: Call, beats_of: Callable[[], tuple[uuid.UUID, list[Beat]]], per_transaction: int) -> float:
    tenant, beats = beats_of()
    started = time.perf_counter()
    for chunk in chunks(beats, per_transaction):
        call(tenant, chunk)
    return len(beats) / (time.perf_counter() - started)


def peak_kib(call: Callable[[uuid.UUID, list[Beat]], None], tenant: uuid.UUID, beats: list[Beat]) -> float:
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        for chunk in chunks(beats, 100):
            call(tenant, chunk)
        return (tracemalloc.get_traced_memory()[1] - base) / 1024
    finally:
        tracemalloc.stop()


def run(count: int, repeat: int, students: int, videos: int) -> dict[str, Any]:
    phases = {"plain_1": (plain, 1), "api_1": (api, 1), "plain_100": (plain, 100), "api_100": (api, 100)}
    best: dict[str, float] = {}
    with scratch_database():

        def fresh() -> tuple[uuid.UUID, list[Beat]]:
            tenant, users, vids = school(students, videos)
            return tenant, heartbeats(count, users, vids)

        for _ in range(repeat):  # interleaved, so every phase sees the same load
            for name, (call, size) in phases.items():
                best[name] = max(best.get(name, 0.0), measure(call, fresh, size))
        memory = {}
        for name, call in (("plain", plain), ("api", api)):
            tenant, beats = fresh()
            memory[name] = peak_kib(call, tenant, beats[:200])
        tenant, beats = fresh()
        api(tenant, beats)
        with tenant_session(tenant) as s:
            sessions = s.execute(text("SELECT count(*) FROM student_sessions")).scalar_one()
    return {
        "heartbeats": count,
        "sessions": sessions,
        "rates": best,
        "ratio": {"1": best["api_1"] / best["plain_1"], "100": best["api_100"] / best["plain_100"]},
        "peak_kib": memory,
    }


def show(result: dict[str, Any]) -> None:
    table = Table(title=f"{result['heartbeats']:,} heartbeats over {result['sessions']:,} sessions")
    for column in ("phase", "per transaction", "heartbeats/s", "x plain upsert", "peak KiB (100/txn)"):
        table.add_column(column, justify="left" if column == "phase" else "right", no_wrap=True)
    rates, ratio, memory = result["rates"], result["ratio"], result["peak_kib"]
    for size in ("1", "100"):
        table.add_row(
            "plain upsert (baseline)",
            size,
            f"{rates['plain_' + size]:,.0f}",
            "1.00",
            f"{memory['plain']:,.0f}",
        )
        table.add_row(
            "sync_session",
            size,
            f"{rates['api_' + size]:,.0f}",
            f"{ratio[size]:.2f}",
            f"{memory['api']:,.0f}",
        )
    console = Console()
    if console.width < 100:
        console = Console(width=100)
    console.print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--heartbeats", type=int, default=3000, help="heartbeats per phase (default 3000)")
    parser.add_argument("--repeat", type=int, default=2, help="runs per phase, best kept (default 2)")
    parser.add_argument("--students", type=int, default=50)
    parser.add_argument("--videos", type=int, default=10)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON instead of a table")
    args = parser.parse_args()
    result = run(max(args.heartbeats, 10), max(args.repeat, 1), args.students, args.videos)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        show(result)


if __name__ == "__main__":
    main()
