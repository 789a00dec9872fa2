"""Sign-in through the real app script (Streamlit AppTest), against the real database: passwords with
lockout, single sign-on mapped to a user of the tenant, and sign-out, all audited."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from platform_core.audit.log import audit_entries
from platform_core.db.session import tenant_session
from platform_core.tenancy.users import MAX_FAILED_LOGINS, create_user
from tests.factories import new_tenant

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")


@pytest.fixture
def tenant(database):
    tenant = new_tenant("dash")
    with tenant_session(tenant.tenant_id) as s:
        create_user(
            s, email="teacher@dash.test", display_name="Tina Teacher", role="teacher", password="teach-1234"
        )
        create_user(s, email="admin@dash.test", display_name="Ada Admin", role="admin", password="admin-1234")
    return tenant


def _sign_in(at: AppTest, org: str, email: str, password: str) -> AppTest:
    at.text_input[0].input(org)
    at.text_input[1].input(email)
    at.text_input[2].input(password)
    return at.button[0].click().run()


def _actions(tenant) -> list[str]:
    with tenant_session(tenant.tenant_id) as s:
        return audit_entries(s, tables=["users"])["action"].to_list()


def test_signed_out_users_see_only_the_sign_in_page(tenant) -> None:
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.exception
    assert at.title[0].value == "Interactive Learning Platform"
    assert [t.label for t in at.text_input] == ["Organisation", "Email", "Password"]
    assert not [b for b in at.button if "single sign-on" in b.label]  # no [auth] secrets: no SSO button


def test_wrong_password_shows_an_error_and_is_audited(tenant) -> None:
    at = _sign_in(
        AppTest.from_file(APP, default_timeout=30).run(), tenant.slug, "teacher@dash.test", "nope-nope"
    )
    assert not at.exception
    assert "unknown organisation, email or password" in at.error[0].value
    assert "LOGIN_FAILED" in _actions(tenant)


def test_sign_in_opens_the_overview_and_is_audited(tenant) -> None:
    at = _sign_in(
        AppTest.from_file(APP, default_timeout=30).run(), tenant.slug, "teacher@dash.test", "teach-1234"
    )
    assert not at.exception
    assert at.title[0].value == "Overview"
    assert "Welcome, Tina Teacher" in [h.value for h in at.subheader]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Teachers"] == "1"
    assert "LOGIN" in _actions(tenant)


def test_repeated_failures_lock_the_account(tenant) -> None:
    at = AppTest.from_file(APP, default_timeout=30).run()
    for _ in range(MAX_FAILED_LOGINS):
        at = _sign_in(at, tenant.slug, "admin@dash.test", "wrong-wrong")
    at = _sign_in(at, tenant.slug, "admin@dash.test", "admin-1234")  # right password, but locked now
    assert "locked" in at.error[0].value
    assert at.title[0].value == "Interactive Learning Platform"
    assert "LOGIN_LOCKED" in _actions(tenant)


def test_sign_out_returns_to_the_sign_in_page_and_is_audited(tenant) -> None:
    at = _sign_in(
        AppTest.from_file(APP, default_timeout=30).run(), tenant.slug, "teacher@dash.test", "teach-1234"
    )
    at.switch_page("pages/sign_out.py").run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Interactive Learning Platform"
    assert "LOGOUT" in _actions(tenant)


SSO_SECRETS = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "a-long-random-cookie-secret-for-tests",
    "client_id": "workbench",
    "client_secret": "secret",
    "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
}


def _sso_app(email: str | None, organisation: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    at.secrets["auth"] = SSO_SECRETS
    if organisation:
        at.secrets["ilp"] = {"organisation": organisation}
    at.user = {"is_logged_in": email is not None, **({"email": email} if email else {})}
    return at.run()


def test_single_sign_on_button_appears_only_when_auth_is_configured(tenant) -> None:
    at = _sso_app(None)
    assert not at.exception, at.exception
    labels = [b.label for b in at.button]
    assert "Sign in with single sign-on" in labels or any("Authlib" in w.value for w in at.warning)


def test_single_sign_on_maps_the_email_to_a_user_of_the_configured_organisation(tenant) -> None:
    at = _sso_app("TEACHER@dash.test", organisation=tenant.slug)
    assert not at.exception, at.exception
    assert at.title[0].value == "Overview"
    assert "Welcome, Tina Teacher" in [h.value for h in at.subheader]
    with tenant_session(tenant.tenant_id) as s:
        logins = audit_entries(s, actions=["LOGIN"])
    assert logins.height == 1
    assert '"method": "oidc"' in logins["new_data"][0]


def test_single_sign_on_asks_for_the_organisation_when_none_is_configured(tenant) -> None:
    at = _sso_app("teacher@dash.test")
    assert any("teacher@dash.test" in i.value for i in at.info)
    next(t for t in at.text_input if t.label == "Organisation for single sign-on").input(tenant.slug)
    next(b for b in at.button if b.label == "Continue").click().run()
    assert at.title[0].value == "Overview"


def test_single_sign_on_refuses_an_email_that_is_not_a_user(tenant) -> None:
    at = _sso_app("stranger@elsewhere.test", organisation=tenant.slug)
    assert at.title[0].value == "Interactive Learning Platform"
    assert any("not an active user" in e.value for e in at.error)
    assert "LOGIN_FAILED" in _actions(tenant)
