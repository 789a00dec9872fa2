"""`ilp db ...`: the database runtime and its schema."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from platform_core.cli.output import console, fail, print_json
from platform_core.db import migrate, runtime
from platform_core.db.check import run_checks
from platform_core.settings import get_settings

app = typer.Typer(help="Start, migrate and check the database.", no_args_is_help=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


@app.command()
def up() -> None:
    """Start the embedded PostgreSQL if DATABASE_URL is unset (idempotent) and print the owner URL."""
    settings = get_settings()
    url = runtime.owner_url(settings)
    if runtime.is_embedded(settings):
        console.print(
            f"[green]embedded PostgreSQL running[/] (data in {settings.embedded_data_dir})", highlight=False
        )
    print(runtime.display_url(url))


@app.command()
def url(
    app_role: Annotated[
        bool, typer.Option("--app", help="The application role's URL instead of the owner's.")
    ] = False,
    show_password: Annotated[bool, typer.Option("--show-password", help="Do not mask the password.")] = False,
) -> None:
    """Print the database URL (starts the embedded server when needed)."""
    resolved = runtime.app_url() if app_role else runtime.owner_url()
    text = resolved.render_as_string(hide_password=not show_password)
    print(text.replace("postgresql+psycopg://", "postgresql://", 1))


@app.command("migrate")
def migrate_cmd(revision: Annotated[str, typer.Argument(help="Target revision.")] = "heads") -> None:
    """Upgrade the schema (default: to head) and create the application role."""
    before = migrate.current_revision()
    migrate.upgrade(revision)
    after = migrate.current_revision()
    console.print(f"schema at [bold]{after}[/] (was {before or 'empty'})")


@app.command()
def downgrade(revision: Annotated[str, typer.Argument(help="Target revision, e.g. 'base' or '-1'.")]) -> None:
    """Downgrade the schema to REVISION."""
    migrate.downgrade(revision)
    console.print(f"schema at [bold]{migrate.current_revision() or 'base (empty)'}[/]")


@app.command()
def check(as_json: JsonOption = False) -> None:
    """Check drift and the isolation, partition, audit and index invariants; exit 1 on any violation."""
    results = run_checks()
    ok = all(r.ok for r in results)
    if as_json:
        print_json(
            {"ok": ok, "checks": [{"name": r.name, "ok": r.ok, "violations": r.violations} for r in results]}
        )
    else:
        table = Table(title="ilp db check", show_lines=False)
        table.add_column("check")
        table.add_column("result")
        table.add_column("what it means / violations")
        for r in results:
            detail = r.description if r.ok else "\n".join(r.violations)
            table.add_row(r.name, "[green]ok[/]" if r.ok else "[red]FAIL[/]", detail)
        console.print(table)
    if not ok:
        raise typer.Exit(1)


@app.command()
def down() -> None:
    """Stop the embedded PostgreSQL (nothing to do when DATABASE_URL points elsewhere)."""
    if not runtime.is_embedded():
        fail("DATABASE_URL is set: that server is not managed by ilp")
    stopped = runtime.stop_embedded()
    console.print("embedded PostgreSQL stopped" if stopped else "embedded PostgreSQL was not running")
