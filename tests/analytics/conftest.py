"""Fixtures of the analytics tests: one seeded tenant per server, its roll-ups, and two exports of it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.analytics.dataset import Dataset, build_dataset
from tests.analytics.oracle import Raw


@pytest.fixture(scope="session", autouse=True)
def ilp_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Pseudonym key files and DuckDB extensions go to a private ILP_HOME."""
    from platform_core.settings import reset_settings_cache

    home = tmp_path_factory.mktemp("ilp_home")
    previous = os.environ.get("ILP_HOME")
    os.environ["ILP_HOME"] = str(home)
    reset_settings_cache()
    yield home
    if previous is None:
        os.environ.pop("ILP_HOME", None)
    else:
        os.environ["ILP_HOME"] = previous
    reset_settings_cache()


@dataclass
class Seeded:
    ds: Dataset
    raw: Raw
    export_pii: Path
    export_pseudo: Path


@pytest.fixture(scope="session")
def seeded(database, tmp_path_factory: pytest.TempPathFactory) -> Seeded:
    from platform_core.analytics.export import export_tenant
    from platform_core.analytics.rollups import refresh_rollups
    from platform_core.db.session import tenant_session

    ds = build_dataset(seed=11)
    with tenant_session(ds.tenant_id) as session:
        refresh_rollups(session)
    root = tmp_path_factory.mktemp(f"exports_{database.server}")
    with tenant_session(ds.tenant_id) as session:
        export_tenant(session, root / "pii", pii=True)
    with tenant_session(ds.tenant_id) as session:
        export_tenant(session, root / "pseudo", block_bytes=64 << 10)
    return Seeded(ds, Raw(ds.tenant_id), root / "pii", root / "pseudo")
