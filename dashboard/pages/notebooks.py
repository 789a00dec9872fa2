"""Research: the analysis notebooks (JupyterLab), over the live database (read-only) or an export."""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

from dashboard.components.links import link_to
from dashboard.components.page import page

user, scope = page(__file__, caption="The notebooks use the same platform_core analytics as these pages.")
NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
LAB = os.environ.get("ILP_JUPYTER_URL", "http://localhost:8888").rstrip("/")


def describe(path: Path) -> tuple[str, str]:
    """The notebook's title and first paragraph, from the leading markdown cell of its .py twin."""
    lines = [
        line[2:] if line.startswith("# ") else line.lstrip("#") for line in path.read_text().splitlines()
    ]
    start = next((i for i, line in enumerate(lines) if line.startswith("# ")), None)
    if start is None:
        return path.stem.replace("_", " ").capitalize(), ""
    body: list[str] = []
    for line in lines[start + 1 :]:
        if line.startswith("%%"):
            break
        body.append(line)
    return lines[start][2:], "\n".join(body).strip()


st.markdown("Start JupyterLab with this organisation's defaults, then open a notebook:")
st.code(f"ilp notebooks --tenant {user.tenant_slug}", language="bash")
sources = sorted(NOTEBOOKS.glob("*.py")) if NOTEBOOKS.is_dir() else []
if not sources:
    st.info("No notebooks found in the repository's notebooks/ folder.")
for path in sources:
    title, text = describe(path)
    with st.container(border=True):
        left, right = st.columns([4, 1], vertical_alignment="center")
        left.markdown(f"**{title}**")
        left.markdown(text)
        right.link_button(
            "Open in JupyterLab",
            f"{LAB}/lab/tree/{path.stem}.ipynb",
            icon=":material/open_in_new:",
            width="stretch",
        )
st.caption(
    f"JupyterLab is expected at {LAB} (set ILP_JUPYTER_URL for another address). Parameters: "
    "`ILP_NB_SOURCE` (live or an export folder), `ILP_NB_TENANT`, `ILP_NB_START`, `ILP_NB_END`."
)
link_to("export.py", "Export this organisation's data for a notebook", icon=":material/download:")
