"""Admin: the AI providers question generation may use. API keys are stored encrypted and only ever shown
masked; every change is audited."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import data
from dashboard.components.filters import select_param
from dashboard.components.page import page, writing
from dashboard.components.tables import table
from platform_core.ai import configs
from platform_core.ai.connection_check import check_connection
from platform_core.models import AIProvider

user, scope = page(
    __file__, caption="Without any configuration, generation uses the built-in offline writer (free)."
)

found = data.ai_config_list(scope)
frame = pl.DataFrame(
    [
        {
            "name": c["name"],
            "provider": c["provider"],
            "model": c["model"],
            "api key": c["apiKey"] or "(none)",
            "base URL": c["baseUrl"],
            "monthly budget": c["monthlyBudgetUsd"],
            "default": c["default"],
            "active": c["active"],
        }
        for c in found
    ],
    schema={
        "name": pl.String,
        "provider": pl.String,
        "model": pl.String,
        "api key": pl.String,
        "base URL": pl.String,
        "monthly budget": pl.String,
        "default": pl.Boolean,
        "active": pl.Boolean,
    },
)
table(frame, name="AI configurations", key="configs")
names = {c["name"]: f"{c['name']} ({c['provider']} · {c['model']})" for c in found}
chosen = select_param("Change or test", names, param="config", allow_all="choose a configuration…")

if chosen:
    current = next(c for c in found if c["name"] == chosen)
    with st.container(border=True):
        st.markdown(f"**{current['name']}** · {current['provider']} · key {current['apiKey'] or '(none)'}")
        with st.form(f"edit_{current['name']}"):
            a, b = st.columns(2)
            model = a.text_input("Model", current["model"])
            new_key = b.text_input("New API key (leave empty to keep the current one)", type="password")
            c, d, e = st.columns(3)
            budget = c.number_input(
                "Monthly budget (USD, 0 = none)", 0.0, 1e7, float(current["monthlyBudgetUsd"] or 0), 10.0
            )
            default = d.toggle("Default for generation", current["default"])
            active = e.toggle("Active", current["active"])
            if st.form_submit_button("Save", type="primary"):
                with writing(user, success=f"{current['name']} saved") as s:
                    configs.update_config(
                        s,
                        name=current["name"],
                        model=model,
                        api_key=new_key or None,
                        monthly_budget_usd=budget or None,
                        make_default=default or None,
                        active=active,
                    )
                st.rerun()
    if st.button("Test connection", icon=":material/network_check:"):
        with st.spinner(f"Asking {current['provider']} for its models…"), writing(user) as s:
            outcome = check_connection(s, name=current["name"])
        (st.success if outcome.ok else st.error)(outcome.message)
else:
    st.caption("Choose a configuration to change its model, key or budget, or to test the connection.")

with (
    st.expander("Add a configuration", icon=":material/add:", expanded=not found),
    st.form("add_config", clear_on_submit=True),
):
    a, b, c = st.columns(3)
    name = a.text_input("Name", placeholder="e.g. openai-main")
    provider = b.selectbox("Provider", [p.value for p in AIProvider])
    model = c.text_input("Model", placeholder="e.g. gpt-4o-mini")
    d, e = st.columns(2)
    base_url = d.text_input("Base URL (Azure and compatible servers)")
    api_key = e.text_input("API key", type="password")
    budget = st.number_input("Monthly budget (USD, 0 = none)", 0.0, 1e7, 0.0, 10.0)
    if st.form_submit_button("Add configuration", type="primary"):
        with writing(user, success=f"Added {name}") as s:
            configs.add_config(
                s,
                name=name,
                provider=provider,
                model=model,
                base_url=base_url or None,
                api_key=api_key or None,
                monthly_budget_usd=budget or None,
            )
        st.rerun()
