"""The research notebooks as jupytext pairs: reviewed ``.py`` sources and their generated ``.ipynb`` twins.

Each notebook is a pair in ``notebooks/``: the ``.py`` file (jupytext percent format) is the reviewed source,
the ``.ipynb`` twin is generated from it without outputs and with stable cell ids (``ilp notebooks sync``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from platform_core.db.migrate import PROJECT_ROOT

__all__ = ["NOTEBOOKS_DIR", "PairStatus", "notebook_sources", "render_ipynb", "sync_pairs"]

NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"


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
