"""What every cached read shares: the :class:`Scope` in every cache key, time-to-live classes, helpers."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import polars as pl
import streamlit as st

from platform_core.db.session import tenant_session
from platform_core.models import UserRole
from platform_core.tenancy.users import SignedInUser

TTL_LIVE = 15  # review queue, health, alerts: people act on these
TTL_CONTENT = 60  # lessons, videos, questions: change when someone edits
TTL_ANALYTICS = 300  # aggregates over activity: a few minutes old is fine


@dataclass(frozen=True)
class Scope:
    tenant_id: str
    role: str

    @classmethod
    def of(cls, user: SignedInUser) -> Scope:
        return cls(str(user.tenant_id), UserRole(user.role).value)


def invalidate() -> None:
    """Forget every cached read (after a write, so the next render shows it)."""
    st.cache_data.clear()


def session_for(scope: Scope):  # -> contextmanager[Session]
    return tenant_session(scope.tenant_id)


def frame(rows: list[dict[str, Any]], schema: dict[str, Any]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=schema, orient="row") if rows else pl.DataFrame(schema=schema)


def as_uuid(value: str | uuid.UUID) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def start_of(day: date, plus_days: int = 0) -> datetime:
    return datetime.combine(day + timedelta(days=plus_days), time.min, UTC)
