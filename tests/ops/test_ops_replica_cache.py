"""Read replica (simulated by a second connection string) and the configuration/user cache."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from platform_core.db.replica import dispose_read_engines, read_session, read_url, replica_configured
from platform_core.db.session import tenant_session
from platform_core.models import Tenant, User
from platform_core.ops import cache
from platform_core.ops.cache import MemoryCache, RedisCache, tenant_config, user_info
from platform_core.settings import reset_settings_cache
from platform_core.tenancy.users import create_user
from tests.ops.conftest import make_learner


@pytest.fixture
def replica(database, monkeypatch) -> Iterator[str]:
    url = database.owner_url.update_query_dict({"application_name": "ilp_replica"})
    monkeypatch.setenv("DATABASE_REPLICA_URL", url.render_as_string(hide_password=False))
    reset_settings_cache()
    dispose_read_engines()
    yield "ilp_replica"
    monkeypatch.delenv("DATABASE_REPLICA_URL")
    reset_settings_cache()
    dispose_read_engines()


def test_read_session_without_replica_reads_the_primary_read_only(database) -> None:
    learner, other = make_learner("read-a"), make_learner("read-b")
    assert not replica_configured()
    with read_session(learner.tenant_id) as s:
        assert s.scalar(text("SELECT current_user")) == "ilp_app"
        assert s.scalar(text("SELECT current_setting('transaction_read_only')")) == "on"
        assert set(s.scalars(text("SELECT DISTINCT tenant_id FROM users"))) == {learner.tenant_id}
        assert s.scalar(text("SELECT count(*) FROM users WHERE tenant_id = :t"), {"t": other.tenant_id}) == 0
    with pytest.raises(DBAPIError, match="read-only transaction"), read_session(learner.tenant_id) as s:
        s.add(
            User(
                id=uuid.uuid4(),
                tenant_id=learner.tenant_id,
                email="w@x.test",
                display_name="W",
                role="student",
            )
        )
        s.flush()


def test_analytics_reads_go_to_the_replica_and_writes_never_do(replica: str) -> None:
    learner = make_learner("replica")
    assert replica_configured() and read_url().query.get("application_name") == replica
    with read_session(learner.tenant_id) as s:
        assert s.scalar(text("SELECT current_setting('application_name')")) == replica
        assert s.scalar(text("SELECT current_user")) == "ilp_app"
        assert s.scalar(text("SELECT count(*) FROM users")) == 1
    with pytest.raises(DBAPIError, match="read-only transaction"), read_session(learner.tenant_id) as s:
        s.execute(text("UPDATE users SET display_name = 'x'"))
    with tenant_session(learner.tenant_id) as s:  # writes use the primary, not the replica
        assert s.scalar(text("SELECT current_setting('application_name')")) != replica
    with pytest.raises(ValueError, match="tenant_id"):
        read_session("not-a-uuid").__enter__()


def test_memory_cache_expires_and_stays_bounded() -> None:
    now = [0.0]
    c = MemoryCache(ttl=10, max_entries=2, clock=lambda: now[0])
    c.set("a", {"x": 1})
    c.set("b", 2, ttl=100)
    assert c.get("a") == {"x": 1}
    now[0] = 11
    assert c.get("a") is None and c.get("b") == 2
    c.set("c", 3)
    c.set("d", 4)  # evicts the least recently used ("b")
    assert c.get("b") is None and c.get("c") == 3
    c.delete_prefix("c")
    assert c.get("c") is None and c.get("d") == 4
    loads = []
    assert c.get_or_load("e", lambda: loads.append(1) or "v") == "v"
    assert c.get_or_load("e", lambda: loads.append(1) or "w") == "v" and loads == [1]


def _redis() -> RedisCache:
    backend = RedisCache(os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0"),
                         namespace=f"ilp-test-{uuid.uuid4().hex[:8]}:")  # fmt: skip
    if not backend.ping():
        pytest.skip("no Redis on 127.0.0.1:6379")
    return backend


def test_redis_cache_round_trip_ttl_and_prefix_delete() -> None:
    r = _redis()
    r.set("t:1:user:a", {"name": "A"}, ttl=0.2)
    r.set("t:1:config", {"k": [1, 2]})
    r.set("t:2:config", "other")
    assert r.get("t:1:user:a") == {"name": "A"} and r.get("t:1:config") == {"k": [1, 2]}
    r.delete_prefix("t:1:")
    assert r.get("t:1:config") is None and r.get("t:2:config") == "other"
    r.delete("t:2:config")
    assert r.get("t:2:config") is None


def test_unreachable_redis_reads_through() -> None:
    down = RedisCache("redis://127.0.0.1:1/0", timeout=0.2)
    down.set("k", 1)
    assert down.get("k") is None and not down.ping()
    assert down.get_or_load("k", lambda: 5) == 5


@pytest.fixture(params=["memory", "redis"])
def backend(request) -> Iterator[cache.Cache]:
    chosen = MemoryCache() if request.param == "memory" else _redis()
    cache.set_cache(chosen)
    yield chosen
    cache.set_cache(None)


def test_lookups_are_cached_per_tenant_and_invalidated_on_write(database, backend) -> None:
    learner, other = make_learner("cache-a"), make_learner("cache-b")
    with tenant_session(learner.tenant_id) as s:
        first = user_info(s, learner.student_id)
        config = tenant_config(s)
    assert first is not None and first.display_name == "Lea Learner" and config.slug == learner.tenant.slug
    assert backend.get(cache.user_key(learner.tenant_id, learner.student_id))["email"] == first.email
    # Another tenant's session never gets this user, cached or not.
    with tenant_session(other.tenant_id) as s:
        assert user_info(s, learner.student_id) is None
    # A rolled-back change invalidates nothing; a committed one drops the entry.
    with pytest.raises(RuntimeError), tenant_session(learner.tenant_id) as s:
        s.get(User, (learner.tenant_id, learner.student_id)).display_name = "Rolled Back"
        s.flush()
        raise RuntimeError("abort")
    assert backend.get(cache.user_key(learner.tenant_id, learner.student_id)) is not None
    with tenant_session(learner.tenant_id) as s:
        s.get(User, (learner.tenant_id, learner.student_id)).display_name = "Lea Renamed"
    assert backend.get(cache.user_key(learner.tenant_id, learner.student_id)) is None
    with tenant_session(learner.tenant_id) as s:
        assert user_info(s, learner.student_id).display_name == "Lea Renamed"
        create_user(s, email=f"new@{learner.tenant.slug}.test", display_name="N", role="student")
    with tenant_session(learner.tenant_id) as s:
        s.get(Tenant, learner.tenant_id).name = "Renamed School"
    assert backend.get(cache.tenant_key(learner.tenant_id)) is None
    with tenant_session(learner.tenant_id) as s:
        assert tenant_config(s).name == "Renamed School"
