"""DuckDB over the live PostgreSQL database, read-only, for one tenant.

DuckDB would download its PostgreSQL scanner at run time; here it comes from the PyPI package
``duckdb-extension-postgres`` (same version as duckdb), copied once into an extension directory under
``ILP_HOME`` as ``v<version>/<platform>/postgres_scanner.duckdb_extension`` and loaded with auto-install
off. The scanner connects as the application role with ``app.tenant_id`` and
``default_transaction_read_only`` set for the whole connection (libpq ``options``), so Row-Level
Security limits it to the tenant and it cannot write. The attached database becomes DuckDB's default,
so the analytics SQL runs on it unchanged::

    with live_source(tenant_id) as src:
        class_overview(src)
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
from psycopg.conninfo import make_conninfo
from sqlalchemy.engine import URL

from platform_core.analytics.sources import DuckDBSource
from platform_core.settings import get_settings

EXTENSION = "postgres_scanner"


class DuckDBPostgresUnavailable(RuntimeError):
    """The offline PostgreSQL extension for DuckDB is missing or does not load."""


def _bundled_extension() -> Path:
    try:
        import duckdb_extension_postgres
    except ImportError as exc:
        raise DuckDBPostgresUnavailable(
            f"install duckdb-extension-postgres=={duckdb.__version__} to read PostgreSQL from DuckDB"
        ) from exc
    root = Path(duckdb_extension_postgres.__file__).parent / "extensions" / f"v{duckdb.__version__}"
    found = sorted(root.glob("*.duckdb_extension"))
    if not found:
        raise DuckDBPostgresUnavailable(f"no PostgreSQL extension for DuckDB {duckdb.__version__} in {root}")
    return found[0]


def extension_directory(base: Path | None = None) -> Path:
    """The extension directory, with the scanner copied in (atomically) on first use."""
    base = base or get_settings().home / "duckdb" / "extensions"
    platform = duckdb.connect().execute("PRAGMA platform").fetchone()[0]  # type: ignore[index]
    target = base / f"v{duckdb.__version__}" / platform / f"{EXTENSION}.duckdb_extension"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".ext-")
        os.close(fd)
        shutil.copyfile(_bundled_extension(), tmp)
        os.replace(tmp, target)
    return base


def connect() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with the PostgreSQL scanner loaded (nothing is downloaded)."""
    con = duckdb.connect(
        config={"extension_directory": str(extension_directory()), "autoinstall_known_extensions": False}
    )
    try:
        con.execute(f"LOAD {EXTENSION}")
    except duckdb.Error as exc:
        con.close()
        raise DuckDBPostgresUnavailable(f"could not load the DuckDB PostgreSQL extension: {exc}") from exc
    return con


def libpq_dsn(url: URL, tenant_id: uuid.UUID) -> str:
    """libpq connection string for ``url`` whose sessions are read-only and scoped to the tenant."""
    params: dict[str, str | int] = {
        "options": f"-c app.tenant_id={tenant_id} -c default_transaction_read_only=on",
    }
    for key, value in (
        ("host", url.host),
        ("port", url.port),
        ("dbname", url.database),
        ("user", url.username),
    ):
        if value:
            params[key] = value
    if url.password:
        params["password"] = str(url.password)
    for key, value in url.query.items():
        params[key] = value if isinstance(value, str) else value[-1]
    return make_conninfo(**params)


def connect_live(
    tenant_id: uuid.UUID | str, *, url: URL | None = None, alias: str = "pg"
) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with the tenant's live database attached read-only as ``alias`` and in use."""
    from platform_core.db.replica import read_url

    if not alias.isidentifier():
        raise ValueError(f"alias: not an identifier: {alias!r}")
    dsn = libpq_dsn(url or read_url(), uuid.UUID(str(tenant_id)))
    con = connect()
    con.execute(f"ATTACH '{dsn.replace(chr(39), chr(39) * 2)}' AS {alias} (TYPE postgres, READ_ONLY)")
    con.execute(f"USE {alias}")
    return con


@contextmanager
def live_source(tenant_id: uuid.UUID | str, *, url: URL | None = None) -> Iterator[DuckDBSource]:
    """A :class:`DuckDBSource` reading the live database (the replica when configured)."""
    con = connect_live(tenant_id, url=url)
    try:
        yield DuckDBSource(con, tenant_id=tenant_id)
    finally:
        con.close()
