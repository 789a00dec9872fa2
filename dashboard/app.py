"""The workbench dashboard: a router over one file per page. Pages a role may not see are not registered."""

from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import urlparse

import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dashboard.auth import resume_oidc_sign_in
from dashboard.registry import PAGES, SIGN_IN, pages_for
from dashboard.state import current_user
from platform_core.models import UserRole

_AFTER_SIGN_IN = "after_sign_in"
#: Less empty space above the title on a laptop screen; tables and metrics a little denser.
STYLE = """<style>
[data-testid="stMainBlockContainer"] { padding-top: 2.2rem; padding-bottom: 3rem; }
[data-testid="stMetricValue"] { font-size: 1.9rem; }
</style>"""


def build_pages(role: UserRole | None) -> dict[str, list[st.Page]]:
    """The navigation for a role: sections of pages. ``None`` (signed out) sees only the sign-in page,
    which then also answers every page's URL (a deep link shows the sign-in form, not "page not found",
    and opens once the user has signed in, if their role has that page)."""
    sections: dict[str, list[st.Page]] = {}
    for spec in pages_for(role):
        page = st.Page(
            spec.path, title=spec.title, icon=spec.icon, url_path=spec.url_path, default=spec.default
        )
        sections.setdefault(spec.section, []).append(page)
    if role is None:
        sections[""] += [st.Page(SIGN_IN.path, title=SIGN_IN.title, url_path=spec.url_path) for spec in PAGES]
    return sections


def _requested_url_path() -> str | None:
    try:
        url = st.context.url
    except Exception:
        return None
    return urlparse(url).path.rstrip("/").rsplit("/", 1)[-1] if url else None


def _remember_deep_link() -> None:
    """Signed out on a deep link (``/class?class=...``): keep it, to open it once the user has signed in."""
    wanted = _requested_url_path()
    deep = {spec.url_path for spec in PAGES} - {"sign-out", "overview"}
    if wanted in deep and _AFTER_SIGN_IN not in st.session_state:
        st.session_state[_AFTER_SIGN_IN] = (wanted, st.query_params.to_dict())


def _follow_deep_link(role: UserRole) -> None:
    target = st.session_state.pop(_AFTER_SIGN_IN, None)
    if target is None:
        return
    url_path, params = target
    spec = next((s for s in PAGES if s.url_path == url_path), None)
    if spec is None or role not in spec.roles:
        st.toast("That page is not available to you; here is your overview.", icon=":material/block:")
        return
    st.switch_page(spec.path.as_posix(), query_params=params or None)


def main() -> None:
    st.set_page_config(page_title="ILP workbench", page_icon=":material/school:", layout="wide")
    st.html(STYLE)
    user = current_user() or resume_oidc_sign_in()
    navigation = st.navigation(
        build_pages(user.role if user else None), position="sidebar" if user else "hidden", expanded=True
    )
    if user is None:
        _remember_deep_link()
    else:
        _follow_deep_link(user.role)
        with st.sidebar:
            st.caption(
                f":material/account_circle: **{user.display_name}** · {user.role.value} · {user.tenant_slug}"
            )
    navigation.run()


main()
