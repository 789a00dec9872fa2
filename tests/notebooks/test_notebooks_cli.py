"""`ilp notebooks`: JupyterLab on the notebooks folder with the project's kernel, `sync` and `run`."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

from platform_core.cli.notebook_runs import run_notebook
from tests.notebooks.conftest import NotebookDataset


def _ilp(
    *args: str, env: dict[str, str] | None = None, timeout: int = 600
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "platform_core.cli.main", *args],
        env=env or dict(os.environ),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_notebooks_cli_sync_check_and_unknown_names() -> None:
    done = _ilp("notebooks", "sync", "--check")
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("in sync") == 3
    done = _ilp("notebooks", "run", "no_such_notebook")
    assert done.returncode == 1
    assert "unknown notebook" in done.stderr and "item_analysis" in done.stderr


@pytest.mark.slow
def test_notebooks_cli_run_reports_each_notebook(notebook_dataset: NotebookDataset, tmp_path: Path) -> None:
    env = notebook_dataset.env
    done = _ilp(
        "notebooks", "run", "item_analysis", "--source", str(notebook_dataset.export_dir),
        "--tenant", notebook_dataset.tenant, "--start", "2000-01-01", "--end", "2999-12-31",
        "--save", str(tmp_path), "--json", env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert report["ok"] is True
    [only] = report["notebooks"]
    assert only["name"] == "item_analysis" and only["ok"] and only["figures"] >= 1 and only["error"] == ""
    saved = nbformat.read(tmp_path / "item_analysis.ipynb", as_version=4)
    assert any(cell.get("outputs") for cell in saved.cells if cell.cell_type == "code")

    done = _ilp("notebooks", "run", "item_analysis", "--source", str(tmp_path / "missing"), env=env)
    assert done.returncode == 1
    assert "FAILED" in done.stdout and "InvalidInput" in done.stdout


@pytest.mark.slow
def test_notebooks_run_stops_at_the_first_error_and_refuses_the_network(tmp_path: Path) -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("A local connection is fine; the internet is not."),
        nbformat.v4.new_code_cell(f"import socket\nsocket.create_connection(('127.0.0.1', {port})).close()"),
        nbformat.v4.new_code_cell("import os\nprint(os.environ['ILP_NB_TENANT'])"),
        nbformat.v4.new_code_cell("socket.getaddrinfo('example.org', 443)"),
        nbformat.v4.new_code_cell("print('never runs')"),
    ]
    path = tmp_path / "probe.ipynb"
    nbformat.write(nb, path)
    try:
        run = run_notebook(path, params={"tenant": "probe-tenant"}, timeout=120)
    finally:
        listener.close()
    assert not run.ok
    assert run.failed_cell == 3
    assert "must not use the network" in run.error and "example.org" in run.error
    assert run.notebook.cells[2].outputs[0]["text"] == "probe-tenant\n"
    assert run.notebook.cells[4].get("execution_count") is None  # nothing ran after the error
    assert len(run.notebook.cells) == 5  # the guard cell is not left in the notebook


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


@pytest.mark.slow
def test_notebooks_lab_serves_the_folder_with_the_project_kernel(tmp_path: Path) -> None:
    from jupyter_client import BlockingKernelClient

    port, token = _free_port(), "test-token-notebooks"
    runtime = tmp_path / "runtime"
    env = {
        **os.environ, "JUPYTER_TOKEN": token, "JUPYTER_RUNTIME_DIR": str(runtime),
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"), "JUPYTERLAB_SETTINGS_DIR": str(tmp_path / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces"),
    }  # fmt: skip
    lab = subprocess.Popen(
        [sys.executable, "-m", "platform_core.cli.main", "notebooks", "--port", str(port), "--no-browser",
         "--tenant", "lab-tenant"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                _get(f"{base}/api/status?token={token}")
                break
            except OSError:
                assert lab.poll() is None, f"JupyterLab exited: {lab.stdout.read() if lab.stdout else ''}"
                assert time.monotonic() < deadline, "JupyterLab did not start within 90 s"
                time.sleep(0.5)
        listing = {item["name"] for item in _get(f"{base}/api/contents?token={token}")["content"]}
        assert {f"{p}.ipynb" for p in ("engagement_analysis", "ai_cost_analysis", "item_analysis")} <= listing
        assert "README.md" in listing  # the server's root is the notebooks folder
        notebook = _get(f"{base}/api/contents/item_analysis.ipynb?token={token}")
        assert notebook["type"] == "notebook"
        assert any("parameters" in c["metadata"].get("tags", []) for c in notebook["content"]["cells"])
        specs = _get(f"{base}/api/kernelspecs?token={token}")
        assert specs["default"] == "python3" and "python3" in specs["kernelspecs"]

        request = urllib.request.Request(
            f"{base}/api/kernels?token={token}", data=json.dumps({"name": "python3"}).encode(), method="POST",
            headers={"Content-Type": "application/json"},
        )  # fmt: skip
        with urllib.request.urlopen(request, timeout=30) as response:
            kernel_id = json.loads(response.read())["id"]
        client = BlockingKernelClient(connection_file=str(runtime / f"kernel-{kernel_id}.json"))
        client.load_connection_file()
        client.start_channels()
        try:
            client.wait_for_ready(timeout=120)  # a first start in a fresh clone compiles every import
            printed: list[str] = []
            code = "import os, sys, platform_core; print(sys.prefix); print(os.environ['ILP_NB_TENANT'])"
            client.execute_interactive(
                code, timeout=60, output_hook=lambda m: printed.append(m["content"].get("text", ""))
            )
        finally:
            client.stop_channels()
        prefix, tenant = "".join(printed).split()
        assert prefix == sys.prefix, "the kernel runs in the project's environment"
        assert tenant == "lab-tenant"
    finally:
        os.killpg(lab.pid, signal.SIGTERM)
        try:
            lab.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(lab.pid, signal.SIGKILL)
            lab.wait(timeout=10)
