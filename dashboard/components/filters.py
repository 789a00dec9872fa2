"""Filters bound to query parameters: the URL always says what the page shows, so a link is a deep link
(``/class?class=<id>&lesson=<id>&from=2026-01-01&to=2026-01-31``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

import streamlit as st


def _remember(param: str, value: str | None) -> None:
    if value:
        st.query_params[param] = value
    elif param in st.query_params:
        del st.query_params[param]


def select_param(
    label: str,
    options: Mapping[str, str],
    *,
    param: str,
    allow_all: str | None = None,
    container: Any = st,
) -> str | None:
    """A select box over ``options`` (id -> label) whose value lives in ``?param=``. ``allow_all`` adds an
    empty choice with that label (returned as None)."""
    ids: list[str] = ([""] if allow_all else []) + list(options)
    if not ids:
        container.selectbox(label, ["(none yet)"], disabled=True, key=f"qp_{param}_empty")
        _remember(param, None)
        return None
    wanted = st.query_params.get(param, "")
    key, synced = f"qp_{param}", f"qp_{param}__synced"
    if key in st.session_state and st.session_state[key] not in ids:
        del st.session_state[key]  # the options changed under the widget (other class, deleted row)
    if wanted != st.session_state.get(synced, wanted) and wanted in ids:
        st.session_state[key] = wanted  # the URL changed (a link, or a page that just created a row)
    choice = container.selectbox(
        label,
        ids,
        index=ids.index(wanted) if wanted in ids else 0,
        key=key,
        format_func=lambda i: (allow_all or "") if i == "" else options[i],
    )
    _remember(param, choice or None)
    st.session_state[synced] = choice or ""
    return choice or None


def date_range_param(label: str = "Dates", *, days: int = 30, container: Any = st) -> tuple[date, date]:
    """A date range in ``?from=&to=`` (ISO dates), by default the last ``days`` days."""
    today = date.today()
    try:
        start = date.fromisoformat(st.query_params.get("from", ""))
        end = date.fromisoformat(st.query_params.get("to", ""))
    except ValueError:
        start, end = today - timedelta(days=days), today
    picked = container.date_input(label, (start, end), max_value=today + timedelta(days=1), key="qp_dates")
    if isinstance(picked, tuple) and len(picked) == 2:
        start, end = picked
    _remember("from", start.isoformat())
    _remember("to", end.isoformat())
    return start, end


def multiselect_param(
    label: str, options: list[str], *, param: str, container: Any = st, format_func: Any = str
) -> list[str]:
    """A multi-select whose values live in repeated ``?param=`` entries."""
    wanted = [v for v in st.query_params.get_all(param) if v in options]
    chosen = container.multiselect(label, options, default=wanted, key=f"qp_{param}", format_func=format_func)
    if chosen:
        st.query_params[param] = chosen
    elif param in st.query_params:
        del st.query_params[param]
    return chosen


def content_filters(
    scope: Any, *, all_classes: str = "All classes", all_videos: str | None = "All videos"
) -> tuple[str | None, str | None, str | None]:
    """Class, lesson and video pickers in one row, each narrowing the next and bound to query params.

    ``all_videos=None`` makes a video required (no "all" entry)."""
    from dashboard import data  # the data layer imports Streamlit caching; keep this module light

    f1, f2, f3 = st.columns(3)
    classes = data.class_list(scope)
    class_id = select_param(
        "Class", dict(zip(classes["class_id"], classes["name"], strict=True)),
        param="class", allow_all=all_classes, container=f1,
    )  # fmt: skip
    lessons = data.lesson_list(scope, class_id=class_id)
    lesson_id = select_param(
        "Lesson", dict(zip(lessons["lesson_id"], lessons["title"], strict=True)),
        param="lesson", allow_all="All lessons", container=f2,
    )  # fmt: skip
    videos = data.video_list(scope, lesson_id=lesson_id)
    video_options = dict(zip(videos["video_id"], videos["title"], strict=True))
    if all_videos is None:
        video_id = select_param("Video", video_options, param="video", container=f3)
    else:
        video_id = select_param("Video", video_options, param="video", allow_all=all_videos, container=f3)
    return class_id, lesson_id, video_id
