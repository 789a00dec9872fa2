"""Engines for the two database roles: the owner (migrations, provisioning) and the application."""

from __future__ import annotations

import threading

from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import URL

from platform_core.db.runtime import app_url, owner_url
from platform_core.settings import get_settings

_engines: dict[tuple[str, int], Engine] = {}
_lock = threading.Lock()


def engine_for(url: URL, *, pool_size: int | None = None) -> Engine:
    """One pooled engine per URL, shared by the whole process."""
    size = pool_size or get_settings().pool_size
    key = (url.render_as_string(hide_password=False), size)
    with _lock:
        engine = _engines.get(key)
        if engine is None:
            engine = create_engine(url, pool_size=size, max_overflow=size, pool_pre_ping=True)
            _engines[key] = engine
        return engine


def owner_engine() -> Engine:
    """Engine connected as the schema owner. Use it for migrations and operator tasks only."""
    return engine_for(owner_url())


def app_engine() -> Engine:
    """Engine connected as ``ilp_app``: Row-Level Security applies to everything it reads or writes."""
    return engine_for(app_url())


def dispose_engines() -> None:
    """Close every pooled connection and forget the engines (after settings change, or at exit)."""
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()
