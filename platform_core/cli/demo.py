"""`ilp demo` and `ilp dashboard`: everything a new user needs to see the workbench running."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from typing import Annotated

import typer
from rich.table import Table

from platform_core.cli.output import console, stage_progress
from platform_core.db import migrate, runtime
from platform_core.db.migrate import PROJECT_ROOT
from platform_core.demo import DEMO_ACCOUNTS, DEMO_TENANT, ensure_demo_tenant

DASHBOARD_APP = PROJECT_ROOT / "dashboard" / "app.py"

PortOption = Annotated[int, typer.Option(help="Port for the dashboard.")]


def serve_dashboard(port: int) -> None:
    """Run the Streamlit dashboard in the foreground (Ctrl+C stops it)."""
    console.print(f"dashboard: [bold]http://localhost:{port}[/]  (Ctrl+C to stop)")
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    command = [
        sys.executable, "-m", "streamlit", "run", str(DASHBOARD_APP),
        "--server.headless", "true", "--server.port", str(port), "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    with contextlib.suppress(KeyboardInterrupt):
        subprocess.run(command, env=env, cwd=PROJECT_ROOT, check=False)


def demo(
    port: PortOption = 8501,
    serve: Annotated[bool, typer.Option("--serve/--no-serve", help="Start the dashboard at the end.")] = True,
) -> None:
    """Start the database, migrate it, load the demo data and open the dashboard."""
    url = runtime.owner_url()
    console.print(f"database: {runtime.display_url(url)}", highlight=False)
    migrate.upgrade("heads")
    console.print(f"schema at revision [bold]{migrate.current_revision()}[/]")
    console.print("loading the demo school (first run only; about a minute)")
    with stage_progress(transient=True) as progress:
        created = ensure_demo_tenant(progress=progress)
    console.print("demo tenant " + ("created" if created else "already present"))
    table = Table(title=f"Sign in to organisation '{DEMO_TENANT}' with", show_lines=False)
    for column in ("role", "email", "password"):
        table.add_column(column)
    for account in DEMO_ACCOUNTS:
        table.add_row(account.role.value, account.email, account.password)
    console.print(table)
    if serve:
        serve_dashboard(port)


def dashboard(port: PortOption = 8501) -> None:
    """Serve the dashboard over the current database (run `ilp demo` once first for demo data)."""
    serve_dashboard(port)
