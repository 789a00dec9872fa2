"""Sign-in through the real app script (Streamlit AppTest), against the real database."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from platform_core.db.session import tenant_session
from platform_core.tenancy.users import create_user
from tests.factories import new_tenant

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")


@pytest.fixture
def school(database):
    tenant = new_tenant("dash")
    with tenant_session(tenant.tenant_id) as s:
        create_user(s, email="teacher@dash.test", display_name="Tina Teacher", role="teacher", password="teach-1234")
    return tenant


def _sign_in(at: AppTest, org: str, email: str, password: str) -> AppTest:
    at.text_input[0].input(org)
    at.text_input[1].input(email)
    at.text_input[2].input(password)
    return at.button[0].click().run()


def test_signed_out_users_see_only_the_sign_in_page(school) -> None:
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.exception
    assert at.title[0].value == "Interactive Learning Platform"
    assert [t.label for t in at.text_input] == ["Organisation", "Email", "Password"]


def test_wrong_password_shows_an_error(school) -> None:
    at = _sign_in(AppTest.from_file(APP, default_timeout=30).run(), school.slug, "teacher@dash.test", "nope-nope")
    assert not at.exception
    assert "unknown organisation, email or password" in at.error[0].value


def test_sign_in_opens_the_overview(school) -> None:
    at = _sign_in(AppTest.from_file(APP, default_timeout=30).run(), school.slug, "teacher@dash.test", "teach-1234")
    assert not at.exception
    assert at.title[0].value == "Welcome, Tina Teacher"
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Teachers"] == "1"
