"""`ilp gdpr ...`: data subject requests (export, erasure) for one person of one tenant."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from platform_core.cli.output import console, errors, fail, print_json
from platform_core.validation import InvalidInput

app = typer.Typer(help="GDPR: export or erase (pseudonymise) a person's data.", no_args_is_help=True)

TenantOption = Annotated[str, typer.Option("--tenant", help="Tenant slug.")]
UserOption = Annotated[str, typer.Option("--user", help="The person's user id (UUID).")]
ActorOption = Annotated[
    str | None, typer.Option("--as", help="User id of the admin carrying out the request (audited).")
]
ArchiveOption = Annotated[Path | None, typer.Option(help="Archive folder (default ILP_ARCHIVE_DIR).")]


def _tenant(slug: str):  # type: ignore[no-untyped-def]
    from platform_core.tenancy.tenants import TenantNotFound, tenant_id_for_slug

    try:
        return tenant_id_for_slug(slug)
    except TenantNotFound as exc:
        fail(str(exc))


@app.command()
def export(
    tenant: TenantOption,
    user: UserOption,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to a file (default stdout).")
    ] = None,
    acting: ActorOption = None,
    archive_dir: ArchiveOption = None,
) -> None:
    """Everything about the person as one JSON document (hot and archived data). The export is audited."""
    from platform_core.db.session import tenant_session
    from platform_core.gdpr import write_export

    tenant_id = _tenant(tenant)
    try:
        with tenant_session(tenant_id, user_id=acting) as session:
            if output is None:
                counts = write_export(session, user_id=user, out=sys.stdout, archive_dir=_dir(archive_dir))
            else:
                tmp = output.with_name(f".{output.name}.tmp")
                with tmp.open("w", encoding="utf-8") as out:
                    counts = write_export(session, user_id=user, out=out, archive_dir=_dir(archive_dir))
                tmp.replace(output)
    except (InvalidInput, ValueError) as exc:
        fail(str(exc))
    summary = ", ".join(f"{name} {n}" for name, n in counts.items() if n)
    errors.print(f"exported {sum(counts.values())} rows ({summary})" + (f" to {output}" if output else ""))


def _dir(path: Path | None) -> str | None:
    return str(path) if path else None


@app.command()
def erase(
    tenant: TenantOption,
    user: UserOption,
    acting: ActorOption = None,
    archive_dir: ArchiveOption = None,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
) -> None:
    """Pseudonymise the person everywhere (also audit rows and archived files), keeping every row so
    aggregates stay valid. Audited as GDPR_ERASE. Cannot be undone."""
    from platform_core.gdpr import GdprError, erase_person

    tenant_id = _tenant(tenant)
    if not yes and not typer.confirm(f"Erase user {user} of {tenant}? This cannot be undone."):
        raise typer.Exit(1)
    try:
        report = erase_person(
            tenant_id=tenant_id, user_id=user, acting_user_id=acting, archive_dir=_dir(archive_dir)
        )
    except (InvalidInput, GdprError, ValueError) as exc:
        fail(str(exc))
    if as_json:
        print_json(report.as_json())
        return
    console.print(f"user {report.user_id} pseudonymised")
    for name, n in report.rows_updated.items():
        console.print(f"  {name}: {n} row(s)")
    console.print(f"  raw events and quarantine: {report.activity_rows_redacted} row(s)")
    console.print(f"  audit trail: {report.audit_rows_redacted} row(s)")
    console.print(f"  archived files rewritten: {report.archived_files_rewritten}")
    for place in report.remaining:
        console.print(f"  [yellow]still found:[/] {place}")
