"""The workbench dashboard: a router over one file per page. Pages a role may not see are not registered."""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dashboard.state import current_user
from platform_core.models import UserRole

PAGES = Path(__file__).parent / "pages"


def build_pages(role: UserRole | None) -> dict[str, list[st.Page]]:
    """The navigation for a role: sections of pages. ``None`` (signed out) sees only the sign-in page."""
    if role is None:
        return {
            "": [st.Page(PAGES / "sign_in.py", title="Sign in", icon=":material/login:", url_path="sign-in")]
        }
    return {
        "Workbench": [
            st.Page(PAGES / "overview.py", title="Overview", icon=":material/dashboard:", default=True)
        ],
        "Account": [
            st.Page(PAGES / "sign_out.py", title="Sign out", icon=":material/logout:", url_path="sign-out")
        ],
    }


def main() -> None:
    st.set_page_config(page_title="ILP workbench", page_icon=":material/school:", layout="wide")
    user = current_user()
    navigation = st.navigation(build_pages(user.role if user else None))
    navigation.run()


main()
