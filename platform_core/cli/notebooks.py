"""`ilp notebooks`: JupyterLab on the research notebooks, their jupytext pairs, and headless runs.

Each notebook is a pair in ``notebooks/``: the ``.py`` file (jupytext percent format) is the reviewed source,
the ``.ipynb`` twin is generated from it without outputs (``ilp notebooks sync``) and checked in CI. Every
notebook reads its parameters (data source, tenant, date range) from ``ILP_NB_*`` environment variables with
defaults in its cell tagged ``parameters``, so it runs the same in JupyterLab and headless.

Kernels run this interpreter (the project's environment): headless runs use the kernel spec that ipykernel
describes for ``sys.executable`` whatever kernel specs the user has elsewhere, and JupyterLab prefers the
environment's own kernel specs over the user's.

The pairs are kept by :mod:`platform_core.cli.notebook_pairs`, the headless runs by
:mod:`platform_core.cli.notebook_runs`; this module holds the commands.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from platform_core.cli.notebook_pairs import (
    NOTEBOOKS_DIR,
    notebook_sources,
    sync_pairs,
)
from platform_core.cli.notebook_runs import (
    NotebookRun,
    notebook_env,
    run_notebook,
)
from platform_core.cli.output import console, fail, print_json

__all__ = [
    "app",
    "lab_command",
    "notebooks",
    "run",
    "sync",
]

app = typer.Typer(
    help="Research notebooks: JupyterLab on notebooks/, jupytext pairs, headless runs.",
    invoke_without_command=True,
)

SourceOption = Annotated[
    str | None,
    typer.Option(
        "--source",
        help="Data source: 'postgres' (the platform's database, read-only), a postgresql:// URL, "
        "or an export folder from `ilp export`. Sets ILP_NB_SOURCE.",
    ),
]
TenantOption = Annotated[str | None, typer.Option("--tenant", help="Tenant slug. Sets ILP_NB_TENANT.")]
StartOption = Annotated[
    str | None, typer.Option("--start", help="First day (YYYY-MM-DD). Sets ILP_NB_START.")
]
EndOption = Annotated[str | None, typer.Option("--end", help="Last day (YYYY-MM-DD). Sets ILP_NB_END.")]


def lab_command(port: int, *, open_browser: bool) -> list[str]:
    """JupyterLab on the notebooks folder, with nothing fetched from the internet (no news, no update
    check, no extension catalogue)."""
    command = [
        sys.executable, "-m", "jupyterlab",
        f"--ServerApp.root_dir={NOTEBOOKS_DIR}", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        "--ServerApp.ip=127.0.0.1", "--LabApp.news_url=None", "--LabApp.extension_manager=readonly",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]  # fmt: skip
    if not open_browser:
        command.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # containers often run as root; JupyterLab refuses it
        command.append("--ServerApp.allow_root=True")
    return command


@app.callback()
def notebooks(
    ctx: typer.Context,
    port: Annotated[int, typer.Option(help="Port for JupyterLab.")] = 8888,
    no_browser: Annotated[bool, typer.Option("--no-browser", help="Do not open a browser.")] = False,
    source: SourceOption = None,
    tenant: TenantOption = None,
    start: StartOption = None,
    end: EndOption = None,
) -> None:
    """Start JupyterLab on the notebooks folder with the project's environment (Ctrl+C stops it).

    Options set the notebooks' default parameters for this session; see notebooks/README.md.
    """
    if ctx.invoked_subcommand is not None:
        return
    env = notebook_env({"source": source, "tenant": tenant, "start": start, "end": end})
    env["JUPYTER_PREFER_ENV_PATH"] = "1"  # this environment's kernel spec before a user-wide one
    console.print(f"JupyterLab on [bold]{NOTEBOOKS_DIR}[/] at http://127.0.0.1:{port}/lab  (Ctrl+C to stop)")
    with contextlib.suppress(KeyboardInterrupt):
        code = subprocess.run(lab_command(port, open_browser=not no_browser), env=env, check=False).returncode
        if code:
            raise typer.Exit(code)


@app.command()
def sync(
    check: Annotated[
        bool, typer.Option("--check", help="Only report pairs out of sync; exit 1 if any.")
    ] = False,
) -> None:
    """Regenerate each notebooks/*.ipynb from its .py (jupytext percent format), without outputs."""
    results = sync_pairs(NOTEBOOKS_DIR, check=check)
    if not results:
        fail(f"no notebooks in {NOTEBOOKS_DIR}")
    table = Table(title="ilp notebooks sync" + (" --check" if check else ""))
    for column in ("notebook", "state", "detail"):
        table.add_column(column)
    colours = {"in sync": "green", "written": "yellow", "py updated": "yellow", "out of sync": "red"}
    for r in results:
        table.add_row(r.name, f"[{colours[r.state]}]{r.state}[/]", r.detail)
    console.print(table)
    if check and any(r.state == "out of sync" for r in results):
        raise typer.Exit(1)


@app.command()
def run(
    names: Annotated[
        list[str] | None, typer.Argument(help="Notebooks to run (names without extension); default: all.")
    ] = None,
    source: SourceOption = None,
    tenant: TenantOption = None,
    start: StartOption = None,
    end: EndOption = None,
    timeout: Annotated[int, typer.Option(help="Seconds allowed per cell.")] = 600,
    save: Annotated[
        Path | None,
        typer.Option("--save", help="Write the executed notebooks (with outputs) to this folder."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
) -> None:
    """Execute the notebooks headless, top to bottom, and report each one's status; exit 1 if any fails."""
    import nbformat

    available = {p.stem: p for p in notebook_sources()}
    unknown = sorted(set(names or []) - set(available))
    if unknown:
        fail(f"names: unknown notebook(s) {', '.join(unknown)} (have {', '.join(sorted(available))})")
    chosen = [available[n] for n in (names or sorted(available))]
    params = {"source": source, "tenant": tenant, "start": start, "end": end}
    runs: list[NotebookRun] = []
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        disable=as_json,
    ) as progress:
        task = progress.add_task("notebooks", total=len(chosen))
        for py in chosen:
            progress.update(task, description=f"running {py.stem}")
            runs.append(run_notebook(py, params=params, timeout=timeout))
            progress.advance(task)
    if save is not None:
        save.mkdir(parents=True, exist_ok=True)
        for r in runs:
            nbformat.write(r.notebook, save / f"{r.name}.ipynb")
    if as_json:
        print_json({"ok": all(r.ok for r in runs), "notebooks": [r.as_dict() for r in runs]})
    else:
        table = Table(title="ilp notebooks run")
        for column in ("notebook", "status", "seconds", "figures", "error"):
            table.add_column(column)
        for r in runs:
            where = f"cell {r.failed_cell}: " if r.failed_cell is not None else ""
            table.add_row(
                r.name,
                "[green]ok[/]" if r.ok else "[red]FAILED[/]",
                f"{r.seconds:.1f}",
                str(r.figures),
                "" if r.ok else where + r.error,
            )
        console.print(table)
    if not all(r.ok for r in runs):
        raise typer.Exit(1)
