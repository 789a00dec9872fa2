"""What the ``ilp ai`` command modules share: the ``ai`` group itself, option types, error handling."""

from __future__ import annotations

import json
import os
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import func, select

from platform_core.ai import configs, crypto
from platform_core.cli.output import errors, fail
from platform_core.db.session import tenant_session
from platform_core.models import User
from platform_core.tenancy.tenants import TenantNotFound
from platform_core.validation import InvalidInput

app = typer.Typer(
    help="AI question generation: providers, jobs, cost ledger, budgets, review.", no_args_is_help=True
)


Tenant = Annotated[str, typer.Option("--tenant", help="Tenant slug.")]
Json = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
Reviewer = Annotated[str | None, typer.Option("--reviewer", help="Email of the reviewing teacher or admin.")]
EXPECTED = (
    InvalidInput,
    TenantNotFound,
    configs.ConfigNotFound,
    crypto.SecretKeyError,
    ValueError,
    LookupError,
)


@contextmanager
def guard() -> Iterator[None]:
    try:
        yield
    except EXPECTED as exc:
        fail(str(exc))


def progress_bar() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=errors,
    )


def parse_params(values: list[str] | None) -> dict[str, Any]:
    """``key=value`` pairs; values are read as JSON when they parse (numbers, lists), else as text."""
    out: dict[str, Any] = {}
    for item in values or []:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise InvalidInput("param", f"expected key=value, got {item!r}")
        try:
            out[key.strip()] = json.loads(raw)
        except json.JSONDecodeError:
            out[key.strip()] = raw
    return out


def read_key(env_var: str | None, stdin: bool) -> str | None:
    if env_var and stdin:
        raise InvalidInput("api_key", "give --api-key-env or --api-key-stdin, not both")
    if env_var:
        value = os.environ.get(env_var, "").strip()
        if not value:
            raise InvalidInput("api_key_env", f"environment variable {env_var} is not set or empty")
        return value
    if stdin:
        value = sys.stdin.readline().strip()
        if not value:
            raise InvalidInput("api_key", "nothing on standard input")
        return value
    return None


def user_id_for(tenant_id: uuid.UUID, email: str | None) -> uuid.UUID | None:
    if email is None:
        return None
    with tenant_session(tenant_id) as session:
        user_id = session.scalar(select(User.id).where(func.lower(User.email) == email.strip().lower()))
    if user_id is None:
        raise InvalidInput("reviewer", f"no user {email!r} in this tenant")
    return user_id
