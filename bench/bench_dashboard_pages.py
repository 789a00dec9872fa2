"""Time from page navigation to rendered charts, per dashboard page, in a real browser on the demo data.

Usage: .venv/bin/python bench/bench_dashboard_pages.py [--rounds R] [--roles teacher,admin,researcher]
       [--keep] [--json]

Runs on a scratch database created (and dropped, unless ``--keep``) on the server of ``DATABASE_URL``, or
on the embedded server: migrated, seeded as ``ilp demo`` seeds it, roll-ups refreshed, one monitoring
snapshot and one offline AI generation job. Then ``streamlit run`` serves the dashboard on a free port and
Debian's Chromium (Playwright) signs in as each role and, ``R`` rounds over, clicks every page in the
sidebar and waits until the script has finished and every Plotly chart has drawn its SVG (the moment a
teacher can read the page). The first visit of a page (cold: cached reads miss) is reported apart from the
later ones (warm: within the cached reads' time-to-live).

Baseline: the Overview page (a few counts, no chart), timed the same way in the same rounds; the table gives
each page's warm p50 as a ratio to it. Peak memory is the Streamlit server's peak RSS (VmHWM). No assertions.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from tests.dashboard.browser import chromium, errors_on, open_page, sign_in, streamlit_server  # noqa: E402

BASELINE = "Overview"


def prepare_database(keep: bool) -> tuple[str, Any]:
    """A fresh database with the demo data; returns its URL and a function that drops it."""
    from sqlalchemy import create_engine, select, text
    from sqlalchemy.engine import make_url

    from platform_core.db import migrate, runtime
    from platform_core.db.engine import dispose_engines
    from platform_core.settings import reset_settings_cache

    server = runtime.owner_url()
    name = f"ilp_bench_dash_{os.getpid()}"
    admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(server).set(database=name).render_as_string(hide_password=False).replace("+psycopg", "")
    os.environ["DATABASE_URL"] = url
    dispose_engines()
    reset_settings_cache()

    from platform_core.ai.jobs import generate_questions
    from platform_core.analytics.rollups import refresh_rollups
    from platform_core.db.session import tenant_session
    from platform_core.demo import DEMO_TENANT, ensure_demo_tenant
    from platform_core.models import Video
    from platform_core.ops.metrics import take_snapshot
    from platform_core.tenancy.tenants import tenant_id_for_slug

    migrate.upgrade("heads")
    ensure_demo_tenant()
    tenant_id = tenant_id_for_slug(DEMO_TENANT)
    with tenant_session(tenant_id) as s:
        refresh_rollups(s)
        video = next(v for v in s.scalars(select(Video).order_by(Video.title)) if v.transcript)
    take_snapshot()
    generate_questions(tenant_id, video_id=video.id)
    dispose_engines()

    def drop() -> None:
        if keep:
            print(f"kept {url}")
            return
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url, drop


def peak_rss_mb(pid: int) -> float | None:
    """Peak resident memory of a process tree's leader (VmHWM), in MB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    return statistics.quantiles(ordered, n=100, method="inclusive")[int(q) - 1]


def measure(base: str, roles: list[str], rounds: int) -> dict[tuple[str, str], list[float]]:
    from dashboard.registry import pages_for
    from platform_core.demo import DEMO_ACCOUNTS
    from platform_core.models import UserRole

    timings: dict[tuple[str, str], list[float]] = {}
    with chromium() as browser:
        for role_name in roles:
            role = UserRole(role_name)
            account = next(a for a in DEMO_ACCOUNTS if a.role is role)
            context = browser.new_context(viewport={"width": 1400, "height": 900})
            page = context.new_page()
            sign_in(page, base, organisation="demo", email=account.email, password=account.password)
            titles = [spec.title for spec in pages_for(role) if spec.file != "sign_out.py"]
            for _ in range(rounds):
                for title in titles:
                    if title == BASELINE:
                        open_page(page, titles[1] if len(titles) > 1 else title)  # navigate *to* the baseline
                    started = time.perf_counter()
                    open_page(page, title)
                    timings.setdefault((role_name, title), []).append((time.perf_counter() - started) * 1000)
                    if errors_on(page):
                        print(f"warning: {title} as {role_name} shows {errors_on(page)[:1]}", file=sys.stderr)
            context.close()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="Visits per page (the first one is cold).")
    parser.add_argument("--roles", default="teacher,admin,researcher")
    parser.add_argument("--keep", action="store_true", help="Keep the scratch database.")
    parser.add_argument("--json", action="store_true", help="Print the figures as JSON.")
    args = parser.parse_args()
    if args.rounds < 2:
        parser.error("--rounds must be at least 2 (one cold visit, then warm ones)")

    console = Console(stderr=args.json)
    with console.status("Preparing the demo database (migrate, seed, roll-ups, snapshot, AI job)…"):
        url, drop = prepare_database(args.keep)
    try:
        with streamlit_server(env={"DATABASE_URL": url}) as base:
            from tests.dashboard.browser import server_pid

            with console.status("Timing pages in Chromium…"):
                timings = measure(base, args.roles.split(","), args.rounds)
            peak = peak_rss_mb(server_pid(base))
    finally:
        drop()

    rows = []
    for (role, title), values in timings.items():
        warm = values[1:]
        base_warm = timings[(role, BASELINE)][1:]
        rows.append(
            {
                "role": role,
                "page": title,
                "cold_ms": round(values[0], 1),
                "p50_ms": round(percentile(warm, 50), 1),
                "p95_ms": round(percentile(warm, 95), 1),
                "ratio_to_baseline": round(percentile(warm, 50) / percentile(base_warm, 50), 2),
                "visits": len(values),
            }
        )
    if args.json:
        print(json.dumps({"rows": rows, "server_peak_rss_mb": peak, "baseline": BASELINE}, indent=2))
        return
    table = Table(title=f"Dashboard pages: navigation to rendered charts (ms), {args.rounds} visits each")
    for column in ("role", "page", "cold", "p50 warm", "p95 warm", f"p50 / {BASELINE}"):
        table.add_column(column, justify="left" if column in ("role", "page") else "right")
    for row in rows:
        table.add_row(
            row["role"],
            row["page"],
            f"{row['cold_ms']:.0f}",
            f"{row['p50_ms']:.0f}",
            f"{row['p95_ms']:.0f}",
            f"{row['ratio_to_baseline']:.2f}x",
        )
    console.print(table)
    console.print(f"Streamlit server peak RSS: {peak:.0f} MB" if peak else "Streamlit server peak RSS: n/a")


if __name__ == "__main__":
    main()
