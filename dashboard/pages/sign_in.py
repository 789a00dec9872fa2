"""Sign in with organisation, email and password, or through the organisation's identity provider."""

from __future__ import annotations

import streamlit as st

from dashboard import auth
from dashboard.state import sign_in
from platform_core.tenancy.users import AuthenticationFailed, authenticate

_, middle, _ = st.columns([1, 1.4, 1])
with middle:
    st.title("Interactive Learning Platform")
    st.caption("Sign in to your organisation's workbench.")

    with st.form("sign_in", border=True):
        organisation = st.text_input(
            "Organisation",
            value=st.query_params.get("org", auth.configured_organisation() or ""),
            placeholder="e.g. demo",
        )
        email = st.text_input("Email", placeholder="you@school.org")
        password = st.text_input("Password", type="password")
        submitted = st.form_submit_button("Sign in", type="primary", width="stretch")

    if submitted:
        if not (organisation and email and password):
            st.error("Organisation, email and password are all required.")
        else:
            try:
                user = authenticate(tenant_slug=organisation.strip(), email=email, password=password)
            except AuthenticationFailed as exc:
                st.error(str(exc))
            else:
                sign_in(user)
                st.rerun()

    if auth.oidc_enabled():
        st.divider()
        email_from_provider = auth.oidc_email()
        if email_from_provider:
            st.info(f"Your identity provider signed you in as **{email_from_provider}**.")
            with st.form("sso_organisation"):
                chosen = st.text_input("Organisation for single sign-on", value=organisation)
                if st.form_submit_button("Continue", width="stretch") and auth.complete_oidc_sign_in(
                    chosen.strip()
                ):
                    st.rerun()
            if message := st.session_state.get(auth.ERROR):
                st.error(message)
        elif not auth.oidc_available():
            st.warning(
                "Single sign-on is configured but Authlib is missing: `pip install 'streamlit[auth]'`."
            )
        else:
            for provider in auth.providers():
                label = f"Sign in with {provider.title()}" if provider else "Sign in with single sign-on"
                if st.button(label, icon=":material/key:", width="stretch", key=f"sso_{provider}"):
                    st.login(provider or None)
