"""Users of a tenant: creation and password sign-in with lockout, every outcome audited."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from platform_core.audit import AuditAction, record_event
from platform_core.db.session import TENANT_KEY, tenant_session
from platform_core.models import User, UserRole
from platform_core.tenancy.passwords import hash_password, needs_rehash, verify_password
from platform_core.tenancy.schemas import UserPreferences
from platform_core.tenancy.tenants import TenantNotFound, tenant_id_for_slug
from platform_core.validation import InvalidInput, validated_json

EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)


def create_user(
    session: Session,
    *,
    email: str,
    display_name: str,
    role: UserRole | str,
    password: str | None = None,
    preferences: dict[str, Any] | None = None,
) -> User:
    """Add a user to the session's tenant (flushes, so a duplicate email fails here, naming the field)."""
    email = email.strip()
    if not EMAIL_PATTERN.match(email):
        raise InvalidInput("email", f"not an email address: {email!r}")
    if not display_name.strip():
        raise InvalidInput("display_name", "must not be empty")
    try:
        role = UserRole(role)
    except ValueError:
        raise InvalidInput("role", f"must be one of {', '.join(r.value for r in UserRole)}") from None
    user = User(
        id=uuid.uuid4(),
        tenant_id=session.info[TENANT_KEY],
        email=email,
        display_name=display_name.strip(),
        role=role,
        password_hash=hash_password(password) if password is not None else None,
        preferences=validated_json(UserPreferences, preferences or {}, root="preferences"),
    )
    session.add(user)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        if "uq_users_tenant_email" in str(exc.orig):
            raise InvalidInput("email", f"{email!r} is already a user of this tenant") from exc
        raise
    return user


class AuthenticationFailed(Exception):
    """Sign-in refused. The message never says whether the email exists."""


@dataclass(frozen=True)
class SignedInUser:
    tenant_id: uuid.UUID
    tenant_slug: str
    user_id: uuid.UUID
    email: str
    display_name: str
    role: UserRole


def authenticate(
    *, tenant_slug: str, email: str, password: str, engine: Engine | None = None, now: datetime | None = None
) -> SignedInUser:
    """Check a password. Repeated failures lock the account for a while; success, failure and lockout
    are each audited. Raises :class:`AuthenticationFailed`."""
    now = now or datetime.now(UTC)
    try:
        tenant_id = tenant_id_for_slug(tenant_slug, engine=engine)
    except TenantNotFound:
        raise AuthenticationFailed("unknown organisation, email or password") from None
    outcome: SignedInUser | str
    with tenant_session(tenant_id, engine=engine) as session:
        user = session.scalar(
            select(User).where(func.lower(User.email) == email.strip().lower()).with_for_update()
        )
        outcome = _check(session, user, password, now, tenant_slug)
    if isinstance(outcome, str):
        raise AuthenticationFailed(outcome)
    return outcome


def _check(
    session: Session, user: User | None, password: str, now: datetime, slug: str
) -> SignedInUser | str:
    generic = "unknown organisation, email or password"
    if user is None or not user.is_active:
        record_event(
            session, AuditAction.LOGIN_FAILED, table_name="users", details={"reason": "unknown or inactive"}
        )
        return generic
    if user.locked_until is not None and user.locked_until > now:
        record_event(session, AuditAction.LOGIN_LOCKED, table_name="users", record_id=str(user.id))
        return f"account locked until {user.locked_until:%H:%M} UTC after repeated failures"
    if not verify_password(user.password_hash, password):
        user.failed_logins += 1
        details: dict[str, Any] = {"failedLogins": user.failed_logins}
        if user.failed_logins >= MAX_FAILED_LOGINS:
            user.locked_until = now + LOCKOUT
            details["lockedUntil"] = user.locked_until.isoformat()
        record_event(
            session, AuditAction.LOGIN_FAILED, table_name="users", record_id=str(user.id), details=details
        )
        return generic
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    if user.password_hash and needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    session.flush()
    session.execute(text("SELECT set_config('app.user_id', :u, true)"), {"u": str(user.id)})
    record_event(session, AuditAction.LOGIN, table_name="users", record_id=str(user.id))
    return SignedInUser(user.tenant_id, slug, user.id, user.email, user.display_name, user.role)
