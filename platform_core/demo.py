"""The demo tenant and its sign-in credentials (idempotent: running the demo twice changes nothing)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from platform_core.db.session import tenant_session
from platform_core.models import Tenant, User, UserRole
from platform_core.tenancy.tenants import TenantNotFound, create_tenant, tenant_id_for_slug
from platform_core.tenancy.users import create_user

DEMO_TENANT = "demo"


@dataclass(frozen=True)
class DemoAccount:
    role: UserRole
    email: str
    password: str
    name: str


DEMO_ACCOUNTS = (
    DemoAccount(UserRole.ADMIN, "admin@demo.school", "demo-admin-2026", "Ada Admin"),
    DemoAccount(UserRole.TEACHER, "teacher@demo.school", "demo-teacher-2026", "Tom Teacher"),
    DemoAccount(UserRole.RESEARCHER, "researcher@demo.school", "demo-research-2026", "Rita Researcher"),
    DemoAccount(UserRole.STUDENT, "student@demo.school", "demo-student-2026", "Sam Student"),
)


def ensure_demo_tenant() -> Tenant | None:
    """Create the demo tenant and its accounts when missing; returns the tenant if it was created."""
    try:
        tenant_id = tenant_id_for_slug(DEMO_TENANT)
        created = None
    except TenantNotFound:
        created = create_tenant(slug=DEMO_TENANT, name="Demo School")
        tenant_id = created.id
    with tenant_session(tenant_id) as session:
        existing = set(session.scalars(select(func.lower(User.email))))
        for account in DEMO_ACCOUNTS:
            if account.email not in existing:
                create_user(
                    session,
                    email=account.email,
                    display_name=account.name,
                    role=account.role,
                    password=account.password,
                )
    return created
