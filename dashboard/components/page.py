"""The first call of every page: who is signed in, may they be here, and the page's heading."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st
from sqlalchemy.orm import Session

from dashboard.data import Scope, invalidate
from dashboard.registry import spec_for
from dashboard.state import current_user
from platform_core.db.session import tenant_session
from platform_core.tenancy.users import SignedInUser
from platform_core.validation import InvalidInput


def page(file: str, *, caption: str | None = None) -> tuple[SignedInUser, Scope]:
    """Check the signed-in user's role against the page registry (the router already registers only the
    allowed pages; this stops a page that is reached any other way) and draw the title."""
    spec = spec_for(file)
    user = current_user()
    if user is None or user.role not in spec.roles:
        st.error("This page is not available to you.")
        st.stop()
    st.title(spec.title)
    if caption:
        st.caption(caption)
    return user, Scope.of(user)


@contextmanager
def writing(user: SignedInUser, *, success: str | None = None) -> Iterator[Session]:
    """A write as the signed-in user: one transaction, cached reads invalidated after it commits, and
    invalid input shown next to the form instead of as a crash (nothing is half written)."""
    try:
        with tenant_session(user.tenant_id, user_id=user.user_id) as session:
            yield session
    except (InvalidInput, ValueError) as exc:
        st.error(f"Not saved: {exc}")
        st.stop()
    invalidate()
    if success:
        st.toast(success, icon=":material/check_circle:")
