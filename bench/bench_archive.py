"""Archival throughput: rows per second of `ilp ops archive` on one monthly partition, as a ratio to a plain
``COPY (SELECT * FROM partition) TO STDOUT`` of the same partition measured in the same run.

Usage: .venv/bin/python bench/bench_archive.py [--rows N] [--tenants T] [--json]

A scratch database is created on the configured server (``DATABASE_URL``, else the embedded one), migrated,
filled with N events of one old month spread over T tenants, then: the baseline COPY (binary, output
discarded), and the archive of that partition (detach, Parquet per tenant, checksums in PostgreSQL and
DuckDB, verification, drop), with the time of each step. Peak memory: the process's maximum resident set
(DuckDB's native memory included) and the peak of Python allocations (tracemalloc). No assertions.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
import tracemalloc
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rich.console import Console
from rich.table import Table
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url

from platform_core.db import migrate
from platform_core.db.engine import dispose_engines, owner_engine
from platform_core.db.runtime import owner_url
from platform_core.settings import reset_settings_cache

MONTH = "2001-01-01T00:00:00+00:00"
PARTITION = "analytics_events_p2001_01"
VACUUM_SQL = "VACUUM ANALYZE analytics_events_p2001_01"
COPY_SQL = "COPY (SELECT * FROM analytics_events_p2001_01) TO STDOUT (FORMAT binary)"
FILL = text(
    """
    INSERT INTO analytics_events (tenant_id, id, occurred_at, user_id, type, data, context)
    SELECT CAST(:tenant AS uuid), gen_random_uuid(),
           CAST(:month AS timestamptz) + (g % 2500000) * interval '1 second', CAST(:user AS uuid),
           (ARRAY['video_start', 'video_play', 'video_pause', 'page_view'])[1 + g % 4],
           jsonb_build_object('video_id', CAST(:video AS text), 'position', g % 600),
           CASE WHEN g % 3 = 0 THEN NULL ELSE jsonb_build_object('user_agent', 'bench', 'app', '1') END
    FROM generate_series(1, :n) AS g
    """
)

USER = text(
    "INSERT INTO users (tenant_id, id, email, display_name, role) VALUES (:t, :u, :e, 'B', 'student')"
)


def _scratch_database() -> URL:
    server = owner_url()
    name = f"bench_archive_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return server.set(database=name)


def _drop(url: URL) -> None:
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
    admin.dispose()


def _use(url: URL | None) -> None:
    dispose_engines()
    if url is None:
        os.environ.pop("DATABASE_URL", None)
    else:
        os.environ["DATABASE_URL"] = url.render_as_string(hide_password=False)
    reset_settings_cache()


def _fill(rows: int, tenants: int) -> None:
    from platform_core.tenancy.tenants import create_tenant

    engine = owner_engine()
    with engine.begin() as conn:
        conn.execute(text("SELECT ilp_ensure_month_partitions('analytics_events', :m, :m)"), {"m": MONTH})
    per_tenant = rows // tenants
    for index in range(tenants):
        tenant = create_tenant(slug=f"bench-{index}-{uuid.uuid4().hex[:6]}", name=f"Bench {index}")
        user = uuid.uuid4()
        with engine.begin() as conn:
            conn.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(tenant.id)})
            conn.execute(USER, {"t": tenant.id, "u": user, "e": f"b{index}@bench.test"})
            n = per_tenant if index < tenants - 1 else rows - per_tenant * (tenants - 1)
            params = {"tenant": str(tenant.id), "month": MONTH, "user": str(user), "video": str(uuid.uuid4())}
            conn.execute(FILL, {**params, "n": n})
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(text(VACUUM_SQL))


def _copy_baseline() -> tuple[float, int]:
    """Seconds of a binary COPY of the whole partition to the client (bytes discarded), and bytes read."""
    raw = owner_engine().raw_connection()
    try:
        cursor = raw.cursor()
        started = time.perf_counter()
        size = 0
        with cursor.copy(COPY_SQL) as copy:
            for block in copy:
                size += len(block)
        return time.perf_counter() - started, size
    finally:
        raw.close()


def _archive(archive_dir: str) -> tuple[float, dict[str, float], Any]:
    from platform_core.ops.archive import archive_partitions

    marks: list[tuple[str, float]] = []
    started = time.perf_counter()
    report = archive_partitions(
        archive_dir=archive_dir, only={PARTITION}, move_tiers=False,
        on_step=lambda point, _outcome: marks.append((point, time.perf_counter())),
    )  # fmt: skip
    total = time.perf_counter() - started
    steps, previous = {}, started
    for point, moment in marks:
        steps[point] = moment - previous
        previous = moment
    return total, steps, report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000, help="events in the partition (default 200000)")
    parser.add_argument("--tenants", type=int, default=20, help="tenants sharing them (default 20)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args()
    if args.rows < args.tenants or args.tenants < 1:
        parser.error("--rows must be at least --tenants, and --tenants at least 1")
    console = Console(stderr=args.json)
    previous = os.environ.get("DATABASE_URL")
    url = _scratch_database()
    try:
        _use(url)
        migrate.upgrade("heads")
        console.print(f"filling {args.rows} events over {args.tenants} tenants ...")
        _fill(args.rows, args.tenants)
        copy_seconds, copy_bytes = _copy_baseline()
        tracemalloc.start()
        with tempfile.TemporaryDirectory(prefix="bench-archive-") as folder:
            total, steps, report = _archive(folder)
            parquet_bytes = sum(p.stat().st_size for p in Path(folder).rglob("*.parquet"))
        _, python_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    finally:
        _use(None if previous is None else make_url(previous))
        _drop(url)
    rss_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    baseline = args.rows / copy_seconds
    outcome = report.partitions[0]
    figures = {
        "rows": args.rows,
        "tenants": args.tenants,
        "copy_rows_per_s": round(baseline),
        "archive_rows_per_s": round(args.rows / total),
        "archive_vs_copy": round((args.rows / total) / baseline, 4),
        "steps_seconds": {k: round(v, 3) for k, v in steps.items()},
        "copy_bytes": copy_bytes,
        "parquet_bytes": parquet_bytes,
        "peak_rss_bytes": rss_peak,
        "peak_python_bytes": python_peak,
        "state": outcome.state,
        "checksum": outcome.checksum,
    }
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    table = Table(title=f"archive of one partition: {args.rows} events, {args.tenants} tenants")
    for column in ("measure", "seconds", "rows/s", "vs COPY"):
        table.add_column(column, justify="right" if column != "measure" else "left")
    table.add_row("COPY TO STDOUT (binary), baseline", f"{copy_seconds:.2f}", f"{baseline:,.0f}", "1.00")
    table.add_row("ilp ops archive (all steps)", f"{total:.2f}", f"{args.rows / total:,.0f}",
                  f"{(args.rows / total) / baseline:.2f}")  # fmt: skip
    for step, seconds in steps.items():
        rate = args.rows / seconds if seconds else float("inf")
        table.add_row(
            f"  until checkpoint '{step}'", f"{seconds:.2f}", f"{rate:,.0f}", f"{rate / baseline:.2f}"
        )
    console.print(table)
    console.print(
        f"COPY bytes {copy_bytes:,}; Parquet bytes {parquet_bytes:,} ({parquet_bytes / copy_bytes:.2f}x); "
        f"peak RSS {rss_peak / 2**20:,.0f} MiB; peak Python allocations {python_peak / 2**20:,.1f} MiB; "
        f"final state {outcome.state}"
    )


if __name__ == "__main__":
    main()
