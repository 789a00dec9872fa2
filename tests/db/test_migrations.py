"""Migrations round-trip, leave no drift, and `ilp db check` catches what autogenerate cannot see."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from sqlalchemy import text

from platform_core.db import migrate
from platform_core.db.check import run_checks
from platform_core.models import metadata


def _tables(engine) -> set[str]:
    with engine.connect() as conn:
        return set(
            conn.execute(
                text(
                    "SELECT c.relname FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace "
                    "AND c.relkind IN ('r', 'p')"
                )
            ).scalars()
        )


def _failed(results) -> dict[str, list[str]]:
    return {r.name: r.violations for r in results if not r.ok}


def test_upgrade_downgrade_upgrade_round_trips(fresh_database) -> None:
    engine = fresh_database.owner()
    migrate.upgrade("heads")
    assert migrate.current_revision() == migrate.head_revision()
    assert {t.name for t in metadata.sorted_tables} <= _tables(engine)
    assert _failed(run_checks()) == {}

    migrate.downgrade("base")
    assert migrate.current_revision() is None
    assert _tables(engine) <= {"alembic_version"}
    with engine.connect() as conn:
        leftovers = (
            conn.execute(text("SELECT proname FROM pg_proc WHERE proname LIKE 'ilp\\_%'")).scalars().all()
        )
    assert leftovers == []

    migrate.upgrade("heads")
    assert _failed(run_checks()) == {}


@pytest.mark.parametrize(
    ("sabotage", "check", "expected"),
    [
        (
            "ALTER TABLE lessons NO FORCE ROW LEVEL SECURITY",
            "row_level_security",
            "lessons: row-level security is not forced",
        ),
        (
            "ALTER TABLE grades DISABLE ROW LEVEL SECURITY",
            "row_level_security",
            "grades: row-level security is not enabled",
        ),
        (
            "GRANT SELECT ON analytics_events_p{month} TO ilp_app",
            "partitions",
            "ilp_app has SELECT on partition",
        ),
        ("GRANT UPDATE ON audit_logs TO ilp_app", "audit", "ilp_app may UPDATE audit_logs"),
        ("DROP TRIGGER audit_row ON questions", "audit", "questions: no audit trigger"),
        (
            "DROP INDEX idx_milestones_video_timestamp",
            "indexes",
            "index idx_milestones_video_timestamp is missing",
        ),
        ("ALTER TABLE videos ADD COLUMN extra integer", "migrations", "drift"),
        ("ALTER TABLE classes OWNER TO ilp_app", "app_role", "ilp_app owns classes"),
        pytest.param(  # the role is the server's, not the database's
            "ALTER ROLE ilp_app BYPASSRLS", "app_role", "ilp_app has BYPASSRLS", marks=pytest.mark.serial
        ),
        (
            "ALTER TABLE users ADD CONSTRAINT uq_bad UNIQUE (email)",
            "citus_keys",
            "does not lead with tenant_id",
        ),
    ],
)
def test_check_reports_each_broken_invariant(
    fresh_database, sabotage: str, check: str, expected: str
) -> None:
    from datetime import UTC, datetime

    migrate.upgrade("heads")
    engine = fresh_database.owner()
    with engine.begin() as conn:
        conn.execute(text(sabotage.format(month=f"{datetime.now(UTC):%Y_%m}")))
    try:
        failed = _failed(run_checks())
        assert check in failed
        assert set(failed) <= {check, "migrations"}  # a dropped index is also drift
        assert any(expected in violation for violation in failed[check]), failed
    finally:
        if "ROLE" in sabotage:
            with engine.begin() as conn:
                conn.execute(text("ALTER ROLE ilp_app NOBYPASSRLS"))
        if "OWNER" in sabotage:
            with engine.begin() as conn:
                conn.execute(text("ALTER TABLE classes OWNER TO CURRENT_USER"))


def _ilp(*args: str, env_url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": env_url}
    return subprocess.run(
        [sys.executable, "-m", "platform_core.cli.main", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.slow
def test_cli_migrate_check_downgrade(fresh_database) -> None:
    url = fresh_database.url_string
    done = _ilp("db", "migrate", env_url=url)
    assert done.returncode == 0, done.stderr
    checked = _ilp("db", "check", "--json", env_url=url)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    report = json.loads(checked.stdout)
    assert report["ok"] is True and {c["name"] for c in report["checks"]} >= {
        "migrations",
        "row_level_security",
    }

    with fresh_database.owner().begin() as conn:
        conn.execute(text("ALTER TABLE videos NO FORCE ROW LEVEL SECURITY"))
    broken = _ilp("db", "check", env_url=url)
    assert broken.returncode == 1
    assert "videos: row-level security is not forced" in broken.stdout

    down = _ilp("db", "downgrade", "base", env_url=url)
    assert down.returncode == 0, down.stderr
    assert "base" in down.stdout
    assert _ilp("db", "migrate", env_url=url).returncode == 0
