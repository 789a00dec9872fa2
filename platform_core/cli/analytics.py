"""`ilp export ...` (researcher exports) and `ilp analytics refresh ...` (daily roll-ups)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from platform_core.cli.output import console, errors, fail, print_json
from platform_core.tenancy.tenants import TenantNotFound, tenant_id_for_slug

app = typer.Typer(help="Analytics upkeep: incremental daily roll-ups.", no_args_is_help=True)

TenantOption = Annotated[str, typer.Option("--tenant", help="Tenant slug.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print figures as JSON.")]


def _tenant(slug: str):
    try:
        return tenant_id_for_slug(slug)
    except TenantNotFound as exc:
        fail(str(exc))


def export(
    tenant: TenantOption,
    out: Annotated[Path, typer.Option("--out", help="Directory to create (must be empty or absent).")],
    pii: Annotated[
        bool,
        typer.Option(
            "--pii",
            help="Include e-mails, display names and raw user ids. Without it students are pseudonymised "
            "(stable salted hashes, the same in every table and export).",
        ),
    ] = False,
    fmt: Annotated[str, typer.Option("--format", help="File format: parquet.")] = "parquet",
    as_json: JsonOption = False,
) -> None:
    """Export one tenant's data for research: a Parquet file per table, manifest.json and export.duckdb
    (views over the Parquet files). Rows stream in bounded blocks from one consistent snapshot."""
    from platform_core.analytics.export import ExportError, export_tenant
    from platform_core.analytics.pseudonym import SaltUnavailable
    from platform_core.db.replica import read_session

    tenant_id = _tenant(tenant)
    progress = Progress(
        TextColumn("{task.description:<32}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=errors,
        disable=as_json,
    )
    tasks: dict[str, int] = {}

    def on_progress(table: str, done: int, total: int) -> None:
        if table not in tasks:
            tasks[table] = progress.add_task(table, total=max(total, 1))
        progress.update(tasks[table], completed=done if total else 1)

    try:
        with progress, read_session(tenant_id) as session:
            report = export_tenant(session, out, pii=pii, fmt=fmt, on_progress=on_progress)
    except (ExportError, SaltUnavailable) as exc:
        fail(str(exc))
    if as_json:
        print_json(report.as_dict())
        return
    table = Table("table", "rows", "bytes", title=f"export of {tenant} -> {out}")
    for name, rows in report.rows.items():
        table.add_row(name, f"{rows:,}", f"{report.bytes[name]:,}")
    console.print(table)
    mode = "with PII (raw ids, e-mails, names)" if pii else "pseudonymised"
    console.print(
        f"{report.total_rows:,} rows in {report.seconds:.1f} s, {mode}; open with "
        f"DuckDBSource.open('{out}') or duckdb '{out / 'export.duckdb'}'"
    )


@app.command("refresh")
def refresh(
    tenant: TenantOption,
    batch_size: Annotated[int, typer.Option(min=1, help="Events (and attempts) per transaction.")] = 20_000,
    as_json: JsonOption = False,
) -> None:
    """Bring the tenant's daily activity roll-ups up to date (only events received since the last
    refresh; safe to re-run or interrupt)."""
    from platform_core.analytics.rollups import RefreshReport, refresh_rollups
    from platform_core.db.session import tenant_session

    tenant_id = _tenant(tenant)
    progress = Progress(
        TextColumn("refreshing roll-ups"),
        TextColumn("{task.fields[events]:,} events, {task.fields[keys]:,} user-days"),
        TimeElapsedColumn(),
        console=errors,
        disable=as_json,
    )
    with progress:
        task = progress.add_task("refresh", total=None, events=0, keys=0)

        def on_batch(report: RefreshReport) -> None:
            progress.update(task, events=report.events, keys=report.keys)

        with tenant_session(tenant_id) as session:
            report = refresh_rollups(session, batch_size=batch_size, on_batch=on_batch)
    if as_json:
        print_json(report.as_dict())
        return
    console.print(
        f"{report.events:,} events and {report.attempts:,} attempts in {report.batches} batch(es); "
        f"{report.keys:,} user-days recomputed in {report.seconds:.2f} s; watermark {report.watermark}"
    )
