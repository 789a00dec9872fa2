"""The same analyses on live PostgreSQL, on the Parquet export through DuckDB, and on PostgreSQL attached
to DuckDB, as ratios to PostgreSQL, with a check that all three give identical frames.

Usage: .venv/bin/python bench/bench_duckdb_vs_pg.py [--events N] [--runs R] [--json]

Runs on a scratch database created (and dropped) on the server of ``DATABASE_URL``, or on the embedded
server, with one bulk-loaded school (see ``bench_dashboard.py``) and ``N`` events, roll-ups refreshed and
exported (``--pii``, so frames compare as they are). Each analysis runs ``R`` times per source after one
warm-up; the table shows medians. Peak memory is the process's peak RSS. No assertions.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl
from polars.testing import assert_frame_equal
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import bench_dashboard

from platform_core.analytics import (
    DuckDBSource,
    Source,
    answer_distribution,
    class_overview,
    class_students,
    completion_funnel,
    item_analysis,
    open_source,
    retention_curve,
    rewatch_heatmap,
)
from platform_core.analytics.duckdb_pg import live_source
from platform_core.analytics.export import export_tenant
from platform_core.db.session import tenant_session


def analyses(school: bench_dashboard.School) -> dict[str, Callable[[Source], pl.DataFrame]]:
    klass, video = school.classes[0], school.class_videos[school.classes[0]][0]
    return {
        "class overview (all classes)": lambda s: class_overview(s),
        "class students + at-risk": lambda s: class_students(s, class_id=klass, now=NOW),
        "item analysis (all questions)": lambda s: item_analysis(s),
        "answer distribution": lambda s: answer_distribution(s),
        "retention curve (1 video)": lambda s: retention_curve(s, video_id=video),
        "completion funnel": lambda s: completion_funnel(s, video_id=video, class_id=klass),
        "rewatch heatmap (raw events)": lambda s: rewatch_heatmap(s, video_id=video),
    }


NOW = bench_dashboard.datetime.now(bench_dashboard.UTC)


def _time(call: Callable[[], pl.DataFrame], runs: int) -> tuple[float, pl.DataFrame]:
    frame = call()
    ms = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        ms.append((time.perf_counter() - started) * 1000)
    return statistics.median(ms), frame


def run(events: int, runs: int) -> dict[str, Any]:
    rows: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp, bench_dashboard.scratch_database():
        import os

        os.environ["ILP_HOME"] = str(Path(tmp) / "home")
        school = bench_dashboard.build_school()
        bench_dashboard.add_events(school, events, seed=1)
        bench_dashboard.refresh(school)
        with tenant_session(school.tenant_id) as session:
            export_tenant(session, Path(tmp) / "export", pii=True)
        export = DuckDBSource.open(Path(tmp) / "export")
        with open_source(school.tenant_id) as pg, live_source(school.tenant_id) as live:
            for name, metric in analyses(school).items():
                pg_ms, expected = _time(lambda m=metric: m(pg), runs)
                ex_ms, got_export = _time(lambda m=metric: m(export), runs)
                live_ms, got_live = _time(lambda m=metric: m(live), runs)
                identical = True
                for got in (got_export, got_live):
                    try:
                        assert_frame_equal(got, expected)
                    except AssertionError:
                        identical = False
                rows[name] = {
                    "rows": expected.height,
                    "postgres_ms": pg_ms,
                    "export_ms": ex_ms,
                    "live_ms": live_ms,
                    "identical": identical,
                }
    return {"events": events, "runs": runs, "analyses": rows, "peak_rss_mib": bench_dashboard.peak_rss_mib()}


def show(result: dict[str, Any]) -> None:
    table = Table(
        title=f"same analyses, three sources ({result['events']:,} events, median of {result['runs']})"
    )
    for col in (
        "analysis",
        "rows",
        "PostgreSQL ms",
        "DuckDB export ms",
        "vs PG",
        "DuckDB->PG ms",
        "vs PG",
        "identical",
    ):
        table.add_column(col, justify="right")
    for name, r in result["analyses"].items():
        table.add_row(
            name,
            f"{r['rows']:,}",
            f"{r['postgres_ms']:.1f}",
            f"{r['export_ms']:.1f}",
            f"{r['export_ms'] / r['postgres_ms']:.2f}x",
            f"{r['live_ms']:.1f}",
            f"{r['live_ms'] / r['postgres_ms']:.2f}x",
            "yes" if r["identical"] else "NO",
        )
    Console().print(table)
    Console().print(f"peak RSS {result['peak_rss_mib']:.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = run(args.events, args.runs)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        show(result)


if __name__ == "__main__":
    main()
