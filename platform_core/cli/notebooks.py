"""`ilp notebooks`: JupyterLab on the research notebooks, their jupytext pairs, and headless runs.

Each notebook is a pair in ``notebooks/``: the ``.py`` file (jupytext percent format) is the reviewed source,
the ``.ipynb`` twin is generated from it without outputs (``ilp notebooks sync``) and checked in CI. Every
notebook reads its parameters (data source, tenant, date range) from ``ILP_NB_*`` environment variables with
defaults in its cell tagged ``parameters``, so it runs the same in JupyterLab and headless.

Kernels run this interpreter (the project's environment): headless runs use the kernel spec that ipykernel
describes for ``sys.executable`` whatever kernel specs the user has elsewhere, and JupyterLab prefers the
environment's own kernel specs over the user's.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from platform_core.cli.output import console, fail, print_json
from platform_core.db.migrate import PROJECT_ROOT

NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
KERNEL_NAME = "python3"
PLOTLY_MIME = "application/vnd.plotly.v1+json"
#: Notebook parameter -> the environment variable its ``parameters`` cell reads.
PARAMETER_ENV = {
    "source": "ILP_NB_SOURCE",
    "tenant": "ILP_NB_TENANT",
    "start": "ILP_NB_START",
    "end": "ILP_NB_END",
}

#: Run before a notebook's own cells in headless runs: any attempt to reach a host other than this machine
#: (DNS lookup or connect through Python sockets) fails the cell that tried, so "no cell depends on the
#: network" is checked, not assumed. Database drivers connect in C and are not affected.
NETWORK_GUARD = """\
def _ilp_install_network_guard():
    import ipaddress
    import sys

    local_names = {"localhost", "localhost.localdomain", "ip6-localhost", ""}

    def is_local(host):
        if host is None:
            return True
        if isinstance(host, bytes):
            host = host.decode(errors="replace")
        host = str(host).strip("[]").lower()
        if host in local_names:
            return True
        try:
            return ipaddress.ip_address(host.split("%")[0]).is_loopback
        except ValueError:
            return False

    def guard(event, args):
        if event == "socket.getaddrinfo" and not is_local(args[0]):
            raise ConnectionRefusedError(f"notebooks must not use the network: lookup of {args[0]!r}")
        if event == "socket.connect":
            address = args[1]
            if isinstance(address, tuple) and address and not is_local(address[0]):
                raise ConnectionRefusedError(f"notebooks must not use the network: connect to {address!r}")

    sys.addaudithook(guard)


_ilp_install_network_guard()
del _ilp_install_network_guard
"""


# --------------------------------------------------------------------------------------------- pairs


def notebook_sources(directory: Path = NOTEBOOKS_DIR) -> list[Path]:
    """The notebooks' reviewed sources: every ``*.py`` of the folder, by name."""
    return sorted(p for p in directory.glob("*.py") if not p.name.startswith("_"))


def _stable_ids(nb: Any) -> None:
    """Cell ids derived from the cells' content, so regenerating an unchanged notebook changes nothing."""
    seen: dict[str, int] = {}
    for cell in nb.cells:
        key = f"{cell.cell_type}\n{cell.source}".encode()
        digest = hashlib.sha1(key, usedforsecurity=False).hexdigest()[:8]
        count = seen.get(digest, 0)
        seen[digest] = count + 1
        cell["id"] = digest if count == 0 else f"{digest}-{count}"


def render_ipynb(py: Path) -> str:
    """The ``.ipynb`` text that belongs to ``py``: same cells and metadata, no outputs, stable cell ids."""
    import jupytext

    nb = jupytext.read(py, fmt="py:percent")
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    _stable_ids(nb)
    nb.metadata.get("jupytext", {}).pop("text_representation", None)
    text = jupytext.writes(nb, fmt="ipynb")
    return text if text.endswith("\n") else text + "\n"


def _inputs(nb: Any) -> list[tuple[str, str]]:
    return [(c.cell_type, c.source) for c in nb.cells]


@dataclass
class PairStatus:
    name: str
    state: str  # "in sync", "written", "py updated", "out of sync"
    detail: str = ""


def sync_pairs(directory: Path = NOTEBOOKS_DIR, *, check: bool = False) -> list[PairStatus]:
    """Regenerate every ``.ipynb`` from its ``.py`` (or, with ``check``, only report the differences).

    A notebook edited and saved in JupyterLab outside the jupytext pairing (its ``.ipynb`` newer than the
    ``.py``, with other cell inputs) first has its inputs written back to the ``.py``, so no edit is lost.
    """
    import jupytext

    results = []
    for py in notebook_sources(directory):
        ipynb = py.with_suffix(".ipynb")
        note = ""
        if not check and ipynb.exists() and ipynb.stat().st_mtime > py.stat().st_mtime:
            edited = jupytext.read(ipynb)
            if _inputs(edited) != _inputs(jupytext.read(py, fmt="py:percent")):
                jupytext.write(edited, py, fmt="py:percent")
                note = f"{py.name} updated from {ipynb.name}"
        expected = render_ipynb(py)
        current = ipynb.read_text() if ipynb.exists() else None
        if current == expected:
            results.append(PairStatus(py.stem, "py updated" if note else "in sync", note))
            continue
        reason = f"{ipynb.name}: " + ("missing" if current is None else _difference(current, expected))
        if check:
            results.append(PairStatus(py.stem, "out of sync", reason))
            continue
        ipynb.write_text(expected)
        results.append(PairStatus(py.stem, "py updated" if note else "written", note or reason))
    return results


def _difference(current: str, expected: str) -> str:
    import nbformat

    try:
        nb = nbformat.reads(current, as_version=4)
    except Exception as exc:  # any parse failure means the file must be regenerated
        return f"not a notebook ({exc.__class__.__name__})"
    outputs = sum(
        1 for c in nb.cells if c.cell_type == "code" and (c.get("outputs") or c.get("execution_count"))
    )
    if outputs:
        return f"{outputs} cell(s) carry outputs or execution counts"
    if _inputs(nb) != _inputs(nbformat.reads(expected, as_version=4)):
        return "cells differ from the .py"
    return "metadata or cell ids differ from the .py"


# --------------------------------------------------------------------------------------------- runs


def _kernel_manager_class() -> type:
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import default

    class InterpreterKernelManager(AsyncKernelManager):
        """The ``python3`` kernel of the running interpreter, ignoring kernel specs installed elsewhere."""

        @default("kernel_spec_manager")
        def _default_ksm(self) -> KernelSpecManager:
            return KernelSpecManager(kernel_dirs=[], ensure_native_kernel=True)

    return InterpreterKernelManager


@dataclass
class NotebookRun:
    name: str
    ok: bool
    seconds: float
    figures: int = 0
    cells: int = 0
    failed_cell: int | None = None
    error: str = ""
    notebook: Any = field(default=None, repr=False)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "ok": self.ok,
            "seconds": round(self.seconds, 2),
            "figures": self.figures,
            "cells": self.cells,
            "failed_cell": self.failed_cell,
            "error": self.error,
        }


def notebook_env(params: dict[str, str | None], base: dict[str, str] | None = None) -> dict[str, str]:
    """The kernel's environment: ``base`` (default: this process's) with the notebook parameters set."""
    env = dict(os.environ if base is None else base)
    for key, value in params.items():
        if key not in PARAMETER_ENV:
            raise ValueError(f"params: unknown notebook parameter {key!r} (known: {sorted(PARAMETER_ENV)})")
        if value is not None:
            env[PARAMETER_ENV[key]] = value
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH")]))
    return env


def count_figures(nb: Any) -> int:
    """Plotly figures among the notebook's outputs."""
    return sum(
        1
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
        if PLOTLY_MIME in out.get("data", {})
    )


def run_notebook(
    path: Path,
    *,
    params: dict[str, str | None] | None = None,
    timeout: int = 600,
    forbid_network: bool = True,
    env: dict[str, str] | None = None,
) -> NotebookRun:
    """Execute a notebook top to bottom in a fresh kernel of this interpreter; stop at the first error.

    ``path`` is a ``.py`` source or an ``.ipynb``; ``params`` set its ``ILP_NB_*`` parameters; ``timeout``
    bounds each cell (seconds). The executed notebook (with outputs) is in ``NotebookRun.notebook``.
    """
    import jupytext
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
    from traitlets.config import Config

    nb = jupytext.read(path, fmt="py:percent") if path.suffix == ".py" else nbformat.read(path, as_version=4)
    guard = 0
    if forbid_network:
        nb.cells.insert(0, nbformat.v4.new_code_cell(NETWORK_GUARD, metadata={"tags": ["ilp-network-guard"]}))
        guard = 1
    started = time.perf_counter()
    error = ""
    # The kernel talks over unix sockets in a private folder: nothing listens on a TCP port meanwhile.
    with tempfile.TemporaryDirectory(prefix="ilp-nb-") as sockets:
        client = NotebookClient(
            nb,
            timeout=timeout,
            kernel_name=KERNEL_NAME,
            kernel_manager_class=_kernel_manager_class(),
            config=Config({"KernelManager": {"transport": "ipc", "ip": str(Path(sockets) / "kernel")}}),
            resources={"metadata": {"path": str(path.parent)}},
        )
        try:
            client.execute(env=notebook_env(params or {}, env))
        except CellExecutionError as exc:
            error = f"{exc.ename}: {exc.evalue}"
        except (CellTimeoutError, DeadKernelError) as exc:
            error = (
                f"{exc.__class__.__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"
            )
    seconds = time.perf_counter() - started
    if guard:
        nb.cells.pop(0)
    failed = next(
        (
            i
            for i, cell in enumerate(nb.cells)
            if cell.cell_type == "code"
            and any(o.get("output_type") == "error" for o in cell.get("outputs", []))
        ),
        None,
    )
    if error and failed is None and client.code_cells_executed:
        failed = client.code_cells_executed - 1 - guard
    return NotebookRun(
        name=path.stem,
        ok=not error,
        seconds=seconds,
        figures=count_figures(nb),
        cells=len(nb.cells),
        failed_cell=failed,
        error=error,
        notebook=nb,
    )


# --------------------------------------------------------------------------------------------- commands

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
