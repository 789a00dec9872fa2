"""The signed-in user, kept in Streamlit's session state."""

from __future__ import annotations

import contextlib

import streamlit as st

from platform_core.audit import AuditAction, record_event
from platform_core.db.session import tenant_session
from platform_core.tenancy.users import SignedInUser

_KEY = "signed_in_user"


def current_user() -> SignedInUser | None:
    return st.session_state.get(_KEY)


def sign_in(user: SignedInUser) -> None:
    st.session_state[_KEY] = user


def sign_out() -> None:
    """Forget the user (and everything the session remembered for them); the sign-out is audited."""
    user = st.session_state.get(_KEY)
    if user is not None:
        with contextlib.suppress(Exception), tenant_session(user.tenant_id, user_id=user.user_id) as session:
            record_event(session, AuditAction.LOGOUT, table_name="users", record_id=str(user.user_id))
    for key in list(st.session_state.keys()):
        del st.session_state[key]
