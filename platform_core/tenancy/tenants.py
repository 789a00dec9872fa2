"""Provisioning tenants (an operator task, done as the schema owner) and resolving them (as the app)."""

from __future__ import annotations

import re
import uuid
from typing import Any

from sqlalchemy import Engine, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from platform_core.db.engine import owner_engine
from platform_core.db.session import unscoped_session
from platform_core.models import Tenant
from platform_core.tenancy.schemas import TenantSettings
from platform_core.validation import InvalidInput, validated_json

SLUG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


class TenantNotFound(LookupError):
    pass


def create_tenant(
    *, slug: str, name: str, settings: dict[str, Any] | None = None, engine: Engine | None = None
) -> Tenant:
    """Create a tenant. The transaction acts *as* the new tenant, so that the audit row and RLS checks hold
    even when the owner is not a superuser."""
    if not SLUG_PATTERN.match(slug):
        raise InvalidInput(
            "slug", "use 1-63 lowercase letters, digits and hyphens, starting with a letter or digit"
        )
    if not name.strip():
        raise InvalidInput("name", "must not be empty")
    tenant = Tenant(
        id=uuid.uuid4(),
        slug=slug,
        name=name.strip(),
        settings=validated_json(TenantSettings, settings or {}, root="settings"),
    )
    with Session(engine or owner_engine(), expire_on_commit=False) as session:
        session.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(tenant.id)})
        session.add(tenant)
        try:
            session.commit()
        except IntegrityError as exc:
            if "uq_tenants_slug" in str(exc.orig):
                raise InvalidInput("slug", f"a tenant named {slug!r} already exists") from exc
            raise
    return tenant


def list_tenants(*, engine: Engine | None = None) -> list[Tenant]:
    with Session(engine or owner_engine()) as session:
        return list(session.scalars(select(Tenant).order_by(Tenant.slug)))


def tenant_id_for_slug(slug: str, *, engine: Engine | None = None) -> uuid.UUID:
    """Resolve an active tenant by slug as the application role (which otherwise sees no tenant rows)."""
    with unscoped_session(engine) as session:
        tenant_id = session.execute(text("SELECT ilp_tenant_id_for_slug(:s)"), {"s": slug}).scalar()
    if tenant_id is None:
        raise TenantNotFound(f"no active tenant {slug!r}")
    return tenant_id
