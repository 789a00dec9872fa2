"""`ilp ai ...`: provider configurations, generation jobs, usage and budgets, review, prices.

One module per command group; :mod:`.common` holds the ``ai`` group and what the groups share.
"""

from platform_core.cli.ai import generation as _generation  # registers generate, jobs and usage on ``app``
from platform_core.cli.ai.common import app
from platform_core.cli.ai.configs import config_app
from platform_core.cli.ai.prices import prices_app
from platform_core.cli.ai.reviewing import review_app

app.add_typer(config_app, name="config")
app.add_typer(review_app, name="review")
app.add_typer(prices_app, name="prices")
app.add_typer(_generation.budget_app, name="budget")

__all__ = ["app"]
