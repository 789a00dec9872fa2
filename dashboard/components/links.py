"""Links between pages that carry the filters along (deep links), shown only when the target page is
registered for the signed-in role."""

from __future__ import annotations

from typing import Any

import streamlit as st

from dashboard.registry import spec_for
from dashboard.state import current_user


def link_to(
    file: str, label: str, *, icon: str | None = None, container: Any = st, **params: str | None
) -> None:
    spec = spec_for(file)
    user = current_user()
    if user is None or user.role not in spec.roles:
        return
    query = {key: value for key, value in params.items() if value}
    container.page_link(spec.path.as_posix(), label=label, icon=icon or spec.icon, query_params=query or None)
