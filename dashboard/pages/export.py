"""Research: export the organisation's data (Parquet + DuckDB) for notebooks and other tools; students are
pseudonymised unless an admin decides otherwise. Every export is audited."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import streamlit as st

from dashboard.components.page import page
from platform_core.analytics.export import ExportError, export_tenant, plan_tables
from platform_core.audit import AuditAction, record_event
from platform_core.db.replica import read_session
from platform_core.db.session import tenant_session
from platform_core.models import UserRole
from platform_core.settings import get_settings

user, scope = page(
    __file__,
    caption="One consistent snapshot, streamed in blocks: a Parquet file per table, "
    "manifest.json and export.duckdb.",
)

names = [p.name for p in plan_tables(pii=False)]
with st.form("export"):
    tables = st.multiselect("Tables", names, default=names, help="Leave all for a complete export.")
    if user.role is UserRole.ADMIN:
        pii = st.toggle(
            "Include names, e-mails and raw user ids",
            False,
            help="Off: students appear under stable pseudonyms, the same in every export.",
        )
    else:
        pii = False
        st.caption(":material/shield: Students appear under stable pseudonyms (the same in every export).")
    go = st.form_submit_button("Export", type="primary", icon=":material/download:")

if go:
    if not tables:
        st.error("Choose at least one table.")
        st.stop()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = Path(get_settings().home) / "exports" / user.tenant_slug / stamp
    finished: set[str] = set()
    with st.status("Exporting…", expanded=True) as status:
        bar = st.progress(0.0)

        def on_progress(table: str, done: int, total: int) -> None:
            if done >= total:
                finished.add(table)
            part = done / total if total else 1.0
            bar.progress(
                min(1.0, (len(finished) + (0 if table in finished else part)) / len(tables)),
                text=f"{table}: {done:,} of {total:,} rows",
            )

        try:
            with read_session(user.tenant_id, user_id=user.user_id) as session:
                report = export_tenant(session, out, pii=pii, tables=tuple(tables), on_progress=on_progress)
        except ExportError as exc:
            status.update(label=f"Export failed: {exc}", state="error")
            st.stop()
        with tenant_session(user.tenant_id, user_id=user.user_id) as session:
            record_event(
                session,
                AuditAction.EXPORT,
                details={"directory": str(out), "pii": pii, "tables": tables, "rows": report.total_rows},
            )
        status.update(
            label=f"Exported {report.total_rows:,} rows from {len(tables)} tables in {report.seconds:.1f} s",
            state="complete",
        )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for file in sorted(out.iterdir()):
            archive.write(file, file.name)
    st.download_button(
        "Download the export (.zip)",
        buffer.getvalue(),
        file_name=f"ilp-{user.tenant_slug}-{stamp}.zip",
        mime="application/zip",
        type="primary",
        icon=":material/folder_zip:",
    )
    st.markdown("Or open it where it is, in a notebook:")
    st.code(
        f'from platform_core.analytics.sources import DuckDBSource\nsrc = DuckDBSource.open("{out}")',
        language="python",
    )
