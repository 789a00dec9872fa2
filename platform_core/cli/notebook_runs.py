"""Headless notebook runs: a fresh kernel of this interpreter, parameters from the environment, no network.

Headless runs use the kernel spec that ipykernel describes for ``sys.executable`` whatever kernel specs the
user has elsewhere; every notebook reads its parameters from ``ILP_NB_*`` environment variables.
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from platform_core.db.migrate import PROJECT_ROOT

__all__ = [
    "KERNEL_NAME",
    "NETWORK_GUARD",
    "PARAMETER_ENV",
    "PLOTLY_MIME",
    "NotebookRun",
    "count_figures",
    "notebook_env",
    "run_notebook",
]

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
