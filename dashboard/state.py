"""The signed-in user, kept in Streamlit's session state."""

from __future__ import annotations

import streamlit as st

from platform_core.tenancy.users import SignedInUser

_KEY = "signed_in_user"


def current_user() -> SignedInUser | None:
    return st.session_state.get(_KEY)


def sign_in(user: SignedInUser) -> None:
    st.session_state[_KEY] = user


def sign_out() -> None:
    st.session_state.pop(_KEY, None)
