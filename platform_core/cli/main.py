"""The `ilp` command. Every subcommand honours DATABASE_URL; without it, the embedded PostgreSQL."""

from __future__ import annotations

import logging

import typer

from platform_core.cli import db, demo, tenants
from platform_core.cli.output import fail
from platform_core.cli import grading as grading_cli
from platform_core.db.runtime import DatabaseUnavailable
from platform_core.validation import InvalidInput

app = typer.Typer(
    name="ilp",
    help="Interactive Learning Platform workbench: database, grading, activity, AI, analytics and dashboard.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(db.app, name="db")
app.add_typer(tenants.tenant_app, name="tenant")
app.add_typer(tenants.user_app, name="user")
app.command()(demo.demo)
app.command()(demo.dashboard)
app.add_typer(grading_cli.app, name="grade")


@app.callback()
def _root(verbose: bool = typer.Option(False, "--verbose", "-v", help="Log what happens.")) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )


def main() -> None:
    try:
        app()
    except (DatabaseUnavailable, InvalidInput) as exc:
        fail(str(exc))


if __name__ == "__main__":
    main()
