"""User administration and the audit log reader."""

from __future__ import annotations

import pytest

from platform_core.audit.log import audit_entries, audit_facets
from platform_core.db.session import tenant_session
from platform_core.models import UserRole
from platform_core.tenancy.admin import list_users, reset_password, set_active, set_role
from platform_core.tenancy.users import AuthenticationFailed, authenticate, create_user
from platform_core.validation import InvalidInput
from tests.factories import new_tenant


@pytest.fixture
def org(database):
    tenant = new_tenant("adm")
    with tenant_session(tenant.tenant_id) as s:
        admin = create_user(
            s, email="admin@adm.test", display_name="Ada", role="admin", password="admin-pass-1"
        )
        teacher = create_user(
            s, email="teach@adm.test", display_name="Ted", role="teacher", password="teach-pass-1"
        )
    tenant.ids.update(admin=admin.id, teacher=teacher.id)
    return tenant


def test_list_users_filters_by_role_and_text(org) -> None:
    with tenant_session(org.tenant_id) as s:
        everyone = list_users(s)
        teachers = list_users(s, role=UserRole.TEACHER)
        found = list_users(s, search="ADA")
    assert everyone["display_name"].to_list() == ["Ada", "Ted"]
    assert teachers["email"].to_list() == ["teach@adm.test"]
    assert found["role"].to_list() == ["admin"]


def test_role_change_is_audited_with_the_acting_admin(org) -> None:
    with tenant_session(org.tenant_id, user_id=org.ids["admin"]) as s:
        set_role(s, user_id=org.ids["teacher"], role="researcher")
    with tenant_session(org.tenant_id) as s:
        log = audit_entries(s, tables=["users"], record_id=str(org.ids["teacher"]))
        facets = audit_facets(s)
    admin_rows = log.filter(log["action"] == "ADMIN_ACTION")
    assert admin_rows["actor"].to_list() == ["Ada"]
    assert '"to": "researcher"' in admin_rows["new_data"][0]
    update = log.filter(log["action"] == "UPDATE")
    assert update["changed_fields"].to_list() == [["role"]]
    assert {"ADMIN_ACTION", "INSERT", "UPDATE"} <= set(facets["actions"]) and "users" in facets["tables"]


def test_last_admin_cannot_be_demoted_or_deactivated(org) -> None:
    with pytest.raises(InvalidInput, match="at least one active admin"), tenant_session(org.tenant_id) as s:
        set_role(s, user_id=org.ids["admin"], role="teacher")
    with pytest.raises(InvalidInput, match="at least one active admin"), tenant_session(org.tenant_id) as s:
        set_active(s, user_id=org.ids["admin"], active=False)


def test_deactivated_users_cannot_sign_in_and_reset_password_works(org) -> None:
    with tenant_session(org.tenant_id) as s:
        set_active(s, user_id=org.ids["teacher"], active=False)
    with pytest.raises(AuthenticationFailed):
        authenticate(tenant_slug=org.slug, email="teach@adm.test", password="teach-pass-1")
    with tenant_session(org.tenant_id) as s:
        set_active(s, user_id=org.ids["teacher"], active=True)
        reset_password(s, user_id=org.ids["teacher"], new_password="brand-new-pass")
    assert authenticate(tenant_slug=org.slug, email="teach@adm.test", password="brand-new-pass")
    with pytest.raises(InvalidInput, match="new_password"), tenant_session(org.tenant_id) as s:
        reset_password(s, user_id=org.ids["teacher"], new_password="short")


def test_audit_entries_validates_limit(org) -> None:
    with pytest.raises(ValueError, match="limit"), tenant_session(org.tenant_id) as s:
        audit_entries(s, limit=0)
