"""Monthly partitions: created ahead or on demand, idempotent, safe under concurrency."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from platform_core.db.session import tenant_session
from platform_core.models import AnalyticsEvent
from platform_core.tenancy.users import create_user
from tests.factories import new_tenant


def _partitions(database, parent: str) -> set[str]:
    with database.owner().connect() as conn:
        return set(
            conn.execute(
                text(
                    "SELECT inhrelid::regclass::text FROM pg_inherits WHERE inhparent = CAST(:p AS regclass)"
                ),
                {"p": parent},
            ).scalars()
        )


def _ensure(engine, parent: str, start: str, end: str) -> int:
    with engine.begin() as conn:
        return conn.execute(
            text("SELECT ilp_ensure_month_partitions(:p, CAST(:a AS timestamptz), CAST(:b AS timestamptz))"),
            {"p": parent, "a": start, "b": end},
        ).scalar_one()


def test_creates_each_month_once(database) -> None:
    assert _ensure(database.owner(), "analytics_events", "2019-01-15", "2019-03-02") == 3
    assert _ensure(database.owner(), "analytics_events", "2019-01-01", "2019-03-31") == 0
    assert {
        "analytics_events_p2019_01",
        "analytics_events_p2019_02",
        "analytics_events_p2019_03",
    } <= _partitions(database, "analytics_events")


def test_concurrent_creators_do_not_collide(database) -> None:
    errors: list[BaseException] = []
    created: list[int] = []

    def work() -> None:
        try:
            created.append(_ensure(database.owner(), "audit_logs", "2018-01-01", "2018-12-31"))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sum(created) == 12


def test_rejects_other_tables_and_bad_ranges(database) -> None:
    with pytest.raises(DBAPIError, match="not a time-partitioned table"):
        _ensure(database.owner(), "users", "2020-01-01", "2020-02-01")
    with pytest.raises(DBAPIError, match="invalid partition range"):
        _ensure(database.owner(), "audit_logs", "2020-02-01", "2020-01-01")


def test_application_can_make_the_partition_its_events_need(database) -> None:
    tenant = new_tenant("parts")
    with tenant_session(tenant.tenant_id) as s:
        student = create_user(s, email="s@x.test", display_name="S", role="student")
    old = datetime(2017, 6, 15, 12, tzinfo=UTC)
    event = {"tenant_id": tenant.tenant_id, "occurred_at": old, "user_id": student.id, "type": "login"}
    with pytest.raises(DBAPIError, match="no partition"), tenant_session(tenant.tenant_id) as s:
        s.add(AnalyticsEvent(id=uuid.uuid4(), **event))
    assert _ensure(database.app(), "analytics_events", old.isoformat(), old.isoformat()) == 1
    with tenant_session(tenant.tenant_id) as s:
        s.add(AnalyticsEvent(id=uuid.uuid4(), **event))
    assert "analytics_events_p2017_06" in _partitions(database, "analytics_events")
