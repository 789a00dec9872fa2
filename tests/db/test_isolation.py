"""Tenant isolation enforced by PostgreSQL itself, checked table by table as the application role."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import Table, delete, func, insert, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from platform_core.db.session import tenant_session, unscoped_session
from platform_core.models import metadata
from tests.factories import TenantData, new_tenant, populate_tenant, shared_price

TENANT_TABLES = sorted(t.name for t in metadata.sorted_tables if "tenant_id" in t.c)


@pytest.fixture(scope="module")
def two_tenants(database) -> tuple[TenantData, TenantData]:
    with Session(database.owner()) as s:
        price = shared_price(s)
    return populate_tenant(new_tenant("a"), price_id=price), populate_tenant(new_tenant("b"), price_id=price)


def owner_count(database, table: Table, tenant_id: uuid.UUID) -> int:
    with database.owner().connect() as conn:
        return conn.execute(
            select(func.count()).select_from(table).where(table.c.tenant_id == tenant_id)
        ).scalar_one()


def test_every_tenant_table_is_populated_for_both_tenants(database, two_tenants) -> None:
    a, b = two_tenants
    empty = [
        t
        for t in TENANT_TABLES
        for tenant in (a, b)
        if owner_count(database, metadata.tables[t], tenant.tenant_id) == 0
    ]
    assert empty == []


@pytest.mark.parametrize("table_name", TENANT_TABLES)
def test_select_sees_only_own_tenant(database, two_tenants, table_name: str) -> None:
    a, b = two_tenants
    table = metadata.tables[table_name]
    with tenant_session(a.tenant_id) as s:
        tenants_seen = set(s.scalars(select(table.c.tenant_id).distinct()))
        explicit_b = s.scalar(select(func.count()).select_from(table).where(table.c.tenant_id == b.tenant_id))
    assert tenants_seen == {a.tenant_id}
    assert explicit_b == 0


@pytest.mark.parametrize("table_name", TENANT_TABLES)
def test_no_tenant_means_no_rows(database, two_tenants, table_name: str) -> None:
    with unscoped_session() as s:
        assert s.scalar(select(func.count()).select_from(metadata.tables[table_name])) == 0


@pytest.mark.parametrize("table_name", TENANT_TABLES)
def test_cannot_insert_into_another_tenant(database, two_tenants, table_name: str) -> None:
    a, b = two_tenants
    table = metadata.tables[table_name]
    with database.owner().connect() as conn:
        row = dict(
            conn.execute(select(table).where(table.c.tenant_id == a.tenant_id).limit(1)).mappings().one()
        )
    for column in table.c:
        if column.computed is not None:
            row.pop(column.name)
    row["tenant_id"] = b.tenant_id
    if "id" in row:
        row["id"] = uuid.uuid4()
    before = owner_count(database, table, b.tenant_id)
    with pytest.raises(DBAPIError) as info, tenant_session(a.tenant_id) as s:
        s.execute(insert(table).values(**row))
    assert "row-level security" in str(info.value) or "permission denied" in str(info.value)
    assert owner_count(database, table, b.tenant_id) == before


@pytest.mark.parametrize("table_name", TENANT_TABLES)
def test_cannot_update_or_delete_another_tenant(database, two_tenants, table_name: str) -> None:
    a, b = two_tenants
    table = metadata.tables[table_name]
    before = owner_count(database, table, b.tenant_id)
    for statement in (
        update(table).where(table.c.tenant_id == b.tenant_id).values(tenant_id=b.tenant_id),
        delete(table).where(table.c.tenant_id == b.tenant_id),
    ):
        try:
            with tenant_session(a.tenant_id) as s:
                assert s.execute(statement).rowcount == 0
        except DBAPIError as exc:  # tables the role may not update/delete at all
            assert "permission denied" in str(exc)
    assert owner_count(database, table, b.tenant_id) == before


@pytest.mark.parametrize("table_name", TENANT_TABLES)
def test_cannot_move_own_rows_to_another_tenant(database, two_tenants, table_name: str) -> None:
    a, b = two_tenants
    table = metadata.tables[table_name]
    with pytest.raises(DBAPIError) as info, tenant_session(a.tenant_id) as s:
        s.execute(update(table).where(table.c.tenant_id == a.tenant_id).values(tenant_id=b.tenant_id))
    message = str(info.value)
    assert "row-level security" in message or "permission denied" in message or "foreign key" in message


@pytest.mark.parametrize("parent", ["analytics_events", "audit_logs"])
def test_partitions_are_not_reachable_directly(database, two_tenants, parent: str) -> None:
    with database.owner().connect() as conn:
        partitions = (
            conn.execute(
                text(
                    "SELECT inhrelid::regclass::text FROM pg_inherits WHERE inhparent = CAST(:p AS regclass)"
                ),
                {"p": parent},
            )
            .scalars()
            .all()
        )
    assert partitions
    a, _ = two_tenants
    for partition in partitions:
        with pytest.raises(DBAPIError, match="permission denied"), tenant_session(a.tenant_id) as s:
            s.execute(text(f"SELECT count(*) FROM {partition}"))


def test_tenants_table_shows_only_the_current_tenant(database, two_tenants) -> None:
    a, b = two_tenants
    tenants = metadata.tables["tenants"]
    with tenant_session(a.tenant_id) as s:
        assert set(s.scalars(select(tenants.c.id))) == {a.tenant_id}
        assert (
            s.execute(update(tenants).where(tenants.c.id == b.tenant_id).values(name="hijacked")).rowcount
            == 0
        )
    with unscoped_session() as s:
        assert s.scalar(select(func.count()).select_from(tenants)) == 0


def test_tenant_setting_does_not_leak_to_the_next_transaction(database, two_tenants) -> None:
    a, _ = two_tenants
    engine = database.app()
    with tenant_session(a.tenant_id, engine=engine) as s:
        assert s.scalar(text("SELECT current_setting('app.tenant_id', true)")) == str(a.tenant_id)
    # The same pooled connection, next transaction, no tenant: nothing is visible.
    with engine.connect() as conn:
        assert conn.execute(text("SELECT current_setting('app.tenant_id', true)")).scalar() in (None, "")
        assert conn.execute(text("SELECT count(*) FROM users")).scalar() == 0


def test_application_role_is_not_privileged(database) -> None:
    with database.app().connect() as conn:
        row = conn.execute(
            text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
        ).one()
        assert conn.execute(text("SELECT current_user")).scalar() == "ilp_app"
    assert tuple(row) == (False, False)
