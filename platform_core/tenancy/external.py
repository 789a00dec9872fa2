"""Sign-in through an external identity provider (OpenID Connect): the provider vouches for the email,
the tenant decides who that email is. Same rules and audit trail as a password sign-in, minus the password."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine

from platform_core.audit import AuditAction, record_event
from platform_core.db.session import tenant_session
from platform_core.models import User
from platform_core.tenancy.tenants import TenantNotFound, tenant_id_for_slug
from platform_core.tenancy.users import AuthenticationFailed, SignedInUser


def authenticate_external(
    *,
    tenant_slug: str,
    email: str,
    provider: str,
    engine: Engine | None = None,
    now: datetime | None = None,
) -> SignedInUser:
    """Map an email verified by ``provider`` to an active, unlocked user of the tenant.

    Success is audited as ``LOGIN`` and failure as ``LOGIN_FAILED`` (both with ``{"method": "oidc"}``);
    raises :class:`AuthenticationFailed` with a message that never says whether the email exists.
    """
    now = now or datetime.now(UTC)
    try:
        tenant_id = tenant_id_for_slug(tenant_slug.strip(), engine=engine)
    except TenantNotFound:
        raise AuthenticationFailed(f"no organisation {tenant_slug!r} accepts this sign-in") from None
    details = {"method": "oidc", "provider": provider}
    outcome: SignedInUser | str
    with tenant_session(tenant_id, engine=engine) as session:
        user = session.scalar(
            select(User).where(func.lower(User.email) == email.strip().lower()).with_for_update()
        )
        if user is None or not user.is_active:
            record_event(session, AuditAction.LOGIN_FAILED, table_name="users", details=details)
            outcome = f"{email} is not an active user of organisation {tenant_slug!r}"
        elif user.locked_until is not None and user.locked_until > now:
            record_event(
                session, AuditAction.LOGIN_LOCKED, table_name="users", record_id=str(user.id), details=details
            )
            outcome = f"account locked until {user.locked_until:%H:%M} UTC"
        else:
            user.last_login_at = now
            session.flush()
            session.execute(text("SELECT set_config('app.user_id', :u, true)"), {"u": str(user.id)})
            record_event(
                session, AuditAction.LOGIN, table_name="users", record_id=str(user.id), details=details
            )
            outcome = SignedInUser(
                user.tenant_id, tenant_slug, user.id, user.email, user.display_name, user.role
            )
    if isinstance(outcome, str):
        raise AuthenticationFailed(outcome)
    return outcome
