"""The notebooks as files: every ``.py`` has its ``.ipynb`` pair in sync and without outputs (what CI checks),
parameters come from the environment, figures render offline, and every figure is explained."""

from __future__ import annotations

import ast
import os
import shutil
import time
from pathlib import Path

import jupytext
import nbformat
import pytest

from platform_core.cli.notebook_pairs import NOTEBOOKS_DIR, notebook_sources, render_ipynb, sync_pairs
from platform_core.cli.notebook_runs import PARAMETER_ENV

EXPECTED = {"engagement_analysis", "ai_cost_analysis", "item_analysis"}
SOURCES = notebook_sources()


def test_notebooks_are_all_there() -> None:
    assert {p.stem for p in SOURCES} == EXPECTED
    assert (NOTEBOOKS_DIR / "README.md").exists()


def test_notebooks_pairs_in_sync_and_without_outputs() -> None:
    states = {r.name: (r.state, r.detail) for r in sync_pairs(NOTEBOOKS_DIR, check=True)}
    assert states == {name: ("in sync", "") for name in EXPECTED}, (
        "run `ilp notebooks sync` and commit the .ipynb"
    )
    for py in SOURCES:
        nb = nbformat.read(py.with_suffix(".ipynb"), as_version=4)
        nbformat.validate(nb)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, f"{py.stem}: a cell has outputs"
        assert nb.metadata.kernelspec.name == "python3"
        assert nb.metadata.jupytext.formats == "ipynb,py:percent"


@pytest.mark.parametrize("py", SOURCES, ids=lambda p: p.stem)
def test_notebooks_parameters_come_from_the_environment(py: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    nb = jupytext.read(py)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, "exactly one cell tagged 'parameters'"
    cell = tagged[0]
    assert cell.cell_type == "code"
    first_code = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")
    assert nb.cells.index(cell) <= first_code + 1, "the parameters cell comes right after the imports"
    names = {"SOURCE": "source", "TENANT": "tenant", "START": "start", "END": "end"}
    assigned = {
        t.id for node in ast.parse(cell.source).body if isinstance(node, ast.Assign) for t in node.targets
    }
    assert assigned == set(names)
    for var in PARAMETER_ENV.values():
        monkeypatch.delenv(var, raising=False)
    defaults: dict[str, object] = {"os": os}
    exec(cell.source, defaults)  # the notebook's own parameters cell
    assert (
        defaults["SOURCE"] == "postgres" and defaults["TENANT"] and defaults["START"] == defaults["END"] == ""
    )
    values = {"source": "/exports/x", "tenant": "t-1", "start": "2026-01-01", "end": "2026-01-31"}
    for key, value in values.items():
        monkeypatch.setenv(PARAMETER_ENV[key], value)
    given: dict[str, object] = {"os": os}
    exec(cell.source, given)
    assert {var: given[var] for var in names} == {var: values[key] for var, key in names.items()}


@pytest.mark.parametrize("py", SOURCES, ids=lambda p: p.stem)
def test_notebooks_render_offline_and_explain_every_figure(py: Path) -> None:
    nb = jupytext.read(py)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert 'pio.renderers.default = "plotly_mimetype"' in code, (
        "figures must be plain data, drawn by JupyterLab"
    )
    for fetching in (
        "notebook_connected",
        "iframe_connected",
        "cdn",
        "http://",
        "https://",
        "requests",
        "urllib",
    ):
        assert fetching not in code, f"{py.stem}: {fetching!r} would depend on the network"
    renderer_set = False
    explained = False
    for cell in nb.cells:
        if cell.cell_type == "markdown" and len(cell.source.split()) >= 15:
            explained = True
        elif cell.cell_type == "code":
            renderer_set = renderer_set or "pio.renderers.default" in cell.source
            if ".show()" in cell.source:
                assert renderer_set, f"{py.stem}: a figure is shown before the renderer is set"
                assert explained, (
                    f"{py.stem}: a figure without a markdown cell explaining it:\n{cell.source[:200]}"
                )
                explained = False
    assert "platform_core.analytics" in code, "analysis logic comes from platform_core.analytics"


def test_notebooks_sync_writes_checks_and_keeps_edits(tmp_path: Path) -> None:
    source = NOTEBOOKS_DIR / "item_analysis.py"
    py = tmp_path / "item_analysis.py"
    shutil.copy(source, py)
    ipynb = py.with_suffix(".ipynb")
    assert [(r.state, r.detail) for r in sync_pairs(tmp_path, check=True)] == [
        ("out of sync", "item_analysis.ipynb: missing")
    ]
    assert not ipynb.exists()  # --check writes nothing
    assert [r.state for r in sync_pairs(tmp_path)] == ["written"]
    written = ipynb.read_text()
    assert written == render_ipynb(py) == (NOTEBOOKS_DIR / "item_analysis.ipynb").read_text()
    assert [r.state for r in sync_pairs(tmp_path)] == ["in sync"]  # stable cell ids: nothing changes

    # a notebook saved with outputs is out of sync, and sync strips them
    nb = nbformat.reads(written, as_version=4)
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", text="hello\n")]
    nb.cells[1].execution_count = 1
    nbformat.write(nb, ipynb)
    os.utime(py, (time.time() + 5, time.time() + 5))  # the .py is the newer file
    [state] = sync_pairs(tmp_path, check=True)
    assert state.state == "out of sync" and "outputs" in state.detail
    assert [r.state for r in sync_pairs(tmp_path)] == ["written"]
    assert ipynb.read_text() == written

    # inputs edited in the .ipynb (newer than the .py) go back to the .py before regenerating
    nb = nbformat.reads(written, as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell("A closing remark."))
    nbformat.write(nb, ipynb)
    os.utime(ipynb, (time.time() + 10, time.time() + 10))
    [state] = sync_pairs(tmp_path)
    assert state.state == "py updated"
    assert py.read_text().rstrip().endswith("# A closing remark.")
    assert sync_pairs(tmp_path, check=True)[0].state == "in sync"
