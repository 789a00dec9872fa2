"""Landing page: who you are, what your organisation holds, and where to go next."""

from __future__ import annotations

import streamlit as st

from dashboard import data
from dashboard.components.page import page
from dashboard.registry import pages_for
from platform_core.models import UserRole

user, scope = page(__file__)
st.subheader(f"Welcome, {user.display_name}")
st.caption(f"{user.role.value.title()} · organisation **{user.tenant_slug}**")

if user.role is UserRole.STUDENT:
    st.info(
        "The workbench is for teachers, researchers and admins. Your lessons open in the learning player."
    )
    st.stop()

counts = data.counts(scope)
for column, (name, value) in zip(st.columns(len(counts)), counts.items(), strict=True):
    column.metric(name.title(), f"{value:,}", border=True)

st.subheader("Go to")
sections: dict[str, list] = {}
for spec in pages_for(user.role):
    if spec.section not in ("Workbench", "Account"):
        sections.setdefault(spec.section, []).append(spec)
for column, (section, specs) in zip(st.columns(max(len(sections), 1)), sections.items(), strict=False):
    with column.container(border=True):
        st.markdown(f"**{section}**")
        for spec in specs:
            st.page_link(spec.path.as_posix(), label=spec.title, icon=spec.icon)
