"""`ilp tenant ...` and `ilp user ...`: provisioning."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from platform_core.cli.output import console, fail, print_json
from platform_core.db.session import tenant_session
from platform_core.models import UserRole
from platform_core.tenancy.tenants import TenantNotFound, create_tenant, list_tenants, tenant_id_for_slug
from platform_core.tenancy.users import create_user
from platform_core.validation import InvalidInput

tenant_app = typer.Typer(help="Create and list tenants (organisations).", no_args_is_help=True)
user_app = typer.Typer(help="Manage users of a tenant.", no_args_is_help=True)


@tenant_app.command("create")
def tenant_create(
    slug: Annotated[str, typer.Argument(help="Short lowercase name, e.g. 'lincoln-high'.")],
    name: Annotated[str, typer.Option(help="Display name.")],
) -> None:
    """Create a tenant."""
    try:
        tenant = create_tenant(slug=slug, name=name)
    except InvalidInput as exc:
        fail(str(exc))
    console.print(f"created tenant [bold]{tenant.slug}[/] ({tenant.id})")


@tenant_app.command("list")
def tenant_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List tenants."""
    tenants = list_tenants()
    if as_json:
        print_json([{"id": t.id, "slug": t.slug, "name": t.name, "active": t.is_active} for t in tenants])
        return
    table = Table("slug", "name", "id", "active")
    for t in tenants:
        table.add_row(t.slug, t.name, str(t.id), "yes" if t.is_active else "no")
    console.print(table)


@user_app.command("create")
def user_create(
    tenant: Annotated[str, typer.Option(help="Tenant slug.")],
    email: Annotated[str, typer.Option()],
    name: Annotated[str, typer.Option(help="Display name.")],
    role: Annotated[UserRole, typer.Option()],
    password: Annotated[
        str | None, typer.Option(envvar="ILP_NEW_USER_PASSWORD", help="Password (or ILP_NEW_USER_PASSWORD).")
    ] = None,
) -> None:
    """Create a user in a tenant."""
    try:
        tenant_id = tenant_id_for_slug(tenant)
        with tenant_session(tenant_id) as session:
            user = create_user(session, email=email, display_name=name, role=role, password=password)
    except (InvalidInput, TenantNotFound, ValueError) as exc:
        fail(str(exc))
    console.print(f"created {user.role.value} [bold]{user.email}[/] ({user.id})")
