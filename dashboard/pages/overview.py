"""Landing page: who you are and what your organisation holds."""

from __future__ import annotations

import streamlit as st

from dashboard.state import current_user
from platform_core.db.session import tenant_session
from platform_core.tenancy.summary import tenant_counts

user = current_user()
assert user is not None  # the router registers this page only for signed-in users

st.title(f"Welcome, {user.display_name}")
st.caption(f"{user.role.value.title()} · organisation **{user.tenant_slug}**")

with tenant_session(user.tenant_id, user_id=user.user_id) as session:
    counts = tenant_counts(session)

columns = st.columns(len(counts))
for column, (name, value) in zip(columns, counts.items(), strict=True):
    column.metric(name.title(), f"{value:,}")
