"""Content: full-text search over lessons, videos (with their transcripts) and questions."""

from __future__ import annotations

import streamlit as st

from dashboard import data
from dashboard.charts import mmss
from dashboard.components.links import link_to
from dashboard.components.page import page

user, scope = page(__file__, caption='Type as in a search engine: `"speed of light" -sound or photon`.')
KIND_ICON = {"lesson": ":material/menu_book:", "video": ":material/movie:", "question": ":material/quiz:"}

left, right = st.columns([3, 1.4], vertical_alignment="bottom")
query = left.text_input(
    "Search", value=st.query_params.get("q", ""), placeholder="e.g. velocity", key="search_q"
)
kinds = right.pills(
    "In", list(KIND_ICON), default=list(KIND_ICON), selection_mode="multi", key="search_kinds"
)
if query.strip():
    st.query_params["q"] = query.strip()
elif "q" in st.query_params:
    del st.query_params["q"]
if not query.strip():
    st.caption("Titles weigh most, then descriptions, then what is said in the videos.")
    st.stop()

try:
    hits = data.search(scope, query.strip(), tuple(sorted(kinds or KIND_ICON)))
except ValueError as exc:
    st.error(str(exc))
    st.stop()
st.caption(f"{len(hits)} result{'s' * (len(hits) != 1)} for **{query.strip()}**")
if not hits:
    st.info("Nothing matches. Try fewer or other words.")
for hit in hits:
    with st.container(border=True):
        title, link = st.columns([4, 1.2])
        status = f" · {hit['status']}" if hit["status"] else ""
        title.markdown(f"{KIND_ICON[hit['kind']]} **{hit['title'][:120]}**  :gray[{hit['kind']}{status}]")
        snippet = hit["snippet"].replace("\n", " ")
        where = f"`{mmss(hit['at_seconds'])}` " if hit["at_seconds"] is not None else ""
        title.markdown(f"{where}{snippet}")
        if hit["kind"] == "lesson":
            link_to("lessons.py", "Open lesson", container=link, lesson=hit["id"])
        elif hit["kind"] == "video":
            link_to("videos.py", "Open video", container=link, video=hit["id"])
            link_to("milestones.py", "Timeline", container=link, video=hit["id"])
        else:
            link_to(
                "question_editor.py",
                "Open question",
                container=link,
                video=hit["video_id"],
                question=hit["id"],
            )
