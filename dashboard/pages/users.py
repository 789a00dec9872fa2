"""Admin: users of the organisation, their roles and access (every change audited)."""

from __future__ import annotations

import streamlit as st

from dashboard import data
from dashboard.components.page import page, writing
from dashboard.components.tables import table
from platform_core.models import UserRole
from platform_core.tenancy import admin
from platform_core.tenancy.users import create_user

user, scope = page(
    __file__, caption="Roles decide which pages a person sees. Every change is in the audit log."
)

left, right = st.columns([1, 2])
role_filter = left.selectbox(
    "Role", ["", *[r.value for r in UserRole]], format_func=lambda r: r or "All roles"
)
search = right.text_input("Search name or email", placeholder="e.g. smith")
people = data.users(scope, role=role_filter or None, search=search or None)

active, locked = int(people["is_active"].sum()), int(people["locked"].sum())
a, b, c = st.columns(3)
a.metric("Users shown", len(people), border=True)
b.metric("Active", active, border=True)
c.metric("Locked out", locked, border=True)

picked = table(
    people,
    name="users",
    select=True,
    hide=("user_id",),
    column_config={
        "last_login_at": st.column_config.DatetimeColumn("Last login", format="distance"),
        "created_at": st.column_config.DatetimeColumn("Created", format="YYYY-MM-DD"),
    },
)

if picked:
    row = people.row(picked[0], named=True)
    with st.container(border=True):
        st.markdown(f"**{row['display_name']}** · {row['email']}")
        roles = [r.value for r in UserRole]
        col1, col2, col3 = st.columns(3)
        new_role = col1.selectbox("Role", roles, index=roles.index(row["role"]), key="edit_role")
        if col1.button("Change role", disabled=new_role == row["role"]):
            with writing(user, success=f"{row['display_name']} is now {new_role}") as s:
                admin.set_role(s, user_id=data.as_uuid(row["user_id"]), role=new_role)
            st.rerun()
        label = "Deactivate" if row["is_active"] else "Reactivate"
        col2.write("")
        if col2.button(label, disabled=row["user_id"] == str(user.user_id)):
            with writing(user, success=f"{row['display_name']}: {label.lower()}d") as s:
                admin.set_active(s, user_id=data.as_uuid(row["user_id"]), active=not row["is_active"])
            st.rerun()
        new_password = col3.text_input("New password", type="password", key="reset_pw")
        if col3.button("Reset password"):
            with writing(user, success="Password reset; the lockout is lifted") as s:
                admin.reset_password(s, user_id=data.as_uuid(row["user_id"]), new_password=new_password)
            st.rerun()
else:
    st.caption("Select a row to change a role, (de)activate an account or reset a password.")

with st.expander("Add a user", icon=":material/person_add:"), st.form("add_user", clear_on_submit=True):
    name = st.text_input("Name")
    email = st.text_input("Email")
    role = st.selectbox("Role", [r.value for r in UserRole], index=1)
    password = st.text_input("Initial password", type="password")
    if st.form_submit_button("Add user", type="primary"):
        with writing(user, success=f"Added {name}") as s:
            create_user(s, email=email, display_name=name, role=role, password=password or None)
        st.rerun()
