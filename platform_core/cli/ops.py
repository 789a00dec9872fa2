"""`ilp ops ...`: partitions ahead, archival to Parquet, monitoring snapshots, alerts. Schedule-friendly:
every command is idempotent and safe to run while another copy runs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from platform_core.cli.output import console, fail, print_json
from platform_core.validation import InvalidInput

app = typer.Typer(help="Operations: partitions, archive, metrics, alerts.", no_args_is_help=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


def _size(n: int | None) -> str:
    if n is None:
        return "-"
    value = float(n)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if value < 1024 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return str(n)


@app.command()
def partitions(
    ahead: Annotated[
        int | None,
        typer.Option("--ahead", min=0, max=36, help="Months ahead to create (default ILP_PARTITIONS_AHEAD)."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Create this month's and the next months' partitions (idempotent) and list every partition."""
    from platform_core.ops.partitions import ensure_partitions

    found = ensure_partitions(months_ahead=ahead)
    if as_json:
        print_json({"created": sum(p.created for p in found), "partitions": [p.as_json() for p in found]})
        return
    table = Table("table", "partition", "from", "to", "rows (est.)", "size", "")
    for p in found:
        mark = "[green]created[/]" if p.created else ""
        span = (f"{p.range_start:%Y-%m-%d}", f"{p.range_end:%Y-%m-%d}")
        table.add_row(p.parent, p.name, *span, str(p.rows_estimate), _size(p.total_bytes), mark)
    console.print(table)
    console.print(f"{sum(p.created for p in found)} partition(s) created")


@app.command()
def archive(
    hot_days: Annotated[int, typer.Option(min=1, max=3650, help="Keep this many days in PostgreSQL.")] = 90,
    table: Annotated[
        list[str] | None, typer.Option("--table", help="analytics_events and/or audit_logs (default both).")
    ] = None,
    partition: Annotated[
        list[str] | None, typer.Option("--partition", help="Only these partitions (repeatable).")
    ] = None,
    archive_dir: Annotated[
        Path | None, typer.Option(help="Archive folder (default ILP_ARCHIVE_DIR, else $ILP_HOME/archive).")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only list what would be archived.")] = False,
    tiers: Annotated[
        bool, typer.Option("--tiers/--no-tiers", help="Also move files to the cold tier.")
    ] = True,
    as_json: JsonOption = False,
) -> None:
    """Detach partitions older than the hot window, write them to Parquet, verify, drop; resume unfinished
    ones. Then move archived files past each tenant's warm window (retentionWarmDays) to the cold tier."""
    from platform_core.ops.archive import CHECKPOINTS, ArchiveBusy, archive_partitions
    from platform_core.ops.partitions import PARTITIONED_TABLES, check_table

    try:
        tables = tuple(check_table(t) for t in table) if table else PARTITIONED_TABLES
    except InvalidInput as exc:
        fail(str(exc))
    with Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=console,
                  disable=as_json, transient=True) as progress:  # fmt: skip
        task = progress.add_task("archiving", total=None)

        def step(point: str, outcome) -> None:  # type: ignore[no-untyped-def]
            progress.update(task, description=f"{outcome.partition}: {point}",
                            completed=CHECKPOINTS.index(point) + 1, total=len(CHECKPOINTS))  # fmt: skip

        try:
            report = archive_partitions(
                hot_days=hot_days, tables=tables, archive_dir=str(archive_dir) if archive_dir else None,
                dry_run=dry_run, move_tiers=tiers, only=set(partition) if partition else None, on_step=step,
            )  # fmt: skip
        except ArchiveBusy as exc:
            fail(str(exc), code=3)
    if as_json:
        print_json(report.as_json())
    else:
        out = Table("partition", "state", "rows", "checksum", "size", "seconds", "error",
                    title=f"archive (cutoff {report.cutoff:%Y-%m-%d})")  # fmt: skip
        for p in report.partitions:
            out.add_row(p.partition, p.state, str(p.rows if p.rows is not None else "-"), p.checksum or "-",
                        _size(p.bytes), f"{p.seconds:.1f}", p.error or "")  # fmt: skip
        console.print(out)
        console.print(f"{report.tier_moves} archive file set(s) moved to the cold tier")
        for error in report.tier_errors:
            console.print(f"[red]tier move failed:[/] {error}")
    if not report.ok:
        raise typer.Exit(1)


@app.command()
def metrics(as_json: JsonOption = False) -> None:
    """Store a monitoring snapshot (sizes, indexes, cache, connections, slow queries, replication, business
    metrics per tenant) for growth charts and alerts."""
    from platform_core.ops.metrics import take_snapshot

    with Progress(TextColumn("tenants"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  console=console, disable=as_json, transient=True) as progress:  # fmt: skip
        task = progress.add_task("tenants", total=None)
        result = take_snapshot(
            on_tenant=lambda done, total: progress.update(task, completed=done, total=total)
        )
    m = result.metrics
    if as_json:
        print_json({"id": str(result.id), "taken_at": result.taken_at.isoformat(), "tenants": result.tenants,
                    "metrics": m})  # fmt: skip
        return
    statements = m["statements"]
    table = Table("figure", "value", title=f"snapshot {result.taken_at:%Y-%m-%d %H:%M:%S} UTC")
    rows = [
        ("database size", _size(m["database"]["size_bytes"])),
        ("growth per day", _size(int(m["database"]["growth_bytes_per_day"] or 0))),
        ("cache hit ratio", f"{m['database']['cache_hit_ratio'] or 0:.4f}"),
        ("connections", f"{m['connections']['total']} / {m['connections']['max']}"),
        ("probe latency", f"{m['latency']['probe_ms']} ms"),
        ("slow queries", "available" if statements["available"] else f"unavailable: {statements['reason']}"),
        ("unused indexes", str(len(m["unused_indexes"]))),
        ("replication", "not configured" if not m["replication"]["configured"]
         else f"lag {m['replication'].get('lag_seconds')} s"),
        ("tenants measured", str(result.tenants)),
        ("active students (7 days)", str(m["business"].get("active_students_7d", 0))),
    ]  # fmt: skip
    for name, value in rows:
        table.add_row(name, value)
    console.print(table)


@app.command()
def alerts(
    rules: Annotated[
        Path | None, typer.Option(help="JSON file of rules overriding/adding to the defaults.")
    ] = None,
    webhook: Annotated[str | None, typer.Option(help="Webhook URL (default ILP_ALERT_WEBHOOK_URL).")] = None,
    collect: Annotated[
        bool, typer.Option("--collect/--no-collect", help="Take a fresh snapshot first.")
    ] = True,
    as_json: JsonOption = False,
) -> None:
    """Evaluate the alert rules, store firing/resolved changes, deliver them to the webhook. Exit code 2
    when the database cannot be reached."""
    from platform_core.ops.alert_rules import load_rules
    from platform_core.ops.alerts import evaluate_alerts

    try:
        run = evaluate_alerts(rules=load_rules(rules), collect=collect, webhook_url=webhook)
    except InvalidInput as exc:
        fail(str(exc))
    if as_json:
        print_json(run.as_json())
    else:
        table = Table("rule", "scope", "severity", "value", "message", title="firing alerts")
        for f in run.firing:
            table.add_row(
                f["rule"], f["tenant_id"] or f["scope"], f["severity"], str(f["value"]), f["message"]
            )
        console.print(table)
        for change in run.changes:
            console.print(f"{change.event}: {change.message}")
        console.print(
            f"{run.evaluated} evaluated, {len(run.skipped)} not evaluable, {run.delivered} delivered"
        )
        for error in run.delivery_errors:
            console.print(f"[red]delivery failed:[/] {error}")
    if not run.stored:
        raise typer.Exit(2)
