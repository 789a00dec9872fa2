"""A notebook's parameters turned into a source and a date range.

The notebooks read ``ILP_NB_SOURCE``, ``ILP_NB_TENANT``, ``ILP_NB_START`` and ``ILP_NB_END`` in their
``parameters`` cell and hand them here, so the same notebook runs on the live database (read-only) or on
an export, interactively or headless.
"""

# ruff: noqa: S608 - SQL text is built from constants and column names; values are bound parameters

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import polars as pl
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from platform_core.analytics.scope import TENANT
from platform_core.analytics.sources import DuckDBSource, PostgresSource, Source
from platform_core.validation import InvalidInput

POSTGRES_PREFIXES = ("postgresql://", "postgres://", "postgresql+psycopg://")


class ReadOnlyPostgresSource(PostgresSource):
    """PostgreSQL on the analytics read path, one short READ ONLY transaction per query.

    A notebook stays open for hours; one transaction held that long would pin a connection and hold back
    vacuum, so every query opens :func:`platform_core.db.replica.read_session` (the replica when one is
    configured, else the primary; as the application role under Row-Level Security) and closes it.
    """

    def __init__(self, tenant_id: uuid.UUID | str, *, engine: Engine | None = None) -> None:
        self.tenant_id = uuid.UUID(str(tenant_id))
        self.engine = engine
        self.session = None  # type: ignore[assignment]
        self._tables = None

    @contextmanager
    def _in_session(self) -> Iterator[Session]:
        from platform_core.db.replica import read_session

        with read_session(self.tenant_id, engine=self.engine) as session:
            self.session = session
            try:
                yield session
            finally:
                self.session = None  # type: ignore[assignment]

    def _fetch(self, sql: str, params: dict[str, Any]) -> pl.DataFrame:
        with self._in_session():
            return super()._fetch(sql, params)

    def has_table(self, name: str) -> bool:
        if self._tables is None:
            with self._in_session():
                return super().has_table(name)
        return name in self._tables


def _postgres(source: str, tenant: str | None) -> ReadOnlyPostgresSource:
    from platform_core.db.replica import read_engine
    from platform_core.settings import get_settings
    from platform_core.tenancy.tenants import TenantNotFound, tenant_id_for_slug

    if tenant is None:
        raise InvalidInput("tenant", "name the tenant (slug) to read from PostgreSQL (ILP_NB_TENANT)")
    settings = get_settings()
    if source != "postgres":
        update = {"database_url": source, "app_database_url": None, "database_replica_url": None}
        settings = settings.model_copy(update=update)
    engine = read_engine(settings)
    try:
        tenant_id = uuid.UUID(tenant)
    except ValueError:
        try:
            tenant_id = tenant_id_for_slug(tenant, engine=engine)
        except TenantNotFound as exc:
            raise InvalidInput("tenant", f"no active tenant {tenant!r} in that database") from exc
    return ReadOnlyPostgresSource(tenant_id, engine=engine)


def open_research_source(source: str = "postgres", *, tenant: str | None = None) -> Source:
    """The source a notebook's parameters name.

    ``source``: ``postgres`` (the platform's database: ``DATABASE_URL``, else the embedded server), the
    ``postgresql://`` owner URL of another platform database (both read through the analytics read path,
    READ ONLY), or the folder (or ``.duckdb`` file) written by ``ilp export``. ``tenant``: slug or id;
    required for PostgreSQL, checked against the export's tenant otherwise.
    """
    source = (source or "postgres").strip()
    tenant = (tenant or "").strip() or None
    if source == "postgres" or source.startswith(POSTGRES_PREFIXES):
        return _postgres(source, tenant)
    path = Path(source).expanduser()
    if not path.exists():
        raise InvalidInput("source", f"{source!r} is not 'postgres', a postgresql:// URL or an export folder")
    src = DuckDBSource.open(path)
    if tenant is not None:
        found = src.query(
            f"SELECT CAST(id AS VARCHAR) AS id, slug FROM tenants WHERE id = {TENANT}",
            schema={"id": pl.String, "slug": pl.String},
        )
        if found.height == 0 or tenant not in (found["id"][0], found["slug"][0]):
            raise InvalidInput("tenant", f"the export at {path} does not hold tenant {tenant!r}")
    return src


def source_label(src: Source) -> str:
    """How a notebook names its source in prose."""
    return "PostgreSQL (read-only)" if isinstance(src, PostgresSource) else "DuckDB over an export"


@dataclass(frozen=True)
class DateRange:
    """Inclusive days ``start``..``end`` (either may be open); ``since`` / ``until`` are the UTC instants
    ``[start 00:00, end + 1 day 00:00)`` that metrics take."""

    start: date | None = None
    end: date | None = None

    @property
    def since(self) -> datetime | None:
        return datetime.combine(self.start, time(), UTC) if self.start else None

    @property
    def until(self) -> datetime | None:
        return datetime.combine(self.end + timedelta(days=1), time(), UTC) if self.end else None

    def label(self) -> str:
        return f"{self.start or 'the first record'} to {self.end or 'the latest'}"


def parse_date_range(start: str | None, end: str | None) -> DateRange:
    """The notebook parameters ``ILP_NB_START`` / ``ILP_NB_END`` (``YYYY-MM-DD``; empty = open)."""
    days: list[date | None] = []
    for name, raw in (("ILP_NB_START", start), ("ILP_NB_END", end)):
        try:
            days.append(date.fromisoformat(raw.strip()) if raw and raw.strip() else None)
        except ValueError as exc:
            raise InvalidInput(name, f"{raw!r} is not a date like 2026-01-31") from exc
    if days[0] and days[1] and days[0] > days[1]:
        raise InvalidInput("ILP_NB_END", f"{days[1]} is before ILP_NB_START {days[0]}")
    return DateRange(days[0], days[1])


def time_filter(column: str, since: datetime | None, until: datetime | None) -> str:
    """SQL restricting ``column`` to ``[:since, :until)`` (only the bounds given)."""
    where = f" AND {column} >= CAST(:since AS TIMESTAMPTZ)" if since is not None else ""
    return where + (f" AND {column} < CAST(:until AS TIMESTAMPTZ)" if until is not None else "")


def tenant_timezone(src: Source) -> str:
    """The tenant's configured time zone (``settings.timezone``); UTC when unset or unknown here."""
    raw = src.scalar(f"SELECT CAST(settings AS VARCHAR) FROM tenants WHERE id = {TENANT}")
    name = (json.loads(raw) if raw else {}).get("timezone") or "UTC"
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return "UTC"
    return name
