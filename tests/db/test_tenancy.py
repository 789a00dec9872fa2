"""Tenants, users and password sign-in with lockout, each outcome audited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from platform_core.db.session import tenant_session
from platform_core.models import AuditLog, User
from platform_core.tenancy.tenants import TenantNotFound, create_tenant, tenant_id_for_slug
from platform_core.tenancy.users import MAX_FAILED_LOGINS, AuthenticationFailed, authenticate, create_user
from platform_core.validation import InvalidInput
from tests.factories import new_tenant


@pytest.fixture
def school(database):
    tenant = new_tenant("school")
    with tenant_session(tenant.tenant_id) as s:
        create_user(
            s, email="Teacher@School.test", display_name="Tea", role="teacher", password="right-password"
        )
    return tenant


def _actions(tenant_id) -> list[str]:
    with tenant_session(tenant_id) as s:
        return list(
            s.scalars(
                select(AuditLog.action)
                .where(AuditLog.table_name == "users", AuditLog.action.like("LOGIN%"))
                .order_by(AuditLog.occurred_at)
            )
        )


@pytest.mark.parametrize(
    ("slug", "name", "field"),
    [("Bad Slug", "x", "slug"), ("-lead", "x", "slug"), ("ok", "  ", "name")],
)
def test_create_tenant_validates(database, slug: str, name: str, field: str) -> None:
    with pytest.raises(InvalidInput) as info:
        create_tenant(slug=slug, name=name)
    assert info.value.field == field


def test_duplicate_slug_is_a_clear_error(school) -> None:
    with pytest.raises(InvalidInput, match="already exists"):
        create_tenant(slug=school.slug, name="Again")


def test_unknown_tenant(database) -> None:
    with pytest.raises(TenantNotFound):
        tenant_id_for_slug("no-such-school")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"role": "principal"}, "role"),
        ({"display_name": " "}, "display_name"),
        ({"preferences": {"theme": "neon"}}, "preferences.theme"),
        ({"password": "short"}, "password"),
    ],
)
def test_create_user_validates(school, kwargs: dict, field: str) -> None:
    values = {"email": "new@school.test", "display_name": "New", "role": "student"} | kwargs
    with pytest.raises(ValueError) as info, tenant_session(school.tenant_id) as s:
        create_user(s, **values)
    assert str(info.value).startswith(field)


def test_duplicate_email_is_case_insensitive(school) -> None:
    with pytest.raises(InvalidInput, match="already a user"), tenant_session(school.tenant_id) as s:
        create_user(s, email="teacher@school.TEST", display_name="Dup", role="teacher")


def test_sign_in_succeeds_and_is_audited(school) -> None:
    user = authenticate(tenant_slug=school.slug, email="teacher@school.test", password="right-password")
    assert user.role == "teacher" and user.tenant_id == school.tenant_id
    assert _actions(school.tenant_id) == ["LOGIN"]


def test_wrong_password_then_lockout(school) -> None:
    now = datetime.now(UTC)
    for _ in range(MAX_FAILED_LOGINS):
        with pytest.raises(AuthenticationFailed, match="unknown organisation, email or password"):
            authenticate(tenant_slug=school.slug, email="teacher@school.test", password="wrong", now=now)
    with pytest.raises(AuthenticationFailed, match="locked"):
        authenticate(tenant_slug=school.slug, email="teacher@school.test", password="right-password", now=now)
    assert _actions(school.tenant_id) == ["LOGIN_FAILED"] * MAX_FAILED_LOGINS + ["LOGIN_LOCKED"]
    later = now + timedelta(minutes=16)
    assert authenticate(
        tenant_slug=school.slug, email="teacher@school.test", password="right-password", now=later
    )
    with tenant_session(school.tenant_id) as s:
        user = s.scalar(select(User))
        assert user.failed_logins == 0 and user.locked_until is None


def test_unknown_user_and_unknown_tenant_fail_alike(school) -> None:
    with pytest.raises(AuthenticationFailed, match="unknown organisation, email or password"):
        authenticate(tenant_slug=school.slug, email="nobody@school.test", password="x")
    with pytest.raises(AuthenticationFailed, match="unknown organisation, email or password"):
        authenticate(tenant_slug="nowhere", email="teacher@school.test", password="right-password")
