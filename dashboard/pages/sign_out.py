"""Sign out (audited) and return to the sign-in page."""

from __future__ import annotations

import streamlit as st

from dashboard import auth
from dashboard.state import sign_out

from_provider = auth.oidc_email() is not None
sign_out()
if from_provider:
    st.logout()
st.rerun()
