"""Export throughput (rows/s) as a ratio to a plain ``COPY TO`` of the same tables, with peak memory.

Usage: .venv/bin/python bench/bench_export.py [--events N] [--json]

Runs on a scratch database created (and dropped) on the server of ``DATABASE_URL``, or on the embedded
server, with one bulk-loaded school (see ``bench_dashboard.py``) and ``N`` events. Each variant runs in
a fresh child process, so its peak RSS is its own:

- ``COPY TO`` (baseline): ``COPY (SELECT * FROM t WHERE tenant_id = ...) TO STDOUT (FORMAT csv)`` of every
  exported table, as the application role in one transaction, bytes read and dropped;
- ``export --pii``: ``export_tenant`` writing Parquet (zstd) and the DuckDB file, raw ids;
- ``export (pseudonymised)``: the default, ids mapped and JSON/free text scrubbed;
- the pseudonymised export again after the events triple: peak memory should not follow the volume.

No assertions.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import bench_dashboard


def _child(kind: str, tenant_id: str, out: str) -> dict[str, Any]:
    from sqlalchemy import text

    from platform_core.analytics.export import export_tenant, plan_tables
    from platform_core.db.session import tenant_session

    started = time.perf_counter()
    rows = 0
    if kind == "copy":
        with tenant_session(tenant_id) as session:
            session.execute(text("SELECT 1"))
            raw = session.connection().connection.driver_connection
            for plan in plan_tables(pii=True):
                where = (
                    f" WHERE {plan.tenant_column} = '{uuid.UUID(tenant_id)}'" if plan.tenant_column else ""
                )
                with (
                    raw.cursor() as cur,
                    cur.copy(f"COPY (SELECT * FROM {plan.name}{where}) TO STDOUT (FORMAT csv)") as cp,  # noqa: S608
                ):
                    for chunk in cp:
                        rows += bytes(chunk).count(b"\n")
    else:
        with tenant_session(tenant_id) as session:
            report = export_tenant(session, out, pii=kind == "pii")
        rows = report.total_rows
    seconds = time.perf_counter() - started
    return {"rows": rows, "seconds": seconds, "peak_rss_mib": bench_dashboard.peak_rss_mib()}


def _spawn(kind: str, tenant_id: uuid.UUID, out: Path) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", kind, "--tenant-id", str(tenant_id), "--out", str(out)],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(events: int) -> dict[str, Any]:
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp, bench_dashboard.scratch_database():
        os.environ["ILP_HOME"] = str(Path(tmp) / "home")
        school = bench_dashboard.build_school()
        bench_dashboard.add_events(school, events, seed=1)
        bench_dashboard.refresh(school)
        for kind, label in (
            ("copy", "COPY TO (baseline)"),
            ("pii", "export --pii"),
            ("pseudo", "export (pseudonymised)"),
        ):
            results[label] = _spawn(kind, school.tenant_id, Path(tmp) / kind)
            results[label]["events"] = events
        bench_dashboard.add_events(school, 2 * events, seed=2)
        label = "export (pseudonymised), 3x events"
        results[label] = _spawn("pseudo", school.tenant_id, Path(tmp) / "pseudo3")
        results[label]["events"] = 3 * events
        results[label]["bytes"] = sum(p.stat().st_size for p in (Path(tmp) / "pseudo3").iterdir())
    return results


def show(results: dict[str, Any]) -> None:
    base = results["COPY TO (baseline)"]
    base_rate = base["rows"] / base["seconds"]
    table = Table(title="researcher export vs COPY TO of the same tables")
    for col in ("variant", "events", "rows", "seconds", "rows/s", "vs COPY TO", "peak RSS MiB"):
        table.add_column(col, justify="right")
    for label, r in results.items():
        rate = r["rows"] / r["seconds"]
        table.add_row(
            label,
            f"{r['events']:,}",
            f"{r['rows']:,}",
            f"{r['seconds']:.2f}",
            f"{rate:,.0f}",
            f"{rate / base_rate:.2f}x",
            f"{r['peak_rss_mib']:.0f}",
        )
    Console().print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=300_000)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--tenant-id", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_child(args.child, args.tenant_id, args.out)))
        return
    results = run(args.events)
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        show(results)


if __name__ == "__main__":
    main()
