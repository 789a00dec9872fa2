"""Administering users of a tenant: list, change role, (de)activate, reset password. Each change is
recorded by the audit trigger on ``users`` and, as an administrative action, by an explicit audit event."""

from __future__ import annotations

import uuid

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from platform_core.audit import AuditAction, record_event
from platform_core.models import User, UserRole
from platform_core.tenancy.passwords import hash_password
from platform_core.validation import InvalidInput

USER_COLUMNS = {
    "user_id": pl.String,
    "email": pl.String,
    "display_name": pl.String,
    "role": pl.String,
    "is_active": pl.Boolean,
    "locked": pl.Boolean,
    "last_login_at": pl.Datetime(time_zone="UTC"),
    "created_at": pl.Datetime(time_zone="UTC"),
}


def list_users(session: Session, *, role: UserRole | None = None, search: str | None = None) -> pl.DataFrame:
    """Users of the tenant, by name. Columns: user_id, email, display_name, role, is_active, locked,
    last_login_at, created_at."""
    query = select(User).order_by(User.display_name)
    if role is not None:
        query = query.where(User.role == role)
    if search:
        pattern = f"%{search.strip()}%"
        query = query.where(User.email.ilike(pattern) | User.display_name.ilike(pattern))
    rows = [
        (str(u.id), u.email, u.display_name, u.role.value, u.is_active, u.locked_until is not None,
         u.last_login_at, u.created_at)
        for u in session.scalars(query)
    ]  # fmt: skip
    return pl.DataFrame(rows, schema=USER_COLUMNS, orient="row")


def _user(session: Session, user_id: uuid.UUID) -> User:
    user = session.scalar(select(User).where(User.id == user_id).with_for_update())
    if user is None:
        raise InvalidInput("user_id", f"no user {user_id} in this organisation")
    return user


def _guard_last_admin(session: Session, user: User) -> None:
    if user.role != UserRole.ADMIN:
        return
    admins = session.scalars(select(User.id).where(User.role == UserRole.ADMIN, User.is_active)).all()
    if admins == [user.id]:
        raise InvalidInput("user_id", "the organisation must keep at least one active admin")


def set_role(session: Session, *, user_id: uuid.UUID, role: UserRole | str) -> User:
    try:
        new_role = UserRole(role)
    except ValueError:
        raise InvalidInput("role", f"must be one of {', '.join(r.value for r in UserRole)}") from None
    user = _user(session, user_id)
    if new_role != UserRole.ADMIN:
        _guard_last_admin(session, user)
    previous, user.role = user.role, new_role
    record_event(
        session, AuditAction.ADMIN_ACTION, table_name="users", record_id=str(user_id),
        details={"change": "role", "from": previous.value, "to": new_role.value},
    )  # fmt: skip
    return user


def set_active(session: Session, *, user_id: uuid.UUID, active: bool) -> User:
    user = _user(session, user_id)
    if not active:
        _guard_last_admin(session, user)
    user.is_active = active
    record_event(
        session, AuditAction.ADMIN_ACTION, table_name="users", record_id=str(user_id),
        details={"change": "activate" if active else "deactivate"},
    )  # fmt: skip
    return user


def reset_password(session: Session, *, user_id: uuid.UUID, new_password: str) -> User:
    user = _user(session, user_id)
    try:
        user.password_hash = hash_password(new_password)
    except ValueError as exc:
        raise InvalidInput("new_password", str(exc).split(": ", 1)[-1]) from None
    user.failed_logins = 0
    user.locked_until = None
    record_event(
        session, AuditAction.ADMIN_ACTION, table_name="users", record_id=str(user_id),
        details={"change": "password reset"},
    )  # fmt: skip
    return user
