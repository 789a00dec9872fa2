"""Audit triggers record who changed what; the application role cannot rewrite history."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from platform_core.audit import AuditAction, record_event
from platform_core.db.session import tenant_session, unscoped_session
from platform_core.models import AuditLog, Lesson
from platform_core.tenancy.users import create_user
from tests.factories import new_tenant


@pytest.fixture
def tenant(database):
    return new_tenant("audit")


def _audit_rows(tenant_id, table: str, record_id: str) -> list[AuditLog]:
    with tenant_session(tenant_id) as s:
        return list(
            s.scalars(
                select(AuditLog)
                .where(AuditLog.table_name == table, AuditLog.record_id == record_id)
                .order_by(AuditLog.occurred_at, AuditLog.action.desc())
            )
        )


def test_insert_update_delete_are_recorded_with_actor_and_changes(tenant) -> None:
    with tenant_session(tenant.tenant_id) as s:
        teacher = create_user(s, email="t@x.test", display_name="T", role="teacher", password="long-password")
    with tenant_session(tenant.tenant_id, user_id=teacher.id) as s:
        lesson = Lesson(tenant_id=tenant.tenant_id, title="Forces", created_by=teacher.id)
        s.add(lesson)
    with tenant_session(tenant.tenant_id, user_id=teacher.id) as s:
        s.get(Lesson, (tenant.tenant_id, lesson.id)).title = "Forces and motion"
    with tenant_session(tenant.tenant_id, user_id=teacher.id) as s:
        s.delete(s.get(Lesson, (tenant.tenant_id, lesson.id)))

    rows = _audit_rows(tenant.tenant_id, "lessons", str(lesson.id))
    assert [r.action for r in rows] == ["INSERT", "UPDATE", "DELETE"]
    assert all(r.actor_id == teacher.id for r in rows)
    insert, change, removal = rows
    assert insert.old_data is None and insert.new_data["title"] == "Forces"
    assert change.changed_fields == ["title"]
    assert change.old_data["title"] == "Forces" and change.new_data["title"] == "Forces and motion"
    assert removal.new_data is None and removal.old_data["title"] == "Forces and motion"
    assert "search" not in insert.new_data


def test_secrets_are_redacted(tenant) -> None:
    with tenant_session(tenant.tenant_id) as s:
        user = create_user(
            s, email="r@x.test", display_name="R", role="admin", password="correct-horse-battery"
        )
        stored_hash = user.password_hash
    (row,) = _audit_rows(tenant.tenant_id, "users", str(user.id))
    assert row.new_data["password_hash"] == "[redacted]"
    assert stored_hash not in str(row.new_data)


def test_composite_keys_identify_the_record(database) -> None:
    from tests.factories import populate_tenant

    data = populate_tenant(new_tenant("keys"))
    with tenant_session(data.tenant_id) as s:
        record_ids = s.scalars(select(AuditLog.record_id).where(AuditLog.table_name == "enrollments")).all()
    assert record_ids == [f"{data.ids['klass']}:{data.ids['student']}"]


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_logs SET action = 'FORGED'",
        "DELETE FROM audit_logs",
        "TRUNCATE audit_logs",
        "INSERT INTO audit_logs (tenant_id, action) VALUES (CAST(:tenant AS uuid), 'FORGED')",
    ],
)
def test_application_role_cannot_change_audit_rows(tenant, statement: str) -> None:
    with tenant_session(tenant.tenant_id) as s:
        record_event(s, AuditAction.ADMIN_ACTION, details={"x": 1})
    with pytest.raises(DBAPIError, match="permission denied"), tenant_session(tenant.tenant_id) as s:
        s.execute(text(statement), {"tenant": str(tenant.tenant_id)})
    with tenant_session(tenant.tenant_id) as s:
        actions = s.scalars(select(AuditLog.action)).all()
    assert "ADMIN_ACTION" in actions and "FORGED" not in actions


def test_application_events_need_a_tenant_and_a_valid_action(tenant) -> None:
    with pytest.raises(DBAPIError, match="needs a tenant"), unscoped_session() as s:
        record_event(s, AuditAction.LOGIN)
    with pytest.raises(DBAPIError, match="invalid audit action"), tenant_session(tenant.tenant_id) as s:
        s.execute(text("SELECT ilp_audit_event('DELETE', 'users', NULL, '{}'::jsonb)"))


def test_no_op_updates_are_not_recorded(tenant) -> None:
    with tenant_session(tenant.tenant_id) as s:
        lesson = Lesson(tenant_id=tenant.tenant_id, title="Same")
        s.add(lesson)
    with tenant_session(tenant.tenant_id) as s:
        s.execute(text("UPDATE lessons SET title = title, updated_at = now()"))
    assert [r.action for r in _audit_rows(tenant.tenant_id, "lessons", str(lesson.id))] == ["INSERT"]
