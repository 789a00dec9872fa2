"""DuckDB with the PostgreSQL scanner, offline.

DuckDB would download its ``postgres_scanner`` extension at run time; here it comes from the
``duckdb-extension-postgres`` wheel and is copied once into a private extension directory (under
``ILP_HOME``), where DuckDB finds it with auto-install switched off.
"""

from __future__ import annotations

import functools
import os
import shutil
import tempfile
import uuid
from pathlib import Path

import duckdb
from psycopg.conninfo import make_conninfo
from sqlalchemy.engine import URL

from platform_core.ops.sqlsafe import ident, sql_literal
from platform_core.settings import get_settings

EXTENSION_NAME = "postgres_scanner"


class DuckDBSetupError(RuntimeError):
    """The offline PostgreSQL extension for DuckDB is missing or does not load."""


def _bundled_extension() -> Path:
    try:
        import duckdb_extension_postgres
    except ImportError as exc:  # pragma: no cover - a packaging problem, not a code path
        raise DuckDBSetupError("the duckdb-extension-postgres package is not installed") from exc
    root = Path(duckdb_extension_postgres.__file__).parent / "extensions"
    candidates = sorted(root.glob(f"v{duckdb.__version__}/*.duckdb_extension"))
    if not candidates:
        raise DuckDBSetupError(f"no PostgreSQL extension for DuckDB {duckdb.__version__} under {root}")
    return candidates[0]


@functools.cache
def _platform() -> str:
    with duckdb.connect() as con:
        return con.execute("PRAGMA platform").fetchone()[0]  # type: ignore[index]


def extension_directory(base: Path | None = None) -> Path:
    """The extension directory holding the scanner for this DuckDB version (copied there if needed)."""
    base = base or get_settings().home / "duckdb" / "extensions"
    platform = _platform()
    target = base / f"v{duckdb.__version__}" / platform / f"{EXTENSION_NAME}.duckdb_extension"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".ext-")
        os.close(fd)
        shutil.copyfile(_bundled_extension(), tmp)
        os.replace(tmp, target)  # atomic: concurrent first users never see half a file
    return base


def connect(*, memory_limit: str | None = None, threads: int | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with the PostgreSQL scanner loaded and no progress bar."""
    config: dict[str, str | bool | int] = {
        "extension_directory": str(extension_directory()),
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": False,
    }
    if memory_limit:
        config["memory_limit"] = memory_limit
    if threads:
        config["threads"] = threads
    con = duckdb.connect(config=config)
    try:
        con.execute("SET enable_progress_bar = false")
        con.execute(f"LOAD {EXTENSION_NAME}")
    except duckdb.Error as exc:
        con.close()
        raise DuckDBSetupError(f"could not load the DuckDB PostgreSQL extension: {exc}") from exc
    return con


def libpq_dsn(url: URL, *, settings: dict[str, str] | None = None) -> str:
    """A libpq connection string for a SQLAlchemy URL, with server settings passed as ``options``."""
    params: dict[str, str | int] = {}
    if url.host:
        params["host"] = url.host
    if url.port:
        params["port"] = url.port
    if url.database:
        params["dbname"] = url.database
    if url.username:
        params["user"] = url.username
    if url.password:
        params["password"] = str(url.password)
    for key, value in url.query.items():
        params[key] = value if isinstance(value, str) else value[-1]
    if settings:
        for name, value in settings.items():
            if not name.replace(".", "").replace("_", "").isalnum() or " " in value or "\\" in value:
                raise ValueError(f"server setting {name}={value!r} cannot be passed as a connection option")
        params["options"] = " ".join(f"-c {name}={value}" for name, value in settings.items())
    return make_conninfo(**params)


def attach_postgres(
    con: duckdb.DuckDBPyConnection,
    url: URL,
    *,
    alias: str = "pg",
    tenant_id: uuid.UUID | None = None,
    read_only: bool = True,
    row_security: bool = True,
) -> None:
    """Attach a PostgreSQL database to ``con`` as ``alias``.

    With ``tenant_id`` the scanner's connections carry ``app.tenant_id`` from the start, so the
    application role's Row-Level Security policies see exactly that tenant. ``row_security=False``
    (operator reads of whole tables) makes PostgreSQL raise instead of silently filtering rows.
    """
    settings: dict[str, str] = {}
    if tenant_id is not None:
        settings["app.tenant_id"] = str(uuid.UUID(str(tenant_id)))
    if read_only:
        settings["default_transaction_read_only"] = "on"
    if not row_security:
        settings["row_security"] = "off"
    dsn = libpq_dsn(url, settings=settings)
    if read_only:
        con.execute(f"ATTACH {sql_literal(dsn)} AS {ident(alias)} (TYPE postgres, READ_ONLY)")
    else:
        con.execute(f"ATTACH {sql_literal(dsn)} AS {ident(alias)} (TYPE postgres)")
