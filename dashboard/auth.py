"""Optional single sign-on through ``st.login`` (OpenID Connect).

Enabled only when ``.streamlit/secrets.toml`` has an ``[auth]`` section. The provider proves the email;
``platform_core.tenancy.external.authenticate_external`` maps it to a user of the organisation, which comes
from ``[ilp] organisation`` in the secrets or, failing that, from the sign-in page.
"""

from __future__ import annotations

import importlib.util
from typing import Any

import streamlit as st

from dashboard.state import sign_in
from platform_core.tenancy.external import authenticate_external
from platform_core.tenancy.users import AuthenticationFailed, SignedInUser

_TRIED = "oidc_tried"
ERROR = "oidc_error"


def _secrets_section(name: str) -> dict[str, Any] | None:
    try:
        section = st.secrets.get(name)
    except Exception:  # no secrets file at all
        return None
    return dict(section) if section is not None else None


def oidc_enabled() -> bool:
    return _secrets_section("auth") is not None


def oidc_available() -> bool:
    """``st.login`` needs Authlib; without it the button explains what to install instead of failing."""
    return importlib.util.find_spec("authlib") is not None


def providers() -> list[str]:
    """Named providers (``[auth.google]``...) or ``[""]`` for a single unnamed one."""
    auth = _secrets_section("auth") or {}
    named = [key for key, value in auth.items() if isinstance(value, dict)]
    return named or [""]


def configured_organisation() -> str | None:
    return (_secrets_section("ilp") or {}).get("organisation")


def oidc_email() -> str | None:
    if not oidc_enabled():
        return None
    try:
        if not st.user.get("is_logged_in"):
            return None
        return st.user.get("email")
    except Exception:
        return None


def complete_oidc_sign_in(organisation: str) -> SignedInUser | None:
    """Map the provider's email to a user of ``organisation``; on failure keep the reason for the page."""
    email = oidc_email()
    if not email:
        return None
    provider = providers()[0] or "oidc"
    try:
        user = authenticate_external(tenant_slug=organisation, email=email, provider=provider)
    except AuthenticationFailed as exc:
        st.session_state[ERROR] = str(exc)
        return None
    st.session_state.pop(ERROR, None)
    sign_in(user)
    return user


def resume_oidc_sign_in() -> SignedInUser | None:
    """After the provider redirects back, sign the user in once (a failure is not retried every rerun)."""
    email = oidc_email()
    organisation = configured_organisation()
    if not email or not organisation or st.session_state.get(_TRIED) == email:
        return None
    st.session_state[_TRIED] = email
    return complete_oidc_sign_in(organisation)
