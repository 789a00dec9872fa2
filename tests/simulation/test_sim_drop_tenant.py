"""``--replace`` drops a seeded tenant: every row of it goes, nothing of another tenant, auditing stays on;
and a seed that fails half-way drops what it had written."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from platform_core.db.engine import owner_engine
from platform_core.simulation import seed as seed_module
from platform_core.simulation.seed import drop_tenant
from platform_core.tenancy.tenants import list_tenants
from tests.factories import new_tenant, populate_tenant

TENANT_TABLES = text(
    """
    SELECT c.relname FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
    WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition
    ORDER BY c.relname
    """
)


def _rows_by_table(tenant_id) -> dict[str, int]:
    with owner_engine().begin() as conn:
        conn.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(tenant_id)})
        tables = list(conn.execute(TENANT_TABLES).scalars())
        return {
            table: conn.execute(
                text(f'SELECT count(*) FROM "{table}" WHERE tenant_id = :t'), {"t": tenant_id}
            ).scalar()
            for table in tables
        }


def test_drop_tenant_removes_everything_of_that_tenant_only(database) -> None:
    doomed, kept = populate_tenant(new_tenant("doomed")), populate_tenant(new_tenant("kept"))
    before = _rows_by_table(doomed.tenant_id)
    assert before["analytics_events"] and before["question_attempts"] and before["audit_logs"]
    kept_before = _rows_by_table(kept.tenant_id)

    drop_tenant(doomed.tenant_id)

    assert {table: n for table, n in _rows_by_table(doomed.tenant_id).items() if n} == {}
    assert _rows_by_table(kept.tenant_id) == kept_before
    with owner_engine().connect() as conn:
        assert (
            conn.execute(text("SELECT count(*) FROM tenants WHERE id = :t"), {"t": doomed.tenant_id}).scalar()
            == 0
        )
        states = set(
            conn.execute(text("SELECT tgenabled FROM pg_trigger WHERE tgname = 'audit_row'")).scalars()
        )
    assert states == {"O"}, "audit triggers are enabled again"


def test_a_failed_seed_leaves_no_tenant_behind(database, monkeypatch) -> None:
    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(seed_module, "write_classes", broken)
    options = seed_module.SeedOptions(scale="small", seed=99, prefix="broken")
    with pytest.raises(RuntimeError, match="disk full"):
        seed_module.run_seed(options)
    assert not [t for t in list_tenants() if t.slug.startswith("broken-")]
