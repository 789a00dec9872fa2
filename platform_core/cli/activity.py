"""`ilp ingest` and `ilp xapi export|import`: learner activity in and out, as JSON lines."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import IO, Annotated, Any

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TransferSpeedColumn
from rich.table import Table

from platform_core.activity.ingest import (
    BatchResult,
    IngestInterrupted,
    IngestReport,
    decode_json_lines,
    ingest_events,
)
from platform_core.activity.xapi_io import (
    DEFAULT_BASE_IRI,
    DEFAULT_HOME_PAGE,
    STATEMENT_KINDS,
    StatementKind,
    export_statements,
    import_statements,
)
from platform_core.cli.output import console, errors, fail, print_json
from platform_core.db.session import tenant_session
from platform_core.tenancy.tenants import TenantNotFound, tenant_id_for_slug

xapi_app = typer.Typer(help="Export and import learner activity as xAPI statements.", no_args_is_help=True)

TenantOption = Annotated[str, typer.Option("--tenant", help="Tenant slug (the events are stored for it).")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the counts as JSON.")]
BatchOption = Annotated[int, typer.Option("--batch-size", min=1, max=50_000, help="Events per transaction.")]
RetriesOption = Annotated[
    int,
    typer.Option("--retries", min=0, help="Re-run a batch this many times if the database connection drops."),
]
BaseIriOption = Annotated[
    str, typer.Option("--base-iri", envvar="ILP_XAPI_BASE_IRI", help="IRI prefix of videos and questions.")
]


def _moment(name: str, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        fail(f"{name}: not an ISO 8601 time: {value!r}")
    if moment.utcoffset() is None:
        fail(f"{name}: give a timezone offset, e.g. 2025-03-01T00:00:00+00:00")
    return moment


def _tenant(slug: str) -> Any:
    try:
        return tenant_id_for_slug(slug)
    except TenantNotFound as exc:
        fail(str(exc))


class _CountingLines:
    """Text lines of a binary stream, counting the bytes read (for the progress bar)."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.bytes_read = 0

    def __iter__(self) -> Iterator[str]:
        for raw in self.stream:
            self.bytes_read += len(raw)
            yield raw.decode("utf-8", errors="replace")


@contextmanager
def _input(path: str) -> Iterator[tuple[_CountingLines, int | None]]:
    if path == "-":
        yield _CountingLines(sys.stdin.buffer), None
        return
    file = Path(path)
    if not file.is_file():
        fail(f"no such file: {path}")
    with file.open("rb") as stream:
        yield _CountingLines(stream), file.stat().st_size


def _progress(as_json: bool) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[counts]}"),
        TransferSpeedColumn(),
        TimeElapsedColumn(),
        console=errors,
        disable=as_json and not errors.is_terminal,
        transient=False,
    )


def _print_report(report: IngestReport, as_json: bool, title: str) -> None:
    if as_json:
        print_json(report.to_dict())
        return
    table = Table(title=title, show_header=False)
    for label, value in (
        ("received", report.received),
        ("stored", report.stored),
        ("duplicates (already stored)", report.duplicates),
        ("quarantined", report.quarantined),
        ("batches", report.batches),
        ("progress rows updated", report.progress_pairs),
        ("events/s", f"{report.events_per_second:,.0f}"),
    ):
        table.add_row(label, f"{value:,}" if isinstance(value, int) else str(value))
    console.print(table)
    if report.reasons:
        reasons = Table("count", "quarantine reason", title="Quarantined (kept in event_quarantine)")
        for reason, count in report.reasons.most_common(15):
            reasons.add_row(str(count), reason)
        console.print(reasons)


def _run_with_progress(
    description: str, size: int | None, lines: _CountingLines, as_json: bool, run: Any
) -> Any:
    with _progress(as_json) as progress:
        task = progress.add_task(description, total=size, counts="")
        stored = quarantined = 0

        def on_batch(result: BatchResult) -> None:
            nonlocal stored, quarantined
            stored += len(result.stored_ids)
            quarantined += len(result.rejected)
            progress.update(
                task, completed=lines.bytes_read, counts=f"stored {stored:,} quarantined {quarantined:,}"
            )

        try:
            return run(on_batch)
        except IngestInterrupted as exc:
            progress.stop()
            _print_report(exc.report, as_json, "Committed before the interruption")
            fail(f"{exc}. Re-running the same command is safe: what was stored is skipped as duplicates.")


def ingest(
    file: Annotated[str, typer.Argument(help="JSON lines file of events ('-' reads standard input).")],
    tenant: TenantOption,
    batch_size: BatchOption = 5000,
    retries: RetriesOption = 3,
    as_json: JsonOption = False,
) -> None:
    """Ingest analytics events from a JSON lines file (one event per line, see EVENTS.md).

    Valid events are stored, invalid ones are kept in the quarantine table with the reason, and events
    already stored (same id) are skipped: running it twice stores nothing new.
    """
    tenant_id = _tenant(tenant)
    with _input(file) as (lines, size):
        report = _run_with_progress(
            "ingest",
            size,
            lines,
            as_json,
            lambda on_batch: ingest_events(
                tenant_id,
                events=decode_json_lines(lines),
                batch_size=batch_size,
                source=os.path.basename(file) if file != "-" else "stdin",
                retries=retries,
                on_batch=on_batch,
            ),
        )
    _print_report(report, as_json, f"ilp ingest {file}")


@xapi_app.command("export")
def xapi_export(
    tenant: TenantOption,
    out: Annotated[Path, typer.Option("--out", help="Output file (JSON lines); replaced atomically.")],
    since: Annotated[
        str | None, typer.Option(help="Only statements from this time (ISO 8601 with offset).")
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="Only statements before this time (ISO 8601 with offset).")
    ] = None,
    base_iri: BaseIriOption = DEFAULT_BASE_IRI,
    home_page: Annotated[
        str, typer.Option("--home-page", envvar="ILP_XAPI_HOME_PAGE", help="actor.account.homePage")
    ] = DEFAULT_HOME_PAGE,
    only: Annotated[
        StatementKind | None,
        typer.Option(
            help="Only video statements or only answered ones (video for `ralph validate -f xapi -F`: it "
            "checks a graded answer against its virtual-classroom poll model, which refuses it).",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Export the tenant's video events (xAPI Video Profile) and graded answers (`answered`) as xAPI 1.0.3."""
    window = {"--since": _moment("--since", since), "--until": _moment("--until", until)}
    tenant_id = _tenant(tenant)
    partial = out.with_name(out.name + ".partial")
    try:
        with _progress(as_json) as progress, tenant_session(tenant_id) as session:
            task = progress.add_task("xapi export", total=None, counts="")
            with partial.open("w", encoding="utf-8") as stream:
                report = export_statements(
                    session,
                    out=stream,
                    base_iri=base_iri,
                    home_page=home_page,
                    since=window["--since"],
                    until=window["--until"],
                    kinds=(only,) if only else STATEMENT_KINDS,
                    on_progress=lambda n: progress.update(task, counts=f"{n:,} statements"),
                )
        partial.replace(out)
    finally:
        partial.unlink(missing_ok=True)  # nothing half-written is left behind
    if as_json:
        print_json({**report.to_dict(), "out": str(out)})
    else:
        console.print(
            f"wrote [bold]{report.statements:,}[/] statements to {out} "
            f"({report.video_statements:,} video, {report.answered_statements:,} answered"
            + (f", {report.skipped:,} skipped: video deleted" if report.skipped else "")
            + ")"
        )


@xapi_app.command("import")
def xapi_import(
    file: Annotated[
        str, typer.Argument(help="JSON lines file of xAPI statements ('-' reads standard input).")
    ],
    tenant: TenantOption,
    base_iri: BaseIriOption = DEFAULT_BASE_IRI,
    batch_size: BatchOption = 5000,
    retries: RetriesOption = 3,
    as_json: JsonOption = False,
) -> None:
    """Import xAPI Video Profile statements as events (through ingest: validated, deduplicated, quarantined).

    Actors are matched by account name (a user id) or mbox (a user's e-mail), videos by
    <base-iri>/videos/<id> or by their source URL.
    """
    tenant_id = _tenant(tenant)
    with _input(file) as (lines, size):
        report = _run_with_progress(
            "xapi import",
            size,
            lines,
            as_json,
            lambda on_batch: import_statements(
                tenant_id,
                lines=lines,
                base_iri=base_iri,
                batch_size=batch_size,
                source=os.path.basename(file) if file != "-" else "stdin",
                retries=retries,
                on_batch=on_batch,
            ),
        )
    _print_report(report, as_json, f"ilp xapi import {file}")
