"""Caching of configuration and user lookups: Redis when ``REDIS_URL`` is set, else in-process with TTL.

Keys always contain the tenant, so a cached value can never answer another tenant's lookup. Values are
JSON. Writes invalidate: every ORM flush that changes a user, a tenant or an AI configuration drops the
matching keys when its transaction commits (rolled-back changes drop nothing); code that writes with
plain SQL calls :func:`invalidate_user` / :func:`invalidate_tenant` itself. A TTL bounds staleness for
writers outside this process that do neither. When Redis is unreachable, lookups fall through to the
database (a cache must never make the platform fail).
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from platform_core.models import AIConfig, Tenant, User, UserRole
from platform_core.settings import get_settings

log = logging.getLogger(__name__)
DEFAULT_TTL = 300.0
PREFIX = "ilp:"


class Cache(ABC):
    """A small key-value cache of JSON values with a time to live."""

    @abstractmethod
    def get(self, key: str) -> Any | None: ...

    @abstractmethod
    def set(self, key: str, value: Any, *, ttl: float | None = None) -> None: ...

    @abstractmethod
    def delete(self, *keys: str) -> None: ...

    @abstractmethod
    def delete_prefix(self, prefix: str) -> None: ...

    def get_or_load(self, key: str, load: Callable[[], Any], *, ttl: float | None = None) -> Any:
        value = self.get(key)
        if value is None:
            value = load()
            if value is not None:
                self.set(key, value, ttl=ttl)
        return value


class MemoryCache(Cache):
    """Per-process, thread-safe, bounded (least recently used entries go first)."""

    def __init__(
        self,
        *,
        ttl: float = DEFAULT_TTL,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl, self.max_entries, self._clock = ttl, max_entries, clock
        self._data: OrderedDict[str, tuple[float, str]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> Any | None:
        with self._lock:
            item = self._data.get(key)
            if item is None:
                return None
            expires, payload = item
            if expires <= self._clock():
                del self._data[key]
                return None
            self._data.move_to_end(key)
            return json.loads(payload)

    def set(self, key: str, value: Any, *, ttl: float | None = None) -> None:
        payload = json.dumps(value, default=str)
        with self._lock:
            self._data[key] = (self._clock() + (ttl or self.ttl), payload)
            self._data.move_to_end(key)
            while len(self._data) > self.max_entries:
                self._data.popitem(last=False)

    def delete(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._data.pop(key, None)

    def delete_prefix(self, prefix: str) -> None:
        with self._lock:
            for key in [k for k in self._data if k.startswith(prefix)]:
                del self._data[key]


class RedisCache(Cache):
    """Shared by every process using the same Redis; ``namespace`` separates deployments (and tests)."""

    def __init__(
        self, url: str, *, ttl: float = DEFAULT_TTL, namespace: str = PREFIX, timeout: float = 0.5
    ) -> None:
        import redis

        self.ttl, self.namespace = ttl, namespace
        self._redis = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
        self._errors = (redis.RedisError, OSError)

    def _key(self, key: str) -> str:
        return self.namespace + key

    def get(self, key: str) -> Any | None:
        try:
            payload = self._redis.get(self._key(key))
        except self._errors as exc:
            log.warning("redis get failed, reading through: %s", exc)
            return None
        return json.loads(payload) if payload is not None else None

    def set(self, key: str, value: Any, *, ttl: float | None = None) -> None:
        try:
            self._redis.set(self._key(key), json.dumps(value, default=str), px=int((ttl or self.ttl) * 1000))
        except self._errors as exc:
            log.warning("redis set failed: %s", exc)

    def delete(self, *keys: str) -> None:
        if not keys:
            return
        try:
            self._redis.delete(*(self._key(k) for k in keys))
        except self._errors as exc:
            log.warning("redis delete failed: %s", exc)

    def delete_prefix(self, prefix: str) -> None:
        try:
            batch = [k for k in self._redis.scan_iter(match=self._key(prefix) + "*", count=500)]
            if batch:
                self._redis.delete(*batch)
        except self._errors as exc:
            log.warning("redis prefix delete failed: %s", exc)

    def ping(self) -> bool:
        try:
            return bool(self._redis.ping())
        except self._errors:
            return False


_cache: Cache | None = None
_cache_lock = threading.Lock()


def get_cache() -> Cache:
    """The process-wide cache: Redis when ``REDIS_URL`` is set, else in-process."""
    global _cache
    with _cache_lock:
        if _cache is None:
            url = get_settings().redis_url
            _cache = RedisCache(url) if url else MemoryCache()
        return _cache


def set_cache(cache: Cache | None) -> None:
    """Replace the process-wide cache (None: choose again from the settings on next use)."""
    global _cache
    with _cache_lock:
        _cache = cache


# ----------------------------------------------------------------------------------- cached lookups
class TenantConfig(BaseModel):
    id: uuid.UUID
    slug: str
    name: str
    is_active: bool
    settings: dict[str, Any]


class UserInfo(BaseModel):
    id: uuid.UUID
    tenant_id: uuid.UUID
    email: str
    display_name: str
    role: UserRole
    is_active: bool


def tenant_key(tenant_id: uuid.UUID) -> str:
    return f"t:{tenant_id}:config"


def user_key(tenant_id: uuid.UUID, user_id: uuid.UUID) -> str:
    return f"t:{tenant_id}:user:{user_id}"


def tenant_config(session: Session, *, ttl: float | None = None) -> TenantConfig | None:
    """The session tenant's configuration (name, slug, settings), cached."""
    from platform_core.db.session import TENANT_KEY

    tenant_id = session.info[TENANT_KEY]

    def load() -> dict[str, Any] | None:
        tenant = session.get(Tenant, tenant_id)
        if tenant is None:
            return None
        return TenantConfig.model_validate(tenant, from_attributes=True).model_dump(mode="json")

    found = get_cache().get_or_load(tenant_key(tenant_id), load, ttl=ttl)
    return TenantConfig.model_validate(found) if found else None


def user_info(session: Session, user_id: uuid.UUID, *, ttl: float | None = None) -> UserInfo | None:
    """A user of the session's tenant (no password hash, no preferences), cached."""
    from platform_core.db.session import TENANT_KEY

    tenant_id = session.info[TENANT_KEY]

    def load() -> dict[str, Any] | None:
        user = session.scalar(select(User).where(User.tenant_id == tenant_id, User.id == user_id))
        if user is None:
            return None
        return UserInfo.model_validate(user, from_attributes=True).model_dump(mode="json")

    found = get_cache().get_or_load(user_key(tenant_id, user_id), load, ttl=ttl)
    return UserInfo.model_validate(found) if found else None


def invalidate_user(tenant_id: uuid.UUID, user_id: uuid.UUID) -> None:
    get_cache().delete(user_key(tenant_id, user_id))


def invalidate_tenant(tenant_id: uuid.UUID) -> None:
    """Drop everything cached for the tenant (its configuration and its users)."""
    get_cache().delete_prefix(f"t:{tenant_id}:")


# ------------------------------------------------------------------------------- invalidation on write
_PENDING = "ilp_cache_invalidations"


@event.listens_for(Session, "after_flush")
def _collect(session: Session, _flush_context: Any) -> None:
    keys: set[tuple[str, uuid.UUID, uuid.UUID | None]] = session.info.setdefault(_PENDING, set())
    for obj in [*session.new, *session.dirty, *session.deleted]:
        if isinstance(obj, User):
            keys.add(("user", obj.tenant_id, obj.id))
        elif isinstance(obj, Tenant):
            keys.add(("tenant", obj.id, None))
        elif isinstance(obj, AIConfig):
            keys.add(("tenant", obj.tenant_id, None))


@event.listens_for(Session, "after_commit")
def _invalidate(session: Session) -> None:
    for kind, tenant_id, user_id in session.info.pop(_PENDING, set()):
        if kind == "user" and user_id is not None:
            invalidate_user(tenant_id, user_id)
        else:
            invalidate_tenant(tenant_id)


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_PENDING, None)
