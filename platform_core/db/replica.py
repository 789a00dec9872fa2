"""Read replica: analytics reads go to ``DATABASE_REPLICA_URL`` when it is set; writes never do.

``DATABASE_REPLICA_URL`` names the replica like ``DATABASE_URL`` names the primary (an owner URL). Reads run
on it as the application role, so Row-Level Security applies exactly as on the primary, and every
transaction is READ ONLY (``default_transaction_read_only`` is set when the connection opens, so even a
replica that accepted writes would refuse them from here). Without a replica, :func:`read_session` reads
from the primary, still read-only.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session

from platform_core.db.runtime import _sqlalchemy_url, app_url
from platform_core.db.session import TENANT_KEY, USER_KEY, _as_uuid, _unit_of_work
from platform_core.settings import APP_ROLE, Settings, get_settings

READ_ONLY_OPTIONS = "-c default_transaction_read_only=on"

_engines: dict[str, Engine] = {}
_lock = threading.Lock()


def replica_configured(settings: Settings | None = None) -> bool:
    return bool((settings or get_settings()).database_replica_url)


def replica_owner_url(settings: Settings | None = None) -> URL | None:
    """The replica as configured (used by monitoring for the replication lag), or None."""
    raw = (settings or get_settings()).database_replica_url
    return _sqlalchemy_url(raw) if raw else None


def replica_app_url(settings: Settings | None = None) -> URL | None:
    """The application role on the replica: same host and database, user ``ilp_app``."""
    settings = settings or get_settings()
    url = replica_owner_url(settings)
    if url is None:
        return None
    if url.username == APP_ROLE:
        return url
    password = settings.app_db_password.get_secret_value() if settings.app_db_password else None
    return url.set(username=APP_ROLE, password=password)


def read_url(settings: Settings | None = None) -> URL:
    """Where analytics reads go: the replica's application URL, else the primary's."""
    settings = settings or get_settings()
    return replica_app_url(settings) or app_url(settings)


def read_engine(settings: Settings | None = None) -> Engine:
    """A pooled engine whose every transaction is READ ONLY, on the replica when configured."""
    settings = settings or get_settings()
    url = read_url(settings)
    key = url.render_as_string(hide_password=False)
    with _lock:
        engine = _engines.get(key)
        if engine is None:
            engine = create_engine(
                url,
                pool_size=settings.pool_size,
                max_overflow=settings.pool_size,
                pool_pre_ping=True,
                connect_args={"options": READ_ONLY_OPTIONS},
            )
            _engines[key] = engine
        return engine


def dispose_read_engines() -> None:
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


@contextmanager
def read_session(
    tenant_id: uuid.UUID | str,
    *,
    user_id: uuid.UUID | str | None = None,
    engine: Engine | None = None,
) -> Iterator[Session]:
    """A tenant-scoped, READ ONLY unit of work as the application role, on the replica when one is
    configured (else on the primary). Any write inside it fails with ``read-only transaction``."""
    info = {TENANT_KEY: _as_uuid(tenant_id, "tenant_id")}
    if user_id is not None:
        info[USER_KEY] = _as_uuid(user_id, "user_id")
    with _unit_of_work(Session(engine or read_engine(), info=info, expire_on_commit=False)) as session:
        yield session
