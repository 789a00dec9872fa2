"""Fixtures for the dashboard tests: a tenant with one user of every role, and AppTest helpers."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from platform_core.db.session import tenant_session
from platform_core.demo import DEMO_ACCOUNTS, DEMO_TENANT, DemoAccount, ensure_demo_tenant
from platform_core.models import Question, UserRole
from platform_core.tenancy.tenants import tenant_id_for_slug
from platform_core.tenancy.users import SignedInUser, create_user
from tests.factories import TenantData, new_tenant, populate_tenant

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")
PASSWORD = "dash-pass-2026"


@dataclass
class School:
    tenant: TenantData
    users: dict[UserRole, SignedInUser]


@pytest.fixture(scope="session")
def school(database) -> School:
    """One populated tenant (a row in every table) with a signed-in user of each role."""
    tenant = populate_tenant(new_tenant("dash"))
    users: dict[UserRole, SignedInUser] = {}
    with tenant_session(tenant.tenant_id) as s:
        for role in UserRole:
            u = create_user(
                s,
                email=f"{role.value}@dash.test",
                display_name=f"{role.value.title()} Person",
                role=role,
                password=PASSWORD,
            )
            users[role] = SignedInUser(tenant.tenant_id, tenant.slug, u.id, u.email, u.display_name, role)
    return School(tenant, users)


def app_as(user: SignedInUser | None, *, timeout: float = 60) -> AppTest:
    """The app with ``user`` already signed in (as the sign-in page would leave it), after one run."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    if user is not None:
        at.session_state["signed_in_user"] = user
    return at.run()


@dataclass
class DemoSite:
    tenant_id: uuid.UUID
    accounts: dict[UserRole, DemoAccount]
    generated_question_ids: list[uuid.UUID]


@pytest.fixture(scope="session")
def demo_data(database) -> DemoSite:
    """The demo tenant as `ilp demo` leaves it, with its roll-ups refreshed, a monitoring snapshot, and AI
    questions (from the offline writer) waiting for review."""
    ensure_demo_tenant()
    tenant_id = tenant_id_for_slug(DEMO_TENANT)
    with tenant_session(tenant_id) as s:
        generated = s.scalars(
            select(Question.id).where(Question.source == "ai", Question.status == "pending_review")
        ).all()
    assert generated, "the demo tenant should hold AI questions waiting for review"
    return DemoSite(tenant_id, {a.role: a for a in DEMO_ACCOUNTS}, list(generated))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    """Remember each phase's report on the test item, so fixtures can tell whether the test failed."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    setattr(item, f"report_{report.when}", report)
