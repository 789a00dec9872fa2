"""The one way to do tenant-scoped work: a transaction with the tenant and acting user set locally.

``set_config(..., true)`` makes both settings transaction-local, so nothing leaks to the next user of a
pooled connection; the Row-Level Security policies read them with
``NULLIF(current_setting('app.tenant_id', true), '')::uuid``, so a transaction without a tenant sees and
writes no tenant rows at all (fail closed).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event, text
from sqlalchemy.orm import Session, SessionTransaction

from platform_core.db.engine import app_engine

TENANT_KEY = "ilp_tenant_id"
USER_KEY = "ilp_user_id"

_SET_CONTEXT = text(
    "SELECT set_config('app.tenant_id', :tenant_id, true), set_config('app.user_id', :user_id, true)"
)


@event.listens_for(Session, "after_begin")
def _apply_tenant_context(session: Session, transaction: SessionTransaction, connection: Any) -> None:
    tenant_id = session.info.get(TENANT_KEY)
    if tenant_id is None:
        return
    user_id = session.info.get(USER_KEY)
    connection.execute(_SET_CONTEXT, {"tenant_id": str(tenant_id), "user_id": str(user_id or "")})


def _as_uuid(value: uuid.UUID | str, name: str) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError as exc:
        raise ValueError(f"{name}: not a UUID: {value!r}") from exc


@contextmanager
def tenant_session(
    tenant_id: uuid.UUID | str,
    *,
    user_id: uuid.UUID | str | None = None,
    engine: Engine | None = None,
) -> Iterator[Session]:
    """Open a unit of work for one tenant as the application role.

    Commits when the block ends normally and rolls everything back on an exception. Every transaction
    the session begins (also after an explicit ``commit()``) carries the tenant and user.
    """
    info = {TENANT_KEY: _as_uuid(tenant_id, "tenant_id")}
    if user_id is not None:
        info[USER_KEY] = _as_uuid(user_id, "user_id")
    with _unit_of_work(Session(engine or app_engine(), info=info, expire_on_commit=False)) as session:
        yield session


@contextmanager
def unscoped_session(engine: Engine | None = None) -> Iterator[Session]:
    """A unit of work without a tenant: as ``ilp_app`` it sees no tenant rows (used for tenant lookup)."""
    with _unit_of_work(Session(engine or app_engine(), expire_on_commit=False)) as session:
        yield session


@contextmanager
def _unit_of_work(session: Session) -> Iterator[Session]:
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
