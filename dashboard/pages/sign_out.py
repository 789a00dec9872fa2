"""Sign out and return to the sign-in page."""

from __future__ import annotations

import streamlit as st

from dashboard.state import sign_out

sign_out()
st.rerun()
