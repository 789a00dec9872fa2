"""Opening an export folder: its manifest's table names become view names and its files are read, so both
are checked before any SQL is written."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import polars as pl
import pytest

from platform_core.analytics.sources import DuckDBSource, SourceError


def export_folder(tmp_path: Path, files: object) -> Path:
    pl.DataFrame({"id": [1, 2]}).write_parquet(tmp_path / "videos.parquet")
    (tmp_path / "manifest.json").write_text(json.dumps({"files": files}))
    return tmp_path


def test_a_checked_manifest_opens_as_views(tmp_path: Path) -> None:
    source = DuckDBSource.open(export_folder(tmp_path, {"videos": "videos.parquet"}), tenant_id=uuid.uuid4())
    assert source.connection.execute("SELECT sum(id) FROM videos").fetchone() == (3,)


@pytest.mark.parametrize(
    ("files", "complaint"),
    [
        ({"videos AS SELECT 1; DROP TABLE x; --": "videos.parquet"}, "is not a table name"),
        ({"Videos": "videos.parquet"}, "is not a table name"),
        ({"videos": "../elsewhere/videos.parquet"}, "inside the export"),
        ({"videos": "/etc/passwd.csv"}, "inside the export"),
        ({"videos": "videos.json"}, "inside the export"),
        (["videos.parquet"], "'files' must map"),
    ],
)
def test_a_manifest_naming_anything_else_is_refused(tmp_path: Path, files: object, complaint: str) -> None:
    with pytest.raises(SourceError, match=complaint):
        DuckDBSource.open(export_folder(tmp_path, files), tenant_id=uuid.uuid4())


def test_a_manifest_that_is_not_json_is_refused(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text("{not json")
    with pytest.raises(SourceError, match="not JSON"):
        DuckDBSource.open(tmp_path, tenant_id=uuid.uuid4())
