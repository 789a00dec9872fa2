"""The scratch database every benchmark runs in: migrated, on the configured (or embedded) server, dropped
afterwards, with ``DATABASE_URL`` pointing at it meanwhile."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text

from platform_core.db import migrate
from platform_core.db.engine import dispose_engines
from platform_core.db.runtime import owner_url
from platform_core.settings import reset_settings_cache


@contextmanager
def scratch_database(prefix: str = "ilp_bench") -> Iterator[str]:
    """Yield the URL of a new database ``PREFIX_<random>`` migrated to head; drop it on the way out."""
    server = owner_url()
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    previous = os.environ.get("DATABASE_URL")
    url = server.set(database=name).render_as_string(hide_password=False)
    os.environ["DATABASE_URL"] = url
    dispose_engines()
    reset_settings_cache()
    try:
        migrate.upgrade("heads")
        yield url
    finally:
        dispose_engines()
        if previous is None:
            os.environ.pop("DATABASE_URL", None)
        else:
            os.environ["DATABASE_URL"] = previous
        reset_settings_cache()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
