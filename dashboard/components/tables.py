"""A table with its CSV download: every table on every page goes through here."""

from __future__ import annotations

import re
from typing import Any

import polars as pl
import streamlit as st


def csv_bytes(frame: pl.DataFrame) -> bytes:
    """CSV of a frame; nested columns (lists, structs) become JSON text so nothing is lost."""
    flat = frame.with_columns(
        pl.col(name).map_elements(lambda v: None if v is None else str(v), return_dtype=pl.String)
        for name, dtype in frame.schema.items()
        if dtype.is_nested() or dtype == pl.Object
    )
    return flat.write_csv().encode()


def table(
    frame: pl.DataFrame,
    *,
    name: str,
    column_config: dict[str, Any] | None = None,
    height: int | str = "auto",
    select: bool | str = False,
    key: str | None = None,
    hide: tuple[str, ...] = (),
) -> Any:
    """Show ``frame`` and offer it as ``<name>.csv``. With ``select=True`` (one row) or ``select="multi"``
    returns the selected row indexes, else None."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "table"
    shown = frame.drop([c for c in hide if c in frame.columns])
    event = st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        height=height,
        column_config=column_config,
        key=key or f"table_{slug}",
        on_select="rerun" if select else "ignore",
        selection_mode="multi-row" if select == "multi" else "single-row",
    )
    st.download_button(
        f"Download {name} (CSV)",
        csv_bytes(frame),
        file_name=f"{slug}.csv",
        mime="text/csv",
        icon=":material/download:",
        key=f"csv_{key or slug}",
        type="tertiary",
    )
    if select:
        return list(event.selection.rows)
    return None
