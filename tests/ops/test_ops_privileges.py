"""`ilp db check` least-privilege check: holds on a migrated database, catches each kind of over-grant."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from platform_core.db.check import CHECKS, run_checks
from platform_core.ops.privileges import check_least_privilege


def test_registered_and_clean_after_migration(database) -> None:
    assert "least_privilege" in {name for name, _, _ in CHECKS}
    (result,) = [r for r in run_checks() if r.name == "least_privilege"]
    assert result.violations == []


@pytest.mark.parametrize(
    ("sabotage", "undo", "expected"),
    [
        ("GRANT INSERT ON alert_incidents TO ilp_app", "REVOKE INSERT ON alert_incidents FROM ilp_app",
         "ilp_app may INSERT alert_incidents"),
        ("GRANT UPDATE ON tenant_metrics TO ilp_app", "REVOKE UPDATE ON tenant_metrics FROM ilp_app",
         "ilp_app may UPDATE tenant_metrics"),
        ("GRANT SELECT ON users TO PUBLIC", "REVOKE SELECT ON users FROM PUBLIC",
         "PUBLIC has SELECT on users"),
        ("GRANT CREATE ON SCHEMA ilp_archive TO ilp_app", "REVOKE CREATE ON SCHEMA ilp_archive FROM ilp_app",
         "ilp_app may CREATE in schema ilp_archive"),
        ("CREATE FUNCTION ilp_tmp_definer() RETURNS int LANGUAGE sql SECURITY DEFINER AS 'SELECT 1'",
         "DROP FUNCTION ilp_tmp_definer()", "ilp_tmp_definer() does not pin search_path"),
        ("CREATE FUNCTION ilp_tmp_open() RETURNS int LANGUAGE sql SECURITY DEFINER SET search_path = public "
         "AS 'SELECT 1'", "DROP FUNCTION ilp_tmp_open()", "ilp_tmp_open() is executable by PUBLIC"),
    ],
)  # fmt: skip
def test_each_over_grant_is_reported(database, sabotage: str, undo: str, expected: str) -> None:
    engine = database.owner()
    with engine.begin() as conn:
        conn.execute(text(sabotage))
    try:
        with engine.connect() as conn:
            problems = check_least_privilege(conn, engine)
        assert any(expected in p for p in problems), problems
    finally:
        with engine.begin() as conn:
            conn.execute(text(undo))
    with engine.connect() as conn:
        assert check_least_privilege(conn, engine) == []
