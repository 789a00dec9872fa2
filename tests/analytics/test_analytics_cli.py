"""`ilp export` and `ilp analytics refresh`, through the real command-line app (in process: starting the
whole CLI in a subprocess costs seconds of imports per call)."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from click.testing import Result
from typer.testing import CliRunner

from tests.analytics.tiny import Tiny, build_tiny


def ilp(*args: str) -> Result:
    from platform_core.cli.main import app

    return CliRunner().invoke(app, list(args))


@pytest.mark.slow
def test_refresh_then_export(database, tmp_path: Path) -> None:
    tiny: Tiny = build_tiny()
    refreshed = ilp("analytics", "refresh", "--tenant", tiny.slug, "--json")
    assert refreshed.exit_code == 0, refreshed.output
    figures = json.loads(refreshed.stdout)
    assert (figures["events"], figures["attempts"], figures["batches"]) == (11, 9, 1)

    out = tmp_path / "export"
    exported = ilp("export", "--tenant", tiny.slug, "--out", str(out), "--json")
    assert exported.exit_code == 0, exported.output
    report = json.loads(exported.stdout)
    assert report["pseudonymised"] is True and report["rows"]["analytics_events"] == 11
    assert report["rows"]["analytics_daily_video_activity"] == 6  # the playback day + attempt days
    assert (out / "export.duckdb").exists() and (out / "manifest.json").exists()
    emails = pl.read_parquet(out / "users.parquet").columns
    assert "email" not in emails

    shown = ilp("export", "--tenant", tiny.slug, "--out", str(tmp_path / "pii"), "--pii")
    assert shown.exit_code == 0, shown.output
    assert "with PII" in shown.stdout and "analytics_events" in shown.stdout
    assert "s1@" in "".join(pl.read_parquet(tmp_path / "pii" / "users.parquet")["email"])


def test_clear_errors(database, tmp_path: Path) -> None:
    missing = ilp("analytics", "refresh", "--tenant", "no-such-tenant")
    assert missing.exit_code == 1 and "no active tenant 'no-such-tenant'" in missing.output
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    tiny = build_tiny()
    busy = ilp("export", "--tenant", tiny.slug, "--out", str(tmp_path / "full"))
    assert busy.exit_code == 1 and "not empty" in busy.output
    bad = ilp("export", "--tenant", tiny.slug, "--out", str(tmp_path / "y"), "--format", "csv")
    assert bad.exit_code == 1 and "format" in bad.output
