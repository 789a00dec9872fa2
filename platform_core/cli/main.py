"""The `ilp` command. Every subcommand honours DATABASE_URL; without it, the embedded PostgreSQL."""

from __future__ import annotations

import logging

import typer

from platform_core.cli import activity, db, demo, tenants
from platform_core.cli import ai as ai_cli
from platform_core.cli import analytics as analytics_cli
from platform_core.cli import gdpr as gdpr_cli
from platform_core.cli import grading as grading_cli
from platform_core.cli import notebooks as notebooks_cli
from platform_core.cli import ops as ops_cli
from platform_core.cli import seed as seed_cli
from platform_core.cli.output import fail
from platform_core.db.runtime import DatabaseUnavailable
from platform_core.validation import InvalidInput

app = typer.Typer(
    name="ilp",
    help="Interactive Learning Platform workbench: database, grading, activity, AI, analytics and dashboard.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
# In the order a new user meets them: run it, the database, people, activity, grading, AI, analysis, upkeep.
app.command()(demo.demo)
app.command()(demo.dashboard)
app.add_typer(db.app, name="db")
app.add_typer(tenants.tenant_app, name="tenant")
app.add_typer(tenants.user_app, name="user")
app.command("seed")(seed_cli.seed)
app.command("ingest")(activity.ingest)
app.add_typer(activity.xapi_app, name="xapi")
app.add_typer(grading_cli.app, name="grade")
app.add_typer(ai_cli.app, name="ai")
app.add_typer(analytics_cli.app, name="analytics")
app.command("export")(analytics_cli.export)
app.add_typer(notebooks_cli.app, name="notebooks")
app.add_typer(ops_cli.app, name="ops")
app.add_typer(gdpr_cli.app, name="gdpr")


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
