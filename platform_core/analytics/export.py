"""Researcher exports: one tenant's tables as Parquet (plus a DuckDB file of views over them).

Rows stream out of PostgreSQL with ``COPY (SELECT ...) TO STDOUT (FORMAT csv)`` inside one REPEATABLE READ
transaction (a consistent snapshot), are parsed by Arrow's streaming CSV reader in blocks of
``block_bytes``, transformed, and appended to the Parquet file as row groups: memory stays flat however
large a table is.

By default students are pseudonymised (see :mod:`platform_core.analytics.pseudonym`): every user id
column (any column referencing ``users``, and ``users.id``) holds the user's pseudonym; user ids inside
JSON and free-text columns are replaced by the same pseudonyms; e-mail addresses anywhere in JSON or free
text, and JSON string values equal to a user's name, become ``[redacted]``; ``users`` keeps no e-mail
or name, sessions no device fingerprint. ``pii=True`` exports raw ids, e-mails and display names.
Secrets (password hashes, API key material) and the pseudonym salt are never exported.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from sqlalchemy import text
from sqlalchemy.orm import Session

from platform_core.analytics.export_plan import (
    Scrubber,
    TablePlan,
    plan_tables,
)
from platform_core.analytics.pseudonym import SALT_SETTING, Pseudonymizer, tenant_salt

FORMAT_VERSION = 1


class ExportError(RuntimeError):
    """The export cannot be written (target not empty, unknown format...)."""


@dataclass
class ExportReport:
    directory: Path
    tenant_id: uuid.UUID
    pseudonymised: bool
    rows: dict[str, int] = field(default_factory=dict)
    bytes: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "directory": str(self.directory),
            "tenant_id": str(self.tenant_id),
            "pseudonymised": self.pseudonymised,
            "rows": self.rows,
            "bytes": self.bytes,
            "total_rows": self.total_rows,
            "seconds": round(self.seconds, 3),
            "rows_per_second": round(self.total_rows / self.seconds) if self.seconds else None,
        }


class _CopyStream(io.RawIOBase):
    """A readable file over ``COPY ... TO STDOUT`` chunks (what Arrow's CSV reader consumes)."""

    def __init__(self, copy: Any) -> None:
        self._copy = copy
        self._pending = memoryview(b"")
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            chunk = self._copy.read()
            if not chunk:
                return 0
            self._pending = memoryview(bytes(chunk))
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        self.bytes_read += n
        return n


def _copy_sql(plan: TablePlan, tenant_id: uuid.UUID) -> str:
    select = ", ".join(c.select for c in plan.columns)
    where = f" WHERE {plan.tenant_column} = '{tenant_id}'" if plan.tenant_column else ""
    return f"COPY (SELECT {select} FROM {plan.name}{where}) TO STDOUT (FORMAT csv)"  # noqa: S608


def _batches(raw: Any, plan: TablePlan, tenant_id: uuid.UUID, block_bytes: int) -> Iterator[pa.RecordBatch]:
    convert = pacsv.ConvertOptions(
        column_types={c.name: c.arrow for c in plan.columns},
        true_values=["t"],
        false_values=["f"],
        null_values=[""],
        strings_can_be_null=True,
        quoted_strings_can_be_null=False,
    )
    read = pacsv.ReadOptions(
        column_names=[c.name for c in plan.columns], block_size=block_bytes, use_threads=False
    )
    parse = pacsv.ParseOptions(newlines_in_values=True)
    with raw.cursor() as cursor, cursor.copy(_copy_sql(plan, tenant_id)) as copy:
        stream = io.BufferedReader(_CopyStream(copy), buffer_size=1 << 20)
        try:
            reader = pacsv.open_csv(stream, read_options=read, parse_options=parse, convert_options=convert)
        except pa.ArrowInvalid as exc:
            if "Empty CSV file" in str(exc):
                return
            raise
        yield from reader


def _tenant_row_fix(frame: pl.DataFrame) -> pl.DataFrame:
    """Drop the pseudonym salt (and anything else secret-like) from the exported tenant settings."""

    def clean(raw: str | None) -> str | None:
        if raw is None:
            return None
        settings = json.loads(raw)
        settings.pop(SALT_SETTING, None)
        return json.dumps(settings, sort_keys=True)

    return frame.with_columns(pl.col("settings").map_elements(clean, return_dtype=pl.String))


ProgressCallback = Callable[[str, int, int], None]


def export_tenant(
    session: Session,
    out_dir: str | Path,
    *,
    pii: bool = False,
    fmt: str = "parquet",
    block_bytes: int = 4 << 20,
    tables: tuple[str, ...] | None = None,
    on_progress: ProgressCallback | None = None,
    duckdb_file: bool = True,
) -> ExportReport:
    """Export the session's tenant into ``out_dir`` (created; must be empty or absent).

    ``session`` is a fresh tenant-scoped session (``read_session``/``tenant_session``), not yet used:
    the export runs in one REPEATABLE READ snapshot. ``on_progress(table, rows_done, rows_total)`` is
    called after each block. Writes ``<table>.parquet`` per table, ``manifest.json`` and, unless
    ``duckdb_file=False``, ``export.duckdb`` with one view per table. The files are written into a
    hidden sibling directory that becomes ``out_dir`` only when complete: a failed export leaves nothing.
    """
    from platform_core.db.session import TENANT_KEY

    if fmt != "parquet":
        raise ExportError(f"format: {fmt!r} is not supported (parquet)")
    out = Path(out_dir)
    if out.exists() and any(out.iterdir()):
        raise ExportError(f"out: {out} is not empty")
    tenant_id = uuid.UUID(str(session.info[TENANT_KEY]))
    started = time.perf_counter()
    session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    session.execute(text("SELECT set_config('TimeZone', 'UTC', true)"))
    plans = [p for p in plan_tables(pii=pii) if tables is None or p.name in tables]
    unknown = sorted(set(tables or ()) - {p.name for p in plans})
    if unknown:
        raise ExportError(f"tables: not exportable: {', '.join(unknown)}")
    scrubber = None if pii else Scrubber.load(session, Pseudonymizer(tenant_salt(session, tenant_id)))
    totals = {
        p.name: session.execute(
            text(
                f"SELECT count(*) FROM {p.name}"  # noqa: S608
                + (f" WHERE {p.tenant_column} = :t" if p.tenant_column else "")
            ),
            {"t": tenant_id},
        ).scalar_one()
        for p in plans
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    work = out.with_name(f".{out.name}.partial-{uuid.uuid4().hex[:8]}")  # renamed to ``out`` when complete
    work.mkdir()
    try:
        report = _write_tables(session, work, plans, tenant_id, scrubber, totals, block_bytes, on_progress)
        report.directory = out
        report.seconds = time.perf_counter() - started
        _write_manifest(work, report, plans, session)
        if out.exists():
            out.rmdir()  # checked empty above
        os.replace(work, out)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    if duckdb_file:
        write_duckdb_views(out, [p.name for p in plans])
    return report


def _write_tables(
    session: Session,
    out: Path,
    plans: list[TablePlan],
    tenant_id: uuid.UUID,
    scrubber: Scrubber | None,
    totals: dict[str, int],
    block_bytes: int,
    on_progress: ProgressCallback | None,
) -> ExportReport:
    raw = session.connection().connection.driver_connection
    report = ExportReport(out, tenant_id, pseudonymised=scrubber is not None)
    for plan in plans:
        path = out / f"{plan.name}.parquet"
        done = 0
        with pq.ParquetWriter(path, plan.schema, compression="zstd") as writer:
            for batch in _batches(raw, plan, tenant_id, block_bytes):
                frame = pl.from_arrow(batch)
                assert isinstance(frame, pl.DataFrame)
                times = [c.name for c in plan.columns if c.kind == "time"]
                if times:
                    frame = frame.with_columns(pl.col(times).dt.replace_time_zone("UTC"))
                if plan.name == "tenants":
                    frame = _tenant_row_fix(frame)
                if scrubber is not None:
                    frame = scrubber.apply(frame, plan)
                writer.write_table(frame.to_arrow().cast(plan.schema))
                done += frame.height
                if on_progress is not None:
                    on_progress(plan.name, done, totals[plan.name])
        if on_progress is not None and done == 0:
            on_progress(plan.name, 0, totals[plan.name])
        report.rows[plan.name] = done
        report.bytes[plan.name] = path.stat().st_size
    return report


def _write_manifest(out: Path, report: ExportReport, plans: list[TablePlan], session: Session) -> None:
    slug = session.execute(text("SELECT slug FROM tenants WHERE id = :t"), {"t": report.tenant_id}).scalar()
    manifest = {
        "format": "ilp-export",
        "version": FORMAT_VERSION,
        "tenant_id": str(report.tenant_id),
        "tenant_slug": slug,
        "exported_at": datetime.now(UTC).isoformat(),
        "pseudonymised": report.pseudonymised,
        "files": {p.name: f"{p.name}.parquet" for p in plans},
        "rows": report.rows,
        "columns": {p.name: [c.name for c in p.columns] for p in plans},
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")


def write_duckdb_views(out: Path, tables: list[str]) -> Path:
    """``export.duckdb``: one view per table over its Parquet file (absolute paths; after moving the
    export, open the directory with ``DuckDBSource.open`` or re-run this)."""
    import duckdb

    target = out / "export.duckdb"
    tmp = out / ".export.duckdb.tmp"
    if tmp.exists():
        tmp.unlink()
    con = duckdb.connect(str(tmp))
    try:
        for table in tables:
            file_path = (out.resolve() / f"{table}.parquet").as_posix().replace("'", "''")
            con.execute(f"CREATE OR REPLACE VIEW {table} AS SELECT * FROM read_parquet('{file_path}')")  # noqa: S608
    finally:
        con.close()
    os.replace(tmp, target)
    return target
