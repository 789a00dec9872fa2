"""`ilp seed`: realistic tenants, content and simulated learner activity for demos, tests and benchmarks."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Annotated

import typer
from rich.table import Table

from platform_core.cli.output import console, fail, print_json, stage_progress
from platform_core.simulation.seed import SeedConflict, SeedOptions, SeedReport, run_seed
from platform_core.validation import InvalidInput


class ScaleName(enum.StrEnum):
    SMALL = "small"
    MEDIUM = "medium"
    LARGE = "large"


def seed(
    scale: Annotated[
        ScaleName,
        typer.Option(
            help="small: 1 tenant, 60 students (under a minute); medium: 2 tenants x 150 students (minutes); "
            "large: 2 tenants x 1500 students, over a million events (benchmarks)."
        ),
    ] = ScaleName.SMALL,
    seed_value: Annotated[
        int, typer.Option("--seed", help="Random seed: the same seed gives the same content and event ids.")
    ] = 1,
    tenants: Annotated[
        int | None, typer.Option(help="Number of tenants (default: the scale's).", min=1, max=50)
    ] = None,
    replace: Annotated[
        bool, typer.Option("--replace", help="Drop and recreate seeded tenants that exist already.")
    ] = False,
    now: Annotated[
        str | None,
        typer.Option(
            help="End of the simulated weeks, ISO 8601 with a zone, e.g. 2026-03-01T18:00:00Z (default: now)."
        ),
    ] = None,
    prefix: Annotated[str, typer.Option(help="Tenant slugs are PREFIX-SCALE-SEED-N.")] = "sim",
    batch_size: Annotated[int, typer.Option(help="Events per ingest batch.", min=1, max=50_000)] = 5000,
    workers: Annotated[
        int, typer.Option(help="Learners simulated at the same time (database connections).", min=1, max=16)
    ] = 2,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Create seeded tenants (teachers, classes, students, lessons with transcripts, milestones, questions of
    every type, A/B experiments) and simulate about eight weeks of learners ending NOW, written only through
    the player's APIs. Refuses when a target tenant exists, unless --replace."""
    anchor = None
    if now is not None:
        try:
            anchor = datetime.fromisoformat(now.replace("Z", "+00:00"))
        except ValueError:
            fail(f"now: not an ISO 8601 datetime: {now!r}")
    options = SeedOptions(
        scale=scale.value,
        seed=seed_value,
        tenants=tenants,
        now=anchor,
        replace=replace,
        prefix=prefix,
        batch_size=batch_size,
        workers=workers,
    )
    try:
        with stage_progress(transient=as_json) as progress:
            report = run_seed(options, progress=progress)
    except (SeedConflict, InvalidInput) as exc:
        fail(str(exc))
    if as_json:
        print_json(report.to_dict())
    else:
        _print(report)


def _print(report: SeedReport) -> None:
    keys = ["students", "teachers", "classes", "lessons", "videos", "milestones", "questions", "experiments",
            "events", "sessions", "progress_rows", "attempts"]  # fmt: skip
    table = Table(
        title=f"ilp seed --scale {report.scale} --seed {report.seed} (ending {report.now:%Y-%m-%d %H:%M} UTC)"
    )
    table.add_column("tenant", no_wrap=True)
    for key in keys:
        table.add_column(key.replace("_", " "), justify="right")
    for tenant in report.tenants:
        table.add_row(tenant.slug, *(f"{tenant.counts.get(k, 0):,}" for k in keys))
    totals = report.totals()
    if len(report.tenants) > 1:
        table.add_row("[bold]total[/]", *(f"[bold]{totals.get(k, 0):,}[/]" for k in keys))
    console.print(table)
    for tenant in report.tenants:
        a, i = tenant.activity, tenant.ingest
        console.print(
            f"[bold]{tenant.slug}[/] ({tenant.name}): {a.sittings:,} sittings, {a.syncs:,} session syncs, "
            f"{a.attempts:,} attempts ({a.correct_attempts:,} correct), {a.videos_completed:,} videos and "
            f"{a.lessons_completed:,} lessons completed, {a.dropoffs:,} drop-offs, "
            f"{a.seek_detours:,} seek and {a.jump_detours:,} remedial-jump detours, "
            f"{a.device_switches:,} cross-device resumes; ingest stored {i.stored:,} of "
            f"{i.received:,} events ({i.quarantined:,} quarantined) in {tenant.seconds:.1f} s",
            highlight=False,
        )
        accounts = Table("role", "email", "password", title=f"Sign in to '{tenant.slug}' with")
        for account in tenant.accounts:
            accounts.add_row(account["role"], account["email"], account["password"])
        console.print(accounts)
    console.print(f"done in {report.seconds:.1f} s")
