"""`ilp ai config ...`: provider configurations per tenant. API keys are never taken on the command line
(shell history, process lists): ``--api-key-env VAR`` reads one from an environment variable,
``--api-key-stdin`` from standard input; listings show the masked key."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from platform_core.ai import configs, crypto
from platform_core.cli.ai.common import (
    Json,
    Tenant,
    guard,
    parse_params,
    read_key,
)
from platform_core.cli.output import console, print_json
from platform_core.db.session import tenant_session
from platform_core.models import AIProvider
from platform_core.tenancy.tenants import list_tenants, tenant_id_for_slug

config_app = typer.Typer(
    help="Provider configurations per tenant (keys encrypted, shown masked).", no_args_is_help=True
)


@config_app.command("add")
def config_add(
    tenant: Tenant,
    name: Annotated[str, typer.Option(help="A name for this configuration, unique in the tenant.")],
    provider: Annotated[str, typer.Option(help=f"One of {', '.join(p.value for p in AIProvider)}.")],
    model: Annotated[str, typer.Option(help="Model (Azure: the deployment name).")],
    base_url: Annotated[
        str | None, typer.Option(help="API base URL (compatible servers, Azure endpoint).")
    ] = None,
    api_key_env: Annotated[
        str | None, typer.Option(help="Read the API key from this environment variable.")
    ] = None,
    api_key_stdin: Annotated[bool, typer.Option(help="Read the API key from standard input.")] = False,
    monthly_budget: Annotated[
        str | None, typer.Option(help="Monthly budget of this configuration, USD.")
    ] = None,
    api_version: Annotated[str | None, typer.Option(help="Azure OpenAI API version.")] = None,
    timeout: Annotated[float, typer.Option(help="Seconds per request.")] = 60.0,
    max_retries: Annotated[int, typer.Option(help="Retries on 429, 5xx and timeouts.")] = 3,
    param: Annotated[list[str] | None, typer.Option(help="AI parameter key=value (repeatable).")] = None,
    default: Annotated[
        bool | None, typer.Option("--default/--no-default", help="Make it the default.")
    ] = None,
) -> None:
    """Add a provider configuration; the API key is encrypted before it is stored."""
    with guard():
        key = read_key(api_key_env, api_key_stdin)
        with tenant_session(tenant_id_for_slug(tenant)) as session:
            config = configs.add_config(
                session,
                name=name,
                provider=provider,
                model=model,
                base_url=base_url,
                api_version=api_version,
                api_key=key,
                params=parse_params(param),
                timeout_seconds=timeout,
                max_retries=max_retries,
                monthly_budget_usd=monthly_budget,
                make_default=default,
            )
            shown = configs.describe(config)
    console.print(
        f"added AI configuration [bold]{shown['name']}[/] ({shown['provider']}, {shown['model']}), "
        f"key {shown['apiKey'] or 'none'}{', default' if shown['default'] else ''}"
    )


@config_app.command("set")
def config_set(
    tenant: Tenant,
    name: Annotated[str, typer.Option(help="The configuration to change.")],
    model: Annotated[str | None, typer.Option(help="New model.")] = None,
    api_key_env: Annotated[
        str | None, typer.Option(help="New API key from this environment variable.")
    ] = None,
    api_key_stdin: Annotated[bool, typer.Option(help="New API key from standard input.")] = False,
    monthly_budget: Annotated[str | None, typer.Option(help="Monthly budget in USD, or 'none'.")] = None,
    timeout: Annotated[float | None, typer.Option(help="Seconds per request.")] = None,
    max_retries: Annotated[int | None, typer.Option(help="Retries on 429, 5xx and timeouts.")] = None,
    param: Annotated[list[str] | None, typer.Option(help="AI parameter key=value (repeatable).")] = None,
    default: Annotated[bool, typer.Option("--default", help="Make it the default.")] = False,
    active: Annotated[bool | None, typer.Option("--active/--inactive", help="Enable or disable it.")] = None,
) -> None:
    """Change a configuration (key, model, budget, limits, parameters, default, active)."""
    with guard():
        budget: Any = (
            configs._UNSET
            if monthly_budget is None
            else (None if monthly_budget == "none" else monthly_budget)
        )
        with tenant_session(tenant_id_for_slug(tenant)) as session:
            config = configs.update_config(
                session,
                name=name,
                api_key=read_key(api_key_env, api_key_stdin),
                model=model,
                monthly_budget_usd=budget,
                timeout_seconds=timeout,
                max_retries=max_retries,
                params=parse_params(param) or None,
                make_default=default,
                active=active,
            )
            console.print(f"updated [bold]{config.name}[/]")


@config_app.command("list")
def config_list(
    tenant: Annotated[
        str | None, typer.Option("--tenant", help="Tenant slug (default: every tenant).")
    ] = None,
    as_json: Json = False,
) -> None:
    """List configurations with the masked key."""
    with guard():
        slugs = [tenant] if tenant else [t.slug for t in list_tenants() if t.is_active]
        rows = []
        for slug in slugs:
            with tenant_session(tenant_id_for_slug(slug)) as session:
                rows += [{"tenant": slug, **configs.describe(c)} for c in configs.list_configs(session)]
    if as_json:
        print_json(rows)
        return
    table = Table(
        "tenant", "name", "provider", "model", "base url", "key", "budget/month", "default", "active"
    )
    for r in rows:
        table.add_row(
            r["tenant"],
            r["name"],
            r["provider"],
            r["model"],
            r["baseUrl"] or "",
            r["apiKey"] or "-",
            r["monthlyBudgetUsd"] or "-",
            "yes" if r["default"] else "",
            "yes" if r["active"] else "no",
        )
    console.print(table)


@config_app.command("rotate-keys")
def config_rotate_keys(
    new_key: Annotated[
        bool, typer.Option("--new-key", help="First add a fresh key to the key file.")
    ] = False,
) -> None:
    """Re-encrypt every stored API key with the newest key material (after a new key was put first)."""
    with guard():
        if new_key:
            console.print(f"new key added to {crypto.add_key_to_file()}")
        total = 0
        for t in list_tenants():
            with tenant_session(t.id) as session:
                total += configs.reencrypt_api_keys(session)
    console.print(f"re-encrypted {total} API key(s) with the newest key")
