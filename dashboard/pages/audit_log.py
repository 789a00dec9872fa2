"""Admin: the audit log, filtered by time, action, table, actor and record."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import streamlit as st

from dashboard import charts, data
from dashboard.components.filters import date_range_param, multiselect_param
from dashboard.components.page import page
from dashboard.components.tables import table

user, scope = page(__file__, caption="Every data change, sign-in and administrative action, newest first.")

facets = data.audit_filter_values(scope)
people = data.users(scope)
names = dict(zip(people["user_id"], people["display_name"], strict=True))
c1, c2, c3, c4 = st.columns([1.2, 1, 1, 1])
start, end = date_range_param("Dates", days=7, container=c1)
actions = multiselect_param("Action", facets["actions"], param="action", container=c2)
tables = multiselect_param("Table", facets["tables"], param="table", container=c3)
actor = c4.selectbox("Who", ["", *names], format_func=lambda i: names.get(i, "Anyone"))
record = st.text_input("Record id", value=st.query_params.get("record", ""), placeholder="a UUID")

entries = data.audit_log(
    scope,
    since=datetime.combine(start, time.min, UTC),
    until=datetime.combine(end + timedelta(days=1), time.min, UTC),
    actions=actions or None,
    tables=tables or None,
    actor_id=data.as_uuid(actor) if actor else None,
    record_id=record.strip() or None,
    limit=2000,
)

if entries.is_empty():
    st.info("No audit entries match these filters.")
    st.stop()
st.plotly_chart(charts.activity_by_day(entries, time_col="occurred_at", group_col="action"), width="stretch")
table(
    entries,
    name="audit log",
    hide=("actor_id",),
    column_config={
        "occurred_at": st.column_config.DatetimeColumn("When", format="YYYY-MM-DD HH:mm:ss"),
        "changed_fields": st.column_config.ListColumn("Changed"),
    },
)
if len(entries) == 2000:
    st.caption("Showing the newest 2,000 entries; narrow the filters to see older ones.")
