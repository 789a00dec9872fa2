"""Video engagement: retention, drop-offs, rewatches, watch time vs coverage, funnel, milestone reach.

A video's timeline is cut into ``bins`` equal bins; bin ``i`` covers ``[i, i+1) * duration / bins`` and
is represented by its midpoint. "Starters" are students whose ``student_progress`` for the video has
coverage > 0 (optionally only students enrolled in one class). Everything except the rewatch heatmap
reads ``student_progress``; the heatmap needs the played segments with their repetitions, so it folds
the video's raw playback events with the platform's own ``PlaybackTracker``.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from datetime import datetime

import polars as pl

from platform_core.analytics.scope import TENANT, Id, _enrolled
from platform_core.analytics.sources import UTC_DATETIME, Source

PLAYBACK_TYPES = (
    "video_play",
    "video_pause",
    "video_seek",
    "video_progress",
    "video_complete",
    "milestone_reached",
)


class VideoNotFound(LookupError):
    pass


def video_duration(src: Source, video_id: Id) -> float:
    value = src.scalar(
        f"SELECT duration_seconds FROM videos WHERE tenant_id = {TENANT} AND id = CAST(:video_id AS UUID)",  # noqa: S608
        {"video_id": video_id},
    )
    if value is None:
        raise VideoNotFound(f"video_id: no video {video_id} in this tenant")
    return float(value)


def _progress_rows(src: Source, video_id: Id, class_id: Id | None) -> pl.DataFrame:
    scope = f" AND {_enrolled('p.student_id', class_id)}" if class_id is not None else ""
    return src.query(
        f"""
        SELECT CAST(p.student_id AS VARCHAR) AS student_id, p.coverage, p.watched_seconds,
               p.total_watch_seconds, p.is_completed, CAST(p.watched_segments AS VARCHAR) AS segments,
               CAST(p.milestone_details AS VARCHAR) AS milestone_details
        FROM student_progress p
        WHERE p.tenant_id = {TENANT} AND p.video_id = CAST(:video_id AS UUID){scope}
        """,  # noqa: S608
        {"video_id": video_id, "class_id": class_id},
        {
            "student_id": pl.String,
            "coverage": pl.Float64,
            "watched_seconds": pl.Float64,
            "total_watch_seconds": pl.Float64,
            "is_completed": pl.Boolean,
            "segments": pl.String,
            "milestone_details": pl.String,
        },
    ).sort("student_id")


def _midpoints(duration: float, bins: int) -> list[float]:
    return [(i + 0.5) * duration / bins for i in range(bins)]


def _bin_frame(duration: float, bins: int) -> dict[str, list[float] | list[int]]:
    width = duration / bins
    return {
        "bin": list(range(bins)),
        "start_seconds": [i * width for i in range(bins)],
        "end_seconds": [(i + 1) * width for i in range(bins)],
    }


def retention_curve(
    src: Source, *, video_id: Id, class_id: Id | None = None, bins: int = 100
) -> pl.DataFrame:
    """Audience retention: per bin, ``viewers`` = starters whose watched segments contain the bin's
    midpoint and ``share`` = viewers / ``starters`` (null without starters)."""
    if bins < 1:
        raise ValueError("bins: must be at least 1")
    duration = video_duration(src, video_id)
    rows = _progress_rows(src, video_id, class_id).filter(pl.col("coverage") > 0)
    mids = _midpoints(duration, bins)
    viewers = [0] * bins
    for raw in rows.get_column("segments").to_list():
        segments = json.loads(raw) if raw else []
        for i, m in enumerate(mids):
            if any(float(s) <= m <= float(e) for s, e in segments):
                viewers[i] += 1
    starters = rows.height
    frame = pl.DataFrame(
        {**_bin_frame(duration, bins), "viewers": viewers},
        schema={"bin": pl.Int64, "start_seconds": pl.Float64, "end_seconds": pl.Float64, "viewers": pl.Int64},
    )
    return frame.with_columns(
        pl.lit(starters, dtype=pl.Int64).alias("starters"),
        (pl.col("viewers") / starters if starters else pl.lit(None, dtype=pl.Float64)).alias("share"),
    )


def drop_off_points(curve: pl.DataFrame, *, top: int = 5, min_drop: float = 0.05) -> pl.DataFrame:
    """The bins where retention falls most from the previous bin: ``drop`` = previous share - share,
    at least ``min_drop``; the ``top`` largest, ties to the earlier bin."""
    return (
        curve.with_columns(pl.col("share").shift(1).alias("share_before"))
        # from the counts, so equal drops are equal floats and ties really go to the earlier bin
        .with_columns(((pl.col("viewers").shift(1) - pl.col("viewers")) / pl.col("starters")).alias("drop"))
        .filter(pl.col("drop") >= min_drop - 1e-12)
        .sort(["drop", "bin"], descending=[True, False])
        .head(top)
        .select("bin", pl.col("start_seconds").alias("at_seconds"), "share_before", "share", "drop")
    )


def _events_for_video(src: Source, video_id: Id, class_id: Id | None) -> pl.DataFrame:
    types = ", ".join(f"'{t}'" for t in PLAYBACK_TYPES)
    scope = f" AND {_enrolled('e.user_id', class_id)}" if class_id is not None else ""
    return src.query(
        f"""
        SELECT CAST(e.id AS VARCHAR) AS id, e.type, e.occurred_at, CAST(e.user_id AS VARCHAR) AS user_id,
               CAST(e.data AS VARCHAR) AS data
        FROM analytics_events e
        WHERE e.tenant_id = {TENANT} AND e.type IN ({types}) AND {src.json_has("e.data", "video_id")}
          AND {src.json_text("e.data", "video_id")} = :video_text{scope}
        """,  # noqa: S608
        {"video_text": str(video_id), "class_id": class_id},
        {
            "id": pl.String,
            "type": pl.String,
            "occurred_at": UTC_DATETIME,
            "user_id": pl.String,
            "data": pl.String,
        },
    ).sort("user_id", "occurred_at", "id")


def played_segments(
    src: Source, *, video_id: Id, class_id: Id | None = None
) -> dict[str, list[tuple[float, float]]]:
    """Per user, the chronological played segments (rewatches repeated) folded from the video's events."""
    from platform_core.activity.event_parsing import parse_event
    from platform_core.activity.events import InvalidEvent
    from platform_core.activity.segments import PlaybackTracker

    events = _events_for_video(src, video_id, class_id)
    trackers: dict[str, PlaybackTracker] = {}
    for row in events.iter_rows(named=True):
        at: datetime = row["occurred_at"]
        payload = {
            "id": row["id"],
            "type": row["type"],
            "occurred_at": at.isoformat(),
            "user_id": row["user_id"],
            "data": json.loads(row["data"]),
        }
        try:
            event = parse_event(payload)
        except InvalidEvent:
            continue  # stored events were validated at ingest; skip anything that no longer parses
        tracker = trackers.setdefault(row["user_id"], PlaybackTracker())
        tracker.apply(event)
    return {user: [(s.start, s.end) for s in t.played] for user, t in trackers.items()}


def rewatch_heatmap(
    src: Source,
    *,
    video_id: Id,
    class_id: Id | None = None,
    bins: int = 100,
    z: float = 2.0,
    min_rewatches: int = 2,
) -> pl.DataFrame:
    """Per bin: ``views`` = played segments (all users, repetitions counted) containing the midpoint,
    ``viewers`` = users with at least one, ``rewatches`` = views - viewers. ``is_peak``: rewatches at
    least ``min_rewatches`` and more than ``z`` population standard deviations above the bins' mean."""
    duration = video_duration(src, video_id)
    mids = _midpoints(duration, bins)
    views, viewers = [0] * bins, [0] * bins
    for segments in played_segments(src, video_id=video_id, class_id=class_id).values():
        for i, m in enumerate(mids):
            count = sum(1 for s, e in segments if s <= m <= e)
            views[i] += count
            viewers[i] += 1 if count else 0
    rewatches = [v - u for v, u in zip(views, viewers, strict=True)]
    mean = sum(rewatches) / bins
    std = math.sqrt(sum((r - mean) ** 2 for r in rewatches) / bins)
    peaks = [r >= min_rewatches and std > 0 and (r - mean) / std > z for r in rewatches]
    return pl.DataFrame(
        {
            **_bin_frame(duration, bins),
            "views": views,
            "viewers": viewers,
            "rewatches": rewatches,
            "is_peak": peaks,
        },
        schema={
            "bin": pl.Int64,
            "start_seconds": pl.Float64,
            "end_seconds": pl.Float64,
            "views": pl.Int64,
            "viewers": pl.Int64,
            "rewatches": pl.Int64,
            "is_peak": pl.Boolean,
        },
    )


def watch_time_vs_coverage(src: Source, *, video_id: Id, class_id: Id | None = None) -> pl.DataFrame:
    """Per starter: ``total_watch_seconds`` (played, rewatches included) vs ``watched_seconds`` (unique
    coverage in seconds), ``coverage`` and ``rewatch_factor`` = total / unique (null when unique is 0)."""
    rows = _progress_rows(src, video_id, class_id).filter(pl.col("coverage") > 0)
    return rows.select(
        "student_id",
        "total_watch_seconds",
        "watched_seconds",
        "coverage",
        pl.when(pl.col("watched_seconds") > 0)
        .then(pl.col("total_watch_seconds") / pl.col("watched_seconds"))
        .otherwise(None)
        .alias("rewatch_factor"),
    )


FUNNEL_STEPS = (("started", 0.0), ("watched_25", 0.25), ("watched_50", 0.5), ("watched_75", 0.75))


def completion_funnel(src: Source, *, video_id: Id, class_id: Id | None = None) -> pl.DataFrame:
    """Steps ``enrolled`` (only with ``class_id``: the class's students), ``started`` (coverage > 0),
    ``watched_25/50/75`` (coverage >= 25/50/75 %), ``completed`` (``is_completed``); per step
    ``students``, ``share_of_first`` and ``share_of_previous``."""
    rows = _progress_rows(src, video_id, class_id)
    steps: list[tuple[str, int]] = []
    if class_id is not None:
        from platform_core.analytics.scope import roster

        steps.append(("enrolled", roster(src, class_id).height))
    cov = rows.get_column("coverage").to_list()
    steps.append(("started", sum(1 for c in cov if c > 0)))
    for name, level in FUNNEL_STEPS[1:]:
        steps.append((name, sum(1 for c in cov if c >= level)))
    steps.append(("completed", int(rows.get_column("is_completed").sum())))
    first = steps[0][1]
    out = []
    for i, (name, n) in enumerate(steps):
        previous = steps[i - 1][1] if i else n
        out.append(
            {
                "step": name,
                "position": i,
                "students": n,
                "share_of_first": n / first if first else None,
                "share_of_previous": n / previous if previous else None,
            }
        )
    return pl.DataFrame(
        out,
        schema={
            "step": pl.String,
            "position": pl.Int64,
            "students": pl.Int64,
            "share_of_first": pl.Float64,
            "share_of_previous": pl.Float64,
        },
    )


def milestone_reach(src: Source, *, video_id: Id, class_id: Id | None = None) -> pl.DataFrame:
    """Per milestone of the video, in timeline order, over the video's starters:

    - ``reached``: progress details record the milestone as reached; ``reach_rate`` = reached / starters;
    - ``covered``: watched segments contain the milestone's timestamp;
    - ``answered`` / ``correct``: details say answered at least once / answered correctly;
    - ``on_correct`` / ``on_wrong``: the branch taken there; ``detours``: remedial detours summed.
    """
    milestones = src.query(
        f"""
        SELECT CAST(id AS VARCHAR) AS milestone_id, title, timestamp_seconds FROM milestones
        WHERE tenant_id = {TENANT} AND video_id = CAST(:video_id AS UUID)
        """,  # noqa: S608
        {"video_id": video_id},
        {"milestone_id": pl.String, "title": pl.String, "timestamp_seconds": pl.Float64},
    ).sort("timestamp_seconds", "milestone_id")
    rows = _progress_rows(src, video_id, class_id).filter(pl.col("coverage") > 0)
    starters = rows.height
    stats: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    stamps = dict(zip(milestones["milestone_id"], milestones["timestamp_seconds"], strict=True))
    for raw_segments, raw_details in rows.select("segments", "milestone_details").iter_rows():
        segments = json.loads(raw_segments) if raw_segments else []
        details = (json.loads(raw_details) if raw_details else {}).get("milestones", {}) or {}
        for mid, at in stamps.items():
            entry = stats[mid]
            if any(float(s) <= at <= float(e) for s, e in segments):
                entry["covered"] += 1
            info = details.get(mid)
            if not info:
                continue
            entry["reached"] += 1 if info.get("reachedAt") else 0
            entry["answered"] += 1 if (info.get("answered") or 0) > 0 else 0
            entry["correct"] += 1 if info.get("correct") else 0
            entry["on_correct"] += 1 if info.get("branch") == "onCorrect" else 0
            entry["on_wrong"] += 1 if info.get("branch") == "onWrong" else 0
            entry["detours"] += int(info.get("detours") or 0)
    counts = ("reached", "covered", "answered", "correct", "on_correct", "on_wrong", "detours")
    return milestones.with_columns(
        pl.lit(starters, dtype=pl.Int64).alias("starters"),
        *[
            pl.Series(name, [stats[m][name] for m in milestones["milestone_id"]], dtype=pl.Int64)
            for name in counts
        ],
    ).with_columns(
        (pl.col("reached") / starters if starters else pl.lit(None, dtype=pl.Float64)).alias("reach_rate")
    )
