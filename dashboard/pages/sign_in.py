"""Sign in with organisation, email and password."""

from __future__ import annotations

import streamlit as st

from dashboard.state import sign_in
from platform_core.tenancy.users import AuthenticationFailed, authenticate

st.title("Interactive Learning Platform")
st.caption("Sign in to your organisation's workbench.")

with st.form("sign_in", border=True):
    organisation = st.text_input(
        "Organisation", value=st.query_params.get("org", ""), placeholder="e.g. demo"
    )
    email = st.text_input("Email", placeholder="you@school.org")
    password = st.text_input("Password", type="password")
    submitted = st.form_submit_button("Sign in", type="primary", use_container_width=True)

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
