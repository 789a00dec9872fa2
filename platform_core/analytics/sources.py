"""Where analytics read from: live PostgreSQL or DuckDB (an export's Parquet files, or Postgres attached).

Every metric is written once, as SQL that PostgreSQL and DuckDB both accept, plus Polars code on the
rows it returns; a :class:`Source` only runs the SQL and hands back a Polars frame with the requested
dtypes, so both sources give identical frames. Conventions of that shared SQL:

- parameters are ``:name``; the tenant is always ``:tenant_id`` and every query filters on it (on a
  DuckDB attach of a whole database, row-level security is not the only guard);
- ids are compared as ``CAST(:x AS UUID)`` and returned as ``CAST(col AS VARCHAR)``; JSON columns are
  returned as text (``CAST(col AS VARCHAR)``) and parsed in Python; money as ``CAST(x AS FLOAT8)``;
- timestamps come back as ``Datetime("us", "UTC")``, both sessions run in UTC.

The SQL strings of the metric modules interpolate only fixed fragments written in the code (the tenant
predicate, optional filters, column and table names); every value is a bound parameter, hence their
``noqa: S608``.
"""

from __future__ import annotations

import json
import re
import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

import polars as pl
from sqlalchemy import text
from sqlalchemy.orm import Session

from platform_core.db.session import TENANT_KEY

Schema = Mapping[str, pl.DataType | type[pl.DataType]]
UTC_DATETIME = pl.Datetime("us", "UTC")

_PARAM = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")
#: What a table of an export may be called: its name becomes a view name in SQL.
_TABLE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


class SourceError(RuntimeError):
    """A source cannot answer: a missing table or column, or an export without what a metric needs."""


def _plain(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def conform(frame: pl.DataFrame, schema: Schema) -> pl.DataFrame:
    """``frame`` with exactly the columns of ``schema``, in its order and dtypes (datetimes in UTC)."""
    columns = []
    for name, dtype in schema.items():
        if name not in frame.columns:
            raise SourceError(f"query result lacks column {name!r} (has {frame.columns})")
        col = frame.get_column(name)
        target = dtype() if isinstance(dtype, type) else dtype
        if isinstance(target, pl.Datetime):
            if col.dtype == pl.Null:
                col = col.cast(UTC_DATETIME)
            elif isinstance(col.dtype, pl.Datetime):
                col = col.cast(pl.Datetime("us", col.dtype.time_zone))
                col = (
                    col.dt.convert_time_zone("UTC")
                    if col.dtype.time_zone
                    else col.dt.replace_time_zone("UTC")
                )
            else:
                col = col.cast(UTC_DATETIME)
        elif col.dtype != target:
            col = col.cast(target)
        columns.append(col.alias(name))
    return pl.DataFrame(columns) if columns else pl.DataFrame(schema=dict(schema))


class Source(ABC):
    """Runs shared analytics SQL for one tenant and returns Polars frames."""

    dialect: ClassVar[str]
    tenant_id: uuid.UUID

    def query(
        self, sql: str, params: Mapping[str, Any] | None = None, schema: Schema | None = None
    ) -> pl.DataFrame:
        """Run ``sql`` (``:tenant_id`` is bound automatically); with ``schema``, conform the result to it."""
        bound = {"tenant_id": str(self.tenant_id)}
        bound.update({key: _plain(value) for key, value in (params or {}).items()})
        frame = self._fetch(sql, bound)
        if schema is None:
            return frame
        if frame.height == 0 and not frame.columns:
            return pl.DataFrame(schema={k: (v() if isinstance(v, type) else v) for k, v in schema.items()})
        return conform(frame, schema)

    def scalar(self, sql: str, params: Mapping[str, Any] | None = None) -> Any:
        frame = self.query(sql, params)
        return frame.item(0, 0) if frame.height else None

    @abstractmethod
    def _fetch(self, sql: str, params: dict[str, Any]) -> pl.DataFrame: ...

    @abstractmethod
    def has_table(self, name: str) -> bool: ...

    def has_column(self, table: str, column: str) -> bool:
        """Whether ``table`` has ``column`` (a pseudonymised export has no e-mail or name columns)."""
        found = self.query(
            "SELECT count(*) AS n FROM information_schema.columns WHERE table_name = :table "
            "AND column_name = :column AND table_schema = current_schema()",
            {"table": table, "column": column},
        )
        return bool(found.item(0, 0))

    @abstractmethod
    def json_text(self, column: str, key: str) -> str:
        """SQL for the text value of top-level ``key`` of a JSON column (NULL when absent)."""

    def json_has(self, column: str, key: str) -> str:
        """SQL predicate: the JSON column has top-level ``key`` (lets PostgreSQL use partial indexes)."""
        return f"{self.json_text(column, key)} IS NOT NULL"


class PostgresSource(Source):
    """Reads through a tenant-scoped SQLAlchemy session (``tenant_session`` or ``read_session``)."""

    dialect = "postgresql"

    def __init__(self, session: Session, *, tenant_id: uuid.UUID | str | None = None) -> None:
        tenant = tenant_id or session.info.get(TENANT_KEY)
        if tenant is None:
            raise ValueError("tenant_id: the session has no tenant (open it with tenant_session)")
        self.session = session
        self.tenant_id = uuid.UUID(str(tenant))
        self._tables: set[str] | None = None
        self._utc_in: Any = None

    def _fetch(self, sql: str, params: dict[str, Any]) -> pl.DataFrame:
        transaction = self.session.get_transaction()
        if transaction is None or transaction is not self._utc_in:  # once per transaction
            self.session.execute(text("SELECT set_config('TimeZone', 'UTC', true)"))
            self._utc_in = self.session.get_transaction()
        result = self.session.execute(text(sql), params)
        names = list(result.keys())
        rows = result.fetchall()
        if not rows:
            return pl.DataFrame({name: [] for name in names})
        return pl.DataFrame([tuple(r) for r in rows], schema=names, orient="row", infer_schema_length=None)

    def has_table(self, name: str) -> bool:
        if self._tables is None:
            found = self.session.execute(
                text(
                    "SELECT c.relname FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace "
                    "AND c.relkind IN ('r', 'p', 'v') AND NOT c.relispartition"
                )
            )
            self._tables = set(found.scalars())
        return name in self._tables

    def json_text(self, column: str, key: str) -> str:
        return f"({column} ->> '{key}')"

    def json_has(self, column: str, key: str) -> str:
        return f"({column} ? '{key}')"


class DuckDBSource(Source):
    """Reads an export (a directory of Parquet files, or its ``.duckdb`` file) or any DuckDB connection
    whose default schema has the platform's table names (e.g. Postgres attached with ``USE``)."""

    dialect = "duckdb"

    def __init__(self, connection: Any, *, tenant_id: uuid.UUID | str | None = None) -> None:
        self.connection = connection
        self.connection.execute("SET TimeZone = 'UTC'")
        tenant = tenant_id or self._only_tenant()
        self.tenant_id = uuid.UUID(str(tenant))

    @classmethod
    def open(cls, path: str | Path, *, tenant_id: uuid.UUID | str | None = None) -> DuckDBSource:
        """An export directory (views over its Parquet files, wherever it now lives) or a DuckDB file."""
        import duckdb

        path = Path(path)
        if path.is_dir():
            manifest = read_manifest(path)
            con = duckdb.connect()
            for table, file_name in manifest["files"].items():
                file_path = (path / file_name).as_posix().replace("'", "''")
                reader = "read_parquet" if file_name.endswith(".parquet") else "read_csv_auto"
                con.execute(f"CREATE VIEW {table} AS SELECT * FROM {reader}('{file_path}')")  # noqa: S608
            return cls(con, tenant_id=tenant_id or manifest.get("tenant_id"))
        if not path.exists():
            raise SourceError(f"no export at {path}")
        return cls(duckdb.connect(str(path), read_only=True), tenant_id=tenant_id)

    def _only_tenant(self) -> str:
        try:
            rows = self.connection.execute("SELECT CAST(id AS VARCHAR) FROM tenants").fetchall()
        except Exception as exc:
            raise SourceError("tenant_id: not given and no tenants table to take it from") from exc
        if len(rows) != 1:
            raise SourceError(f"tenant_id: not given and the source holds {len(rows)} tenants")
        return rows[0][0]

    def _fetch(self, sql: str, params: dict[str, Any]) -> pl.DataFrame:
        translated = _PARAM.sub(r"$\1", sql)
        used = set(_PARAM.findall(sql))
        result = self.connection.execute(translated, {k: v for k, v in params.items() if k in used})
        return result.pl()

    def has_table(self, name: str) -> bool:
        found = self.connection.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ? "
            "AND table_schema = current_schema()",
            [name],
        ).fetchone()
        return bool(found and found[0])

    def json_text(self, column: str, key: str) -> str:
        return f"json_extract_string({column}, '$.{key}')"


def read_manifest(directory: Path) -> dict[str, Any]:
    """The export's manifest, checked: its table names become SQL identifiers and its files are read, so
    a name that is not a plain identifier or a file outside the export is refused (:class:`SourceError`)."""
    manifest = directory / "manifest.json"
    if not manifest.exists():
        raise SourceError(f"{directory} is not an export: manifest.json is missing")
    try:
        content = json.loads(manifest.read_text())
    except ValueError as exc:
        raise SourceError(f"{manifest}: not JSON ({exc})") from None
    files = content.get("files") if isinstance(content, dict) else None
    if not isinstance(files, dict):
        raise SourceError(f"{manifest}: 'files' must map table names to file names")
    for table, file_name in files.items():
        if not _TABLE_NAME.fullmatch(str(table)):
            raise SourceError(f"{manifest}: {table!r} is not a table name (lower-case letters, digits, _)")
        relative = Path(str(file_name))
        if (
            relative.is_absolute()
            or ".." in relative.parts
            or not str(file_name).endswith((".parquet", ".csv"))
        ):
            raise SourceError(f"{manifest}: {file_name!r} is not a .parquet or .csv file inside the export")
    return content


@contextmanager
def open_source(tenant_id: uuid.UUID | str, *, user_id: uuid.UUID | str | None = None) -> Iterator[Source]:
    """A :class:`PostgresSource` on the analytics read path: ``read_session`` (a replica, when the
    platform has one) or else ``tenant_session``."""
    try:
        from platform_core.db.replica import read_session  # type: ignore[import-not-found]
    except ImportError:
        read_session = None
    if read_session is not None:
        with read_session(tenant_id, user_id=user_id) as session:
            yield PostgresSource(session, tenant_id=tenant_id)
        return
    from platform_core.db.session import tenant_session

    with tenant_session(tenant_id, user_id=user_id) as session:
        yield PostgresSource(session, tenant_id=tenant_id)


def utc_now() -> datetime:
    from datetime import UTC

    return datetime.now(UTC)
