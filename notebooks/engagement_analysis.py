# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: tags,-all
#     formats: ipynb,py:percent
#     notebook_metadata_filter: kernelspec,jupytext,-jupytext.text_representation
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Engagement analysis
#
# How learners move through the video lessons of one tenant:
#
# 1. **Cohort completion**: how far each class has got with its assigned lessons, and how fast.
# 2. **Retention across videos**: what share of the learners who start a video are still watching at each
#    point of it.
# 3. **Drop-off vs milestone placement**: whether learners leave around the question stops (milestones).
# 4. **Rewatch hotspots vs question difficulty**: whether the parts learners replay lead to hard questions.
# 5. **Time of day and week**: when learners study.
# 6. **A/B experiment readout**: the running experiments, variant by variant.
#
# Every figure is computed by `platform_core.analytics` (the same code as the dashboard), on the live
# database (read-only) or on an export made with `ilp export`. Set the parameters below, or set the
# environment variables they read (`ILP_NB_SOURCE`, `ILP_NB_TENANT`, `ILP_NB_START`, `ILP_NB_END`) before
# starting JupyterLab; see `notebooks/README.md`.

# %%
import os

import plotly.express as px
import plotly.graph_objects as go
import plotly.io as pio
import polars as pl
from IPython.display import display
from scipy.stats import spearmanr

from platform_core import analytics as A
from platform_core.analytics import research as R

# %% tags=["parameters"]
# Where to read: "postgres" (the platform's database, read-only), a postgresql:// URL, or an export folder.
SOURCE = os.environ.get("ILP_NB_SOURCE", "postgres")
# The tenant (slug) to analyse; `ilp seed --scale small` creates sim-small-1-1.
TENANT = os.environ.get("ILP_NB_TENANT", "sim-small-1-1")
# First and last day (YYYY-MM-DD, inclusive) of the period; empty means no limit.
START = os.environ.get("ILP_NB_START", "")
END = os.environ.get("ILP_NB_END", "")

# %%
pio.renderers.default = "plotly_mimetype"  # figures are data for JupyterLab to draw: nothing is fetched
MAX_VIDEOS = 8  # videos compared in sections 2 to 4 (the most started ones)
BINS = 50  # timeline bins per video

src = R.open_research_source(SOURCE, tenant=TENANT)
period = R.parse_date_range(START, END)
classes = R.class_catalog(src)
videos = R.video_catalog(src)
top_videos = videos.filter(pl.col("starters") > 0).head(MAX_VIDEOS)
print(f"{R.source_label(src)}, tenant {TENANT}, period {period.label()}")
print(f"{classes.height} classes, {videos.height} videos ({top_videos.height} with learners analysed below)")

# %% [markdown]
# ## 1. Cohort completion
#
# A cohort here is a class: the students enrolled in it, with the lessons the teacher assigned. The heat map
# shows, for each class and lesson, the share of enrolled students who completed the lesson (all of its
# videos) **as of now**. Read across a row to see which lessons a class is stuck on, down a column to compare
# classes on the same lesson. Blank cells are lessons the class was not assigned.

# %%
overview = A.class_overview(src).join(classes.select("class_id", "class_name"), on="class_id", how="left")
if overview.height:
    grid = overview.pivot(on="lesson_title", index="class_name", values="completion_rate").sort("class_name")
    lessons = [c for c in grid.columns if c != "class_name"]
    fig = px.imshow(
        grid.select(lessons).to_numpy(),
        x=lessons,
        y=grid["class_name"].to_list(),
        zmin=0,
        zmax=1,
        color_continuous_scale="Blues",
        text_auto=".0%",
        aspect="auto",
        labels={"color": "completed"},
        title="Lesson completion rate by class",
    )
    fig.show()
    display(
        overview.select(
            "class_name", "lesson_title", "students", "started_rate", "completion_rate", "avg_grade"
        )
    )
else:
    print("No class has lessons assigned yet.")

# %% [markdown]
# The curves show the same completion share **over time** within the chosen period: each day, the completed
# (student, assigned lesson) pairs so far over all such pairs of the class. A steep stretch is when a class
# worked through its lessons (typically before a due date); a flat end means the class stopped progressing.

# %%
over_time = R.completion_over_time(src, since=period.since, until=period.until)
if over_time.height:
    fig = px.line(
        over_time,
        x="day",
        y="share",
        color="class_name",
        labels={"share": "share of assigned lessons completed", "day": "", "class_name": "class"},
        title="Cumulative lesson completion per class",
    )
    fig.update_yaxes(tickformat=".0%", rangemode="tozero")
    fig.show()
else:
    print("No lesson was completed in the period.")

# %% [markdown]
# ## 2. Retention curves across videos
#
# For each of the most started videos: of the learners who started it, the share whose watched segments
# include each point of the timeline. The x axis is the position in the video as a percentage of its length,
# so videos of different lengths compare directly. A curve that falls steadily means learners leave
# throughout; a sudden step marks a moment where many stop; a curve that rises again means learners skipped a
# part and came back (or seeked forward).

# %%
curves = {}
for video_id in top_videos["video_id"]:
    curves[video_id] = A.retention_curve(src, video_id=video_id, bins=BINS)
if curves:
    retention = pl.concat(
        [
            c.with_columns(
                pl.lit(top_videos.filter(pl.col("video_id") == v)["title"][0]).alias("video"),
                (
                    (pl.col("start_seconds") + pl.col("end_seconds")) / 2 / pl.col("end_seconds").max() * 100
                ).alias("position_pct"),
            )
            for v, c in curves.items()
        ]
    )
    fig = px.line(
        retention,
        x="position_pct",
        y="share",
        color="video",
        labels={"position_pct": "position in the video (%)", "share": "still watching"},
        title="Audience retention (share of starters)",
    )
    fig.update_yaxes(tickformat=".0%", range=[0, 1.05])
    fig.show()
    display(top_videos.select("title", "lessons", "duration_seconds", "milestones", "starters", "completed"))
else:
    print("No video has been started yet.")

# %% [markdown]
# ## 3. Drop-off vs milestone placement
#
# Milestones stop the video and ask questions. Do learners leave there? For every milestone of the videos
# above, we compare the fall in retention over the 20 seconds either side of it with the video's average
# fall over 40 seconds (its overall loss spread evenly). **Excess drop** above zero means more learners
# leave around that milestone than the video's norm; near zero, the milestone costs nothing. The x axis
# shows where the milestone sits in its video: a pattern (e.g. late milestones losing more) suggests moving
# them.

# %%
dropoffs = []
for video_id, title, duration in top_videos.select("video_id", "title", "duration_seconds").iter_rows():
    stops = A.milestone_reach(src, video_id=video_id)
    if stops.height:
        d = R.milestone_dropoff(curves[video_id], stops, window_seconds=20.0)
        dropoffs.append(
            d.with_columns(
                pl.lit(title).alias("video"),
                (pl.col("timestamp_seconds") / duration * 100).alias("position_pct"),
            )
        )
dropoff = pl.concat(dropoffs) if dropoffs else pl.DataFrame()
if dropoff.height:
    fig = px.scatter(
        dropoff,
        x="position_pct",
        y="excess_drop",
        color="video",
        hover_data=["share_before", "share_after", "drop", "baseline_drop"],
        labels={
            "position_pct": "milestone position in the video (%)",
            "excess_drop": "excess drop in retention",
        },
        title="Retention lost around each milestone, beyond the video's norm",
    )
    fig.add_hline(y=0, line_dash="dot", line_color="grey")
    fig.update_yaxes(tickformat=".0%")
    fig.show()
    mean_excess = dropoff["excess_drop"].mean()
    if mean_excess is not None:
        print(f"mean excess drop around milestones: {mean_excess:+.1%} of starters")
else:
    print("No milestones on the analysed videos.")

# %% [markdown]
# The most started video in detail: its retention curve, its milestones (dotted lines) and the bins where
# retention falls most (`drop_off_points`, red markers). A red marker right after a dotted line is a
# milestone learners abandon at.

# %%
if top_videos.height:
    video_id, title = top_videos["video_id"][0], top_videos["title"][0]
    curve = curves[video_id]
    drops = A.drop_off_points(curve, top=5, min_drop=0.02)
    fig = go.Figure()
    fig.add_scatter(x=curve["start_seconds"], y=curve["share"], mode="lines", name="retention")
    fig.add_scatter(
        x=drops["at_seconds"],
        y=drops["share"],
        mode="markers",
        name="largest drops",
        marker={"color": "red", "size": 10},
    )
    for at in A.milestone_reach(src, video_id=video_id)["timestamp_seconds"]:
        fig.add_vline(x=at, line_dash="dot", line_color="grey")
    fig.update_layout(
        title=f"{title}: retention, milestones and drop-offs",
        xaxis_title="seconds",
        yaxis_title="still watching",
    )
    fig.update_yaxes(tickformat=".0%", range=[0, 1.05])
    fig.show()

# %% [markdown]
# ## 4. Rewatch hotspots vs question difficulty
#
# The rewatch heat map counts, for each moment of a video, how many times learners played it beyond their
# first viewing (from the raw playback events). A hot spot is a part learners return to, often after a wrong
# answer sends them back. For every question at a milestone we take the stretch of video leading to it (from
# the previous milestone) and set its **rewatch share** (replays / all plays there) against the question's
# **difficulty** (`p_value`: the mean first-attempt score; low means hard). If hard questions sit after
# heavily replayed stretches, the explanation there probably needs work; Spearman's rank correlation below
# summarises the relation (negative: the harder the question, the more replaying).

# %%
items_all = A.item_analysis(src)
pairs = []
for video_id, title in top_videos.select("video_id", "title").iter_rows():
    stops = A.milestone_reach(src, video_id=video_id)
    if stops.height == 0:
        continue
    heat = A.rewatch_heatmap(src, video_id=video_id, bins=BINS)
    rv = R.rewatch_vs_difficulty(heat, items_all.filter(pl.col("video_id") == video_id), stops)
    pairs.append(rv.with_columns(pl.lit(title).alias("video")))
rewatch = pl.concat(pairs) if pairs else pl.DataFrame()
if rewatch.height:
    peak = pl.when(pl.col("has_peak")).then(pl.lit("yes")).otherwise(pl.lit("no"))
    fig = px.scatter(
        rewatch.with_columns(peak.alias("peak")),
        x="p_value",
        y="rewatch_share",
        color="peak",
        color_discrete_map={"yes": "darkorange", "no": "steelblue"},
        hover_data=["video", "question_id", "segment_start", "segment_end", "rewatches", "views"],
        labels={
            "p_value": "difficulty (mean first-attempt score; lower = harder)",
            "rewatch_share": "replayed share of the stretch before it",
            "peak": "rewatch peak in the stretch",
        },
        title="Rewatching before a question vs how hard it is",
    )
    fig.update_yaxes(tickformat=".0%")
    fig.update_xaxes(tickformat=".0%", range=[-0.02, 1.02])
    fig.show()
    usable = rewatch.drop_nulls(["p_value", "rewatch_share"])
    if usable.height >= 3:
        rho, p = spearmanr(usable["p_value"], usable["rewatch_share"])
        print(f"Spearman rho = {rho:+.2f} (p = {p:.3f}, {usable.height} questions)")
else:
    print("No questions at milestones of the analysed videos.")

# %% [markdown]
# The heat map of the most started video: bars are replays per timeline bin, orange bars are the peaks (more
# than two standard deviations above the video's mean), dotted lines the milestones.

# %%
if top_videos.height:
    video_id, title = top_videos["video_id"][0], top_videos["title"][0]
    heat = A.rewatch_heatmap(src, video_id=video_id, bins=BINS)
    fig = px.bar(
        heat.with_columns(
            pl.when(pl.col("is_peak")).then(pl.lit("peak")).otherwise(pl.lit("other")).alias("bin")
        ),
        x="start_seconds",
        y="rewatches",
        color="bin",
        color_discrete_map={"peak": "darkorange", "other": "steelblue"},
        labels={"start_seconds": "seconds", "rewatches": "replays", "bin": ""},
        title=f"{title}: rewatch heat map",
    )
    for at in A.milestone_reach(src, video_id=video_id)["timestamp_seconds"]:
        fig.add_vline(x=at, line_dash="dot", line_color="grey")
    fig.show()

# %% [markdown]
# ## 5. Time of day and day of week
#
# All learner events of the period, by weekday and hour in the tenant's time zone. The colour is
# **learner-hours**: for each clock hour, the number of distinct learners active in it, summed over the
# weeks, so one very busy learner does not dominate. Use it to time announcements, due dates and live
# sessions.

# %%
timezone = R.tenant_timezone(src)
by_hour = R.activity_by_hour(src, since=period.since, until=period.until, timezone=timezone)
matrix = by_hour.pivot(on="hour", index="weekday_name", values="learner_hours", sort_columns=True)
fig = px.imshow(
    matrix.select([str(h) for h in range(24)]).to_numpy(),
    x=[f"{h:02d}" for h in range(24)],
    y=matrix["weekday_name"].to_list(),
    color_continuous_scale="Viridis",
    aspect="auto",
    labels={"x": f"hour ({timezone})", "y": "", "color": "learner-hours"},
    title="When learners study",
)
fig.show()
busiest = by_hour.sort(["learner_hours", "weekday", "hour"], descending=[True, False, False]).head(3)
print(
    "busiest slots:",
    ", ".join(f"{d} {h:02d}:00" for d, h in busiest.select("weekday_name", "hour").iter_rows()),
)

# %% [markdown]
# ## 6. A/B experiment readout
#
# Each experiment assigns students to variants. For each variant: the share of its users who completed at
# least one lesson (with a 95 % Wilson interval, the error bars) and their mean lesson grade. Against the
# control, the table gives the difference in completion with its 95 % interval, the test used (Fisher's exact
# test for small counts, else chi-square) and its p-value, and for grades Welch's t-test with Hedges' g.
# Read a difference as real only when its interval excludes zero **and** the p-value is small (below 0.05),
# and remember that several experiments and metrics multiply the chances of a false alarm.

# %%
experiments = R.experiment_catalog(src)
display(experiments)

# %%
readouts = []
for key, name in experiments.select("key", "name").iter_rows():
    result = A.experiment_results(src, experiment_key=key)
    if result.height:
        readouts.append(result.with_columns(pl.lit(name).alias("experiment")))
if readouts:
    results = pl.concat(readouts)
    fig = px.bar(
        results.with_columns(
            (pl.col("completion_ci_high") - pl.col("completion_rate")).alias("plus"),
            (pl.col("completion_rate") - pl.col("completion_ci_low")).alias("minus"),
            pl.when(pl.col("is_control")).then(pl.lit("control")).otherwise(pl.lit("treatment")).alias("arm"),
        ),
        x="variant",
        y="completion_rate",
        error_y="plus",
        error_y_minus="minus",
        color="arm",
        facet_col="experiment",
        hover_data=["users", "completed", "mean_grade"],
        labels={"completion_rate": "completed a lesson", "arm": ""},
        title="Completion by variant (95 % intervals)",
    )
    fig.update_yaxes(tickformat=".0%", range=[0, 1])
    fig.update_xaxes(matches=None)  # each experiment shows its own variants
    fig.for_each_annotation(lambda a: a.update(text=a.text.split("=", 1)[-1]))
    fig.show()
    display(
        results.filter(~pl.col("is_control")).select(
            "experiment",
            "variant",
            "users",
            "completion_diff",
            "completion_diff_ci_low",
            "completion_diff_ci_high",
            "completion_test",
            "completion_p_value",
            "grade_diff",
            "welch_p_value",
            "hedges_g",
        )
    )
else:
    print("No experiment has assigned users.")

# %% [markdown]
# ## Notes
#
# - Completion, retention, drop-off and item statistics are as of now; the period limits the completion
#   curves, the activity heat map and nothing else.
# - Retention and rewatching count learners who started a video (coverage above zero); learners who never
#   opened it are in the class completion figures only.
# - On an export, learners are pseudonymised: ids are stable pseudonyms, the same in every table.
