"""Partition upkeep: ahead of time, idempotent, safe when several schedulers run it at once."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime

import pytest
from typer.testing import CliRunner

from platform_core.cli.main import app
from platform_core.ops.partitions import ensure_partitions, month_range
from platform_core.validation import InvalidInput

FUTURE = datetime(2041, 11, 20, tzinfo=UTC)


def _names(found, year: int) -> set[str]:
    return {p.name for p in found if p.range_start.year == year or p.range_start.year == year + 1}


def test_creates_months_ahead_and_reports_them(database) -> None:
    found = ensure_partitions(months_ahead=3, now=FUTURE)
    expected = {f"{parent}_p{m}" for parent in ("analytics_events", "audit_logs")
                for m in ("2041_11", "2041_12", "2042_01", "2042_02")}  # fmt: skip
    assert expected <= _names(found, 2041)
    assert {p.name for p in found if p.created} == expected
    assert all(p.range_end > p.range_start for p in found)
    again = ensure_partitions(months_ahead=3, now=FUTURE)
    assert not any(p.created for p in again)
    assert expected <= {p.name for p in again}


def test_concurrent_runs_create_each_partition_once(database) -> None:
    errors: list[BaseException] = []
    results: list[list] = []
    moment = datetime(2043, 3, 5, tzinfo=UTC)

    def run() -> None:
        try:
            results.append(ensure_partitions(months_ahead=6, now=moment))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    names = [p.name for p in results[0] if p.range_start.year == 2043]
    assert len(names) == len(set(names)) == 14  # 7 months x 2 tables, no duplicates


def test_rejects_bad_input() -> None:
    with pytest.raises(InvalidInput, match="months_ahead"):
        ensure_partitions(months_ahead=99)
    with pytest.raises(InvalidInput, match="table"):
        ensure_partitions(months_ahead=1, tables=("users",))
    with pytest.raises(ValueError, match="not a monthly partition"):
        month_range("users")
    assert month_range("audit_logs_p2024_12")[2] == datetime(2025, 1, 1, tzinfo=UTC)


def test_cli_reports_json(database) -> None:
    result = CliRunner().invoke(app, ["ops", "partitions", "--ahead", "2", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    now = datetime.now(UTC)
    assert f"analytics_events_p{now:%Y_%m}" in {p["name"] for p in report["partitions"]}
    bad = CliRunner().invoke(app, ["ops", "partitions", "--ahead", "400"])
    assert bad.exit_code != 0
