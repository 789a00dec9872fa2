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
# # AI cost analysis
#
# What AI question generation costs one tenant, and what it buys:
#
# 1. **Spend over time** by provider and model.
# 2. **Tokens per question**: how many tokens a generated (and an approved) question takes.
# 3. **Cost per approved question**: spend divided by the questions people actually kept.
# 4. **Approval and rejection reasons by model**: what the quality gates and the reviewers turned down.
# 5. **Budget forecast**: where the month is heading at the current run rate.
#
# The money comes from the usage ledger (`ai_usage`): one row per provider call, retries and repair calls
# included, priced with the price table in force at the time. Calls to a model without a price are counted
# but add nothing to spend (unpriced is not free: the notebook says when there are some). Set the parameters
# below or through `ILP_NB_SOURCE`, `ILP_NB_TENANT`, `ILP_NB_START`, `ILP_NB_END`; see `notebooks/README.md`.

# %%
import os
from datetime import UTC, datetime, time, timedelta

import plotly.express as px
import plotly.graph_objects as go
import plotly.io as pio
import polars as pl
from IPython.display import display

from platform_core import analytics as A
from platform_core.analytics import ai_costs
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

src = R.open_research_source(SOURCE, tenant=TENANT)
period = R.parse_date_range(START, END)
window = {"since": period.since, "until": period.until}
totals = A.ai_spend(src, by=(), **window)
print(f"{R.source_label(src)}, tenant {TENANT}, period {period.label()}")
if totals.height:
    t = totals.row(0, named=True)
    print(
        f"{t['calls']} provider calls, ${t['cost_usd']:.4f} spent, "
        f"{t['prompt_tokens'] + t['completion_tokens']:,} tokens "
        f"({t['cached_tokens']:,} prompt tokens cached)"
    )
    if t["unpriced_calls"]:
        print(f"warning: {t['unpriced_calls']} call(s) had no price: the spend below is understated.")

# %% [markdown]
# ## 1. Spend over time by provider and model
#
# Daily spend (UTC days), stacked by provider and model. Spikes are usually bulk generation runs; a model
# that grows its share at the same volume of questions has become the expensive habit. The line on the
# second axis is the cumulative spend of the period.

# %%
daily = A.ai_spend(src, by=("day", "provider", "model"), **window).with_columns(
    (pl.col("provider") + " / " + pl.col("model")).alias("provider_model")
)
if daily.height:
    fig = px.bar(
        daily,
        x="day",
        y="cost_usd",
        color="provider_model",
        hover_data=["calls", "unpriced_calls", "prompt_tokens", "completion_tokens"],
        labels={"cost_usd": "spend (USD)", "day": "", "provider_model": "provider / model"},
        title="Daily AI spend by provider and model",
    )
    cumulative = (
        daily.group_by("day")
        .agg(pl.col("cost_usd").sum())
        .sort("day")
        .with_columns(pl.col("cost_usd").cum_sum())
    )
    fig.add_trace(
        go.Scatter(
            x=cumulative["day"], y=cumulative["cost_usd"], name="cumulative", yaxis="y2", mode="lines+markers"
        )
    )
    fig.update_layout(
        yaxis2={"overlaying": "y", "side": "right", "title": "cumulative (USD)", "rangemode": "tozero"}
    )
    fig.update_yaxes(rangemode="tozero")
    fig.update_layout(legend={"x": 1.1})
    if 0 < daily["day"].n_unique() < 7:  # a few days only: show a week around them rather than hours
        fig.update_xaxes(
            range=[daily["day"].min() - timedelta(days=3), daily["day"].max() + timedelta(days=3)]
        )
    fig.show()
    display(A.ai_spend(src, by=("provider", "model"), **window))
else:
    print("No provider call in the period.")

# %% [markdown]
# ## 2. Tokens per question
#
# For the generation jobs of the period: all tokens their calls consumed (prompt + completion, retries and
# repairs included) divided by the questions they produced, and by the questions that reviewers approved.
# The gap between the two bars is the token cost of rejected questions. Prompt tokens dominate when the
# transcript windows are long; completion tokens when the model writes verbose explanations.

# %%
tokens = R.tokens_per_question(src, **window).with_columns(
    (pl.col("provider") + " / " + pl.col("model")).alias("provider_model")
)
if tokens.height:
    fig = px.bar(
        tokens.unpivot(
            index="provider_model",
            on=["tokens_per_generated", "tokens_per_approved"],
            variable_name="per",
            value_name="tokens",
        ).with_columns(pl.col("per").str.replace("tokens_per_", "per ").str.replace("_", " ")),
        x="provider_model",
        y="tokens",
        color="per",
        barmode="group",
        labels={"provider_model": "provider / model", "tokens": "tokens per question", "per": ""},
        title="Tokens per generated and per approved question",
    )
    fig.show()
    display(tokens.drop("provider_model"))
else:
    print("No generation job in the period.")

# %% [markdown]
# ## 3. Cost per approved question
#
# The figure that matters for a budget: spend divided by the questions people kept. A cheap model with a low
# approval rate can cost more per approved question than an expensive one whose questions pass. Each point is
# a generation job (size: questions generated); the table sums them per model, with the **approval rate**
# (approved / generated) and the **review approval rate** (approved / reviewed).

# %%
jobs = ai_costs.ai_job_costs(src, **window).with_columns(
    (pl.col("provider") + " / " + pl.col("model")).alias("provider_model"),
    pl.max_horizontal("generated", pl.lit(1)).alias("marker_size"),
)
if jobs.height:
    fig = px.scatter(
        jobs,
        x="cost_usd",
        y="approved",
        size="marker_size",
        color="provider_model",
        hover_data=["job_id", "status", "generated", "rejected", "rejected_candidates", "cost_per_approved"],
        labels={
            "cost_usd": "job cost (USD)",
            "approved": "questions approved",
            "provider_model": "provider / model",
        },
        title="Generation jobs: cost vs questions approved",
    )
    fig.show()
    display(A.ai_cost_per_question(src, by=("provider", "model"), **window))
else:
    print("No generation job in the period.")

# %% [markdown]
# ## 4. Approval and rejection reasons by model
#
# Two filters stand between a generated question and the students: automatic **quality gates** (schema,
# answerability, duplicates and the like: the candidate never reaches a person) and **human review**. Bars
# count outcomes per model and reason. Many gate rejections of one kind point at the prompt or the model;
# recurring reviewer reasons ("ambiguous wording", "answer not in the video") are what to fix in the prompt
# next.

# %%
reasons = R.ai_review_reasons(src, **window).with_columns(
    (pl.col("provider") + " / " + pl.col("model")).alias("provider_model"),
    (pl.col("stage").str.replace("_", " ") + ": " + pl.col("reason")).alias("why"),
)
if reasons.height:
    fig = px.bar(
        reasons,
        x="count",
        y="provider_model",
        color="why",
        orientation="h",
        facet_col="outcome",
        labels={"provider_model": "", "count": "questions", "why": "stage: reason"},
        title="Why generated questions were kept or dropped",
    )
    fig.show()
    display(reasons.select("provider", "model", "stage", "outcome", "reason", "count"))
else:
    print("No quality-gate rejections or reviews in the period.")

# %% [markdown]
# ## 5. Budget forecast
#
# The month of the period's end (or of today): actual spend per day so far, then a forecast that continues at
# the month-to-date daily run rate (dashed), against the monthly budget (red line; the tenant budget, else the
# sum of its active configurations' budgets). If the forecast crosses the budget, `exhausted_on` in the table
# says when; generation is refused once the hard limit is reached, so that is the date to act before.

# %%
as_of = datetime.combine(period.end, time(23, 59, 59), UTC) if period.end else None
burn = ai_costs.budget_burndown(src, now=as_of)
forecast = ai_costs.budget_forecast(src, now=as_of)
actual, ahead = burn.filter(~pl.col("is_forecast")), burn.filter(pl.col("is_forecast"))
fig = go.Figure()
fig.add_bar(x=actual["day"], y=actual["spend_usd"], name="daily spend", opacity=0.5)
fig.add_scatter(x=actual["day"], y=actual["cumulative_usd"], name="cumulative", mode="lines+markers")
if ahead.height:
    bridge = pl.concat([actual.tail(1), ahead])
    fig.add_scatter(
        x=bridge["day"], y=bridge["cumulative_usd"], name="forecast", mode="lines", line={"dash": "dash"}
    )
budget = forecast["budget_usd"][0]
if budget is not None:
    fig.add_hline(y=budget, line_color="red", annotation_text=f"budget ${budget:,.2f}")
fig.update_layout(title="This month's AI spend and forecast", yaxis_title="USD", xaxis_title="")
fig.show()
display(forecast)
if budget is None:
    print(
        "No monthly budget is set for this tenant (ilp ai budget set): "
        "the forecast has nothing to compare with."
    )

# %% [markdown]
# ## Notes
#
# - Spend counts settled calls only; calls still in flight (reserved) are left out.
# - Jobs are attributed to the provider and model of their configuration; `unknown` means the configuration
#   was deleted since.
# - The period limits every section except the budget forecast, which always covers one calendar month.
