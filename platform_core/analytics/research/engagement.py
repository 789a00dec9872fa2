"""Engagement questions the research notebook asks: completion over time per class, activity by hour of
the week, drop-off around milestones, and rewatching before questions vs their difficulty."""

# ruff: noqa: S608 - SQL text is built from constants and column names; values are bound parameters

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl

from platform_core.analytics import scope
from platform_core.analytics.research.notebook import time_filter
from platform_core.analytics.scope import TENANT
from platform_core.analytics.sources import UTC_DATETIME, Source

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

COMPLETION_SCHEMA = {
    "class_id": pl.String,
    "class_name": pl.String,
    "day": pl.Date,
    "completed": pl.Int64,
    "possible": pl.Int64,
    "share": pl.Float64,
}
DROPOFF_SCHEMA = {
    "milestone_id": pl.String,
    "timestamp_seconds": pl.Float64,
    "share_before": pl.Float64,
    "share_after": pl.Float64,
    "drop": pl.Float64,
    "baseline_drop": pl.Float64,
    "excess_drop": pl.Float64,
}
REWATCH_SCHEMA = {
    "question_id": pl.String,
    "milestone_id": pl.String,
    "segment_start": pl.Float64,
    "segment_end": pl.Float64,
    "rewatches": pl.Int64,
    "views": pl.Int64,
    "rewatch_share": pl.Float64,
    "has_peak": pl.Boolean,
    "p_value": pl.Float64,
    "point_biserial": pl.Float64,
}


def completion_over_time(
    src: Source, *, since: datetime | None = None, until: datetime | None = None
) -> pl.DataFrame:
    """Per class and UTC day: ``completed`` = (enrolled student, assigned lesson) pairs completed by the
    end of that day, ``possible`` = enrolled students x assigned lessons, ``share`` = completed / possible.

    Days run from ``since`` (else the first completion) to the day before ``until`` (else the last
    completion); completions before the first day count from the start."""
    names = src.query(
        f"SELECT CAST(id AS VARCHAR) AS class_id, name AS class_name FROM classes WHERE tenant_id = {TENANT}",
        schema={"class_id": pl.String, "class_name": pl.String},
    )
    done = scope.lesson_completion(src).filter(pl.col("is_completed") & pl.col("completed_at").is_not_null())
    pairs = (
        scope.roster(src)
        .join(scope.class_lessons(src).select("class_id", "lesson_id"), on="class_id")
        .join(
            done.select("student_id", "lesson_id", "completed_at"), on=["student_id", "lesson_id"], how="left"
        )
        .with_columns(pl.col("completed_at").dt.date().alias("day"))
    )
    possible = pairs.group_by("class_id").agg(pl.len().cast(pl.Int64).alias("possible"))
    days_done = pairs.get_column("day").drop_nulls()
    first = since.date() if since else days_done.min()
    last = (until - timedelta(microseconds=1)).date() if until else days_done.max()
    if first is None or last is None or first > last or possible.height == 0:  # type: ignore[operator]
        return pl.DataFrame(schema=COMPLETION_SCHEMA)
    daily = pairs.filter(pl.col("day").is_not_null()).group_by("class_id", "day").agg(pl.len().alias("n"))
    earlier = daily.filter(pl.col("day") < first).group_by("class_id").agg(pl.col("n").sum().alias("base"))
    days = pl.DataFrame({"day": pl.date_range(first, last, "1d", eager=True)})
    return (
        possible.join(days, how="cross")
        .join(daily, on=["class_id", "day"], how="left")
        .join(earlier, on="class_id", how="left")
        .sort("class_id", "day")
        .with_columns(
            (pl.col("n").fill_null(0).cum_sum().over("class_id") + pl.col("base").fill_null(0))
            .cast(pl.Int64)
            .alias("completed")
        )
        .join(names, on="class_id", how="left")
        .with_columns((pl.col("completed") / pl.col("possible")).alias("share"))
        .select(list(COMPLETION_SCHEMA))
    )


def activity_by_hour(
    src: Source, *, since: datetime | None = None, until: datetime | None = None, timezone: str = "UTC"
) -> pl.DataFrame:
    """Learner activity by weekday and hour of day in ``timezone``: all 7 x 24 slots with ``weekday``
    (1 = Monday), ``weekday_name``, ``hour``, ``events`` and ``learner_hours`` (users active in each
    clock hour, summed over the weeks). The database groups events by UTC hour, so memory stays flat."""
    rows = src.query(
        f"""
        SELECT date_trunc('hour', e.occurred_at) AS hour_start, count(*) AS events,
               count(DISTINCT e.user_id) AS users
        FROM analytics_events e WHERE e.tenant_id = {TENANT}{time_filter("e.occurred_at", since, until)}
        GROUP BY date_trunc('hour', e.occurred_at)
        """,
        {"since": since, "until": until},
        {"hour_start": UTC_DATETIME, "events": pl.Int64, "users": pl.Int64},
    )
    local = pl.col("hour_start").dt.convert_time_zone(timezone)
    counted = (
        rows.with_columns(
            local.dt.weekday().cast(pl.Int64).alias("weekday"), local.dt.hour().cast(pl.Int64).alias("hour")
        )
        .group_by("weekday", "hour")
        .agg(pl.col("events").sum(), pl.col("users").sum().alias("learner_hours"))
    )
    slots = pl.DataFrame({"weekday": range(1, 8)}).join(pl.DataFrame({"hour": range(24)}), how="cross")
    names = dict(enumerate(WEEKDAYS, start=1))
    return (
        slots.join(counted, on=["weekday", "hour"], how="left")
        .with_columns(
            pl.col("events").fill_null(0),
            pl.col("learner_hours").fill_null(0),
            pl.col("weekday").replace_strict(names, return_dtype=pl.String).alias("weekday_name"),
        )
        .select("weekday", "weekday_name", "hour", "events", "learner_hours")
        .sort("weekday", "hour")
    )


def _share_at(curve: pl.DataFrame, seconds: float) -> float | None:
    """Retention share of the bin holding ``seconds`` (the last bin from the end of the video on)."""
    hit = curve.filter((pl.col("start_seconds") <= seconds) & (pl.col("end_seconds") > seconds))
    row = hit if hit.height else curve.tail(1)
    return row["share"][0] if row.height else None


def milestone_dropoff(
    curve: pl.DataFrame, milestones: pl.DataFrame, *, window_seconds: float = 20.0
) -> pl.DataFrame:
    """Do learners leave around milestones more than elsewhere in the video?

    ``curve`` is a :func:`~platform_core.analytics.engagement.retention_curve` and ``milestones`` has
    ``milestone_id, timestamp_seconds``. Per milestone: ``share_before`` / ``share_after`` = retention
    ``window_seconds`` before / after it, ``drop`` = before - after, ``baseline_drop`` = the video's
    average fall over the same length (first-bin minus last-bin share, pro rata) and ``excess_drop`` =
    drop - baseline (positive: more learners leave around the milestone than the video's norm)."""
    if curve.height == 0 or curve["share"].null_count() == curve.height:
        return pl.DataFrame(schema=DROPOFF_SCHEMA)
    duration = float(curve["end_seconds"].max())  # type: ignore[arg-type]
    overall = float(curve["share"][0]) - float(curve["share"][-1])
    out = []
    for mid, at in milestones.select("milestone_id", "timestamp_seconds").iter_rows():
        lo, hi = max(at - window_seconds, 0.0), min(at + window_seconds, duration)
        before, after = _share_at(curve, lo), _share_at(curve, hi)
        drop = before - after if before is not None and after is not None else None
        baseline = overall * (hi - lo) / duration if duration > 0 else None
        excess = drop - baseline if drop is not None and baseline is not None else None
        out.append((mid, at, before, after, drop, baseline, excess))
    return pl.DataFrame(out, schema=DROPOFF_SCHEMA, orient="row").sort("timestamp_seconds")


def rewatch_vs_difficulty(
    heatmap: pl.DataFrame, item_stats: pl.DataFrame, milestones: pl.DataFrame
) -> pl.DataFrame:
    """How much learners rewatch the part of a video that leads to each question, beside how hard it is.

    ``heatmap`` is a :func:`~platform_core.analytics.engagement.rewatch_heatmap` of one video,
    ``milestones`` that video's ``milestone_id, timestamp_seconds`` and ``item_stats`` an
    :func:`~platform_core.analytics.items.item_analysis`. Per question at one of those milestones: the
    segment from the previous milestone (or 0) to this one; ``rewatches`` and ``views`` summed over the
    bins whose midpoint lies in it; ``rewatch_share`` = rewatches / views; ``has_peak`` (a heatmap peak
    in the segment); the question's ``p_value`` and ``point_biserial``."""
    segments: dict[str, tuple[float, float]] = {}
    previous = 0.0
    for mid, at in (
        milestones.select("milestone_id", "timestamp_seconds").sort("timestamp_seconds").iter_rows()
    ):
        segments[mid] = (previous, at)
        previous = at
    bins = heatmap.with_columns(((pl.col("start_seconds") + pl.col("end_seconds")) / 2).alias("mid"))
    out = []
    stats = item_stats.select("question_id", "milestone_id", "p_value", "point_biserial")
    for qid, mid, p, r in stats.iter_rows():
        if mid not in segments:
            continue
        lo, hi = segments[mid]
        part = bins.filter((pl.col("mid") >= lo) & (pl.col("mid") < hi))
        views, rewatches = int(part["views"].sum()), int(part["rewatches"].sum())
        share = rewatches / views if views else None
        out.append((qid, mid, lo, hi, rewatches, views, share, bool(part["is_peak"].any()), p, r))
    return pl.DataFrame(out, schema=REWATCH_SCHEMA, orient="row")
