"""`ilp ai prices ...`: the versioned price table (USD per million tokens)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.table import Table

from platform_core.ai import pricing
from platform_core.cli.ai.common import (
    Json,
    guard,
)
from platform_core.cli.output import console, print_json
from platform_core.db.session import unscoped_session

prices_app = typer.Typer(help="The versioned price table (USD per million tokens).", no_args_is_help=True)


@prices_app.command("list")
def prices_list(
    current: Annotated[bool, typer.Option(help="Only prices in force now.")] = False, as_json: Json = False
) -> None:
    """The price table (every version unless --current)."""
    with guard(), unscoped_session() as session:  # a shared table: readable without a tenant
        rows = [
            {
                "provider": p.provider.value,
                "model": p.model,
                "effective_from": p.effective_from.isoformat(),
                "input_usd_per_mtok": f"{p.input_usd_per_mtok:f}",
                "cached_input_usd_per_mtok": None
                if p.cached_input_usd_per_mtok is None
                else f"{p.cached_input_usd_per_mtok:f}",
                "output_usd_per_mtok": f"{p.output_usd_per_mtok:f}",
                "notes": p.notes,
            }
            for p in pricing.list_prices(session, current_only=current)
        ]
    if as_json:
        print_json(rows)
        return
    table = Table(
        "provider", "model", "from", "input", "cached input", "output", "notes", title="USD per 1M tokens"
    )
    for r in rows:
        table.add_row(
            r["provider"],
            r["model"],
            r["effective_from"][:10],
            r["input_usd_per_mtok"],
            r["cached_input_usd_per_mtok"] or "-",
            r["output_usd_per_mtok"],
            r["notes"] or "",
        )
    console.print(table)


@prices_app.command("add")
def prices_add(
    provider: Annotated[str, typer.Option()],
    model: Annotated[str, typer.Option()],
    input_price: Annotated[str, typer.Option("--input", help="USD per million input tokens.")],
    output_price: Annotated[str, typer.Option("--output", help="USD per million output tokens.")],
    cached_input: Annotated[str | None, typer.Option(help="USD per million cached input tokens.")] = None,
    effective_from: Annotated[str | None, typer.Option(help="ISO date/time (default: now).")] = None,
    notes: Annotated[str | None, typer.Option(help="Source of the price.")] = None,
) -> None:
    """Add a price version (operator task, as the database owner)."""
    with guard():
        since = None
        if effective_from:
            since = datetime.fromisoformat(effective_from)
            since = since if since.tzinfo else since.replace(tzinfo=UTC)
        row = pricing.add_price(
            provider=provider,
            model=model,
            input_usd_per_mtok=input_price,
            output_usd_per_mtok=output_price,
            cached_input_usd_per_mtok=cached_input,
            effective_from=since,
            notes=notes,
        )
    console.print(
        f"price for {row.provider.value}/{row.model} from {row.effective_from:%Y-%m-%d %H:%M} added"
    )


@prices_app.command("seed")
def prices_seed() -> None:
    """Add the default (dated) price rows that are missing."""
    with guard():
        added = pricing.seed_default_prices()
    console.print(f"{added} default price row(s) added ({len(pricing.DEFAULT_PRICES)} known)")
