"""Event ingest: storage, quarantine with reasons, idempotency, partitions, tenancy, concurrency, CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from platform_core.activity.ingest import BatchResult, IngestReport, ingest_events
from platform_core.activity.ingest_batch import ensure_partitions
from tests.activity_db.conftest import T0, Player, School, make_school, scripted_viewing


def event(school: School, kind: str = "login", at: float = 0, student: int = 0, **overrides: Any) -> dict:
    raw = {
        "id": str(uuid.uuid4()),
        "type": kind,
        "occurred_at": (T0 + timedelta(seconds=at)).isoformat(),
        "user_id": str(school.students[student]),
        "data": {},
    }
    raw.update(overrides)
    return raw


def quarantine(school: School) -> list[dict[str, Any]]:
    with school.session() as s:
        rows = s.execute(text("SELECT event_id, field, reason, payload, source FROM event_quarantine"))
        return [dict(r._mapping) for r in rows]


@pytest.mark.parametrize("batch_size", [5000, 1, 3], ids=["one-batch", "single-events", "checked-ahead"])
def test_valid_events_are_stored_and_invalid_ones_quarantined_with_reasons(
    school: School, batch_size: int
) -> None:
    """Small batches are checked against the users and videos already known while the previous batch is
    being inserted: the reasons are the same whatever the batch size."""
    other = make_school("stranger")
    good = [event(school, "login"), event(school, "page_view", 1, data={"path": "/lessons"})]
    video = str(school.video_id)
    bad = [
        {
            "id": "not-a-uuid",
            "type": "login",
            "occurred_at": T0.isoformat(),
            "user_id": str(school.students[0]),
        },
        event(school, "teleport"),
        event(school, "video_play", data={"video_id": video}),
        event(school, occurred_at="2025-03-01T09:00:00"),
        {**event(school), "tenant_id": str(other.tenant_id)},
        event(school, user_id=str(other.students[0])),
        event(school, user_id=str(uuid.uuid4())),
        event(school, "video_play", data={"video_id": str(other.video_id), "position": 3}),
        event(school, "video_play", data={"video_id": video, "position": 130}),
        event(school, "video_seek", data={"video_id": video, "from": 10, "to": 121}),
        event(school, occurred_at=(datetime.now(UTC) + timedelta(days=3)).isoformat()),
        event(school, data={"note": "a\x00b"}),
        event(school, data={"score": float("nan")}),
        ["not", "an", "object"],
    ]
    report = ingest_events(school.tenant_id, events=[*good, *bad], source="unit", batch_size=batch_size)
    assert (report.received, report.stored, report.duplicates, report.quarantined) == (16, 2, 0, 14)
    expected = {
        "id: must be a UUID",
        "type: unknown event type 'teleport'",
        "data.position: required",
        "occurred_at: must include a timezone offset (e.g. 2025-01-31T12:00:00Z), naive is ambiguous",
        "tenant_id: not accepted: the tenant is the one the batch is ingested for",
        f"user_id: {other.students[0]} is not a user of this tenant",
        f"data.video_id: {other.video_id} is not a video of this tenant",
        "data.position: 130.000 s is past the end of the video (120.000 s)",
        "data.to: 121.000 s is past the end of the video (120.000 s)",
        "occurred_at: is more than 24 hours in the future (device clock?)",
        "data: must not contain the NUL character",
        "data: must not contain NaN or Infinity (not valid JSON)",
        "$: an event must be a JSON object, not list",
    }
    assert expected <= set(report.reasons)
    assert [s.index for s in report.samples] == list(range(2, 16))
    rows = quarantine(school)
    assert len(rows) == 14 and {r["source"] for r in rows} == {"unit"}
    by_field = {(r["field"], r["event_id"]) for r in rows}
    assert ("id", "not-a-uuid") in by_field
    teleport = next(r for r in rows if r["reason"].startswith("unknown event type"))
    assert teleport["payload"] == bad[1]  # kept verbatim
    assert next(r for r in rows if r["field"] == "$")["payload"] == {"value": ["not", "an", "object"]}
    nul = next(r for r in rows if "NUL" in r["reason"])
    assert nul["payload"]["data"]["note"] == "a\ufffdb"  # stored, made representable
    assert school.count("SELECT count(*) FROM analytics_events") == 2


def test_replaying_a_batch_stores_nothing_new(school: School) -> None:
    phone, laptop = scripted_viewing(school)
    items = [*phone.events, *laptop.events, event(school, "teleport"), {"junk": True}]
    first = ingest_events(school.tenant_id, events=items, batch_size=7)
    assert (first.stored, first.quarantined) == (len(items) - 2, 2)
    with school.session() as s:
        before = s.execute(
            text(
                "SELECT (SELECT count(*) FROM analytics_events), (SELECT count(*) FROM event_quarantine), "
                "(SELECT string_agg(tracker_state::text, '') FROM student_progress)"
            )
        ).one()
    again = ingest_events(school.tenant_id, events=items, batch_size=5)
    assert (again.stored, again.duplicates, again.quarantined) == (0, len(items) - 2, 2)
    assert again.progress_pairs == 0
    with school.session() as s:
        after = s.execute(
            text(
                "SELECT (SELECT count(*) FROM analytics_events), (SELECT count(*) FROM event_quarantine), "
                "(SELECT string_agg(tracker_state::text, '') FROM student_progress)"
            )
        ).one()
    assert tuple(after) == tuple(before)


def test_an_id_resent_with_another_time_or_content_is_not_stored_twice(school: School) -> None:
    original = event(school, "page_view", data={"path": "/a"})
    ingest_events(school.tenant_id, events=[original])
    moved = {**original, "occurred_at": "2024-07-15T10:00:00+00:00"}  # another month, another partition
    changed = {**original, "data": {"path": "/b"}}
    report = ingest_events(school.tenant_id, events=[moved, changed])
    assert report.quarantined == 1  # the same id twice in one batch with different content: ambiguous
    assert report.stored == 0 and report.duplicates == 1
    report = ingest_events(school.tenant_id, events=[changed])
    assert (report.stored, report.duplicates) == (0, 1)
    with school.session() as s:
        rows = s.execute(
            text("SELECT occurred_at, data FROM analytics_events WHERE id = :i"), {"i": original["id"]}
        )
        assert [r.data for r in rows] == [{"path": "/a", "referrer": None}]


def test_identical_resends_inside_a_batch_count_as_duplicates(school: School) -> None:
    e = event(school)
    report = ingest_events(school.tenant_id, events=[e, dict(e), dict(e)])
    assert (report.stored, report.duplicates, report.quarantined) == (1, 2, 0)


def test_partitions_are_created_for_the_months_a_batch_needs(school: School, owner_conn) -> None:
    old = event(school, occurred_at="2017-02-11T23:30:00-05:00")  # 2017-02-12 04:30 UTC
    report = ingest_events(school.tenant_id, events=[old])
    assert report.stored == 1
    exists = owner_conn.execute(text("SELECT to_regclass('analytics_events_p2017_02')")).scalar()
    assert exists is not None
    with school.session() as s:
        assert s.execute(text("SELECT count(*) FROM analytics_events")).scalar_one() == 1


def test_a_partition_archived_since_is_made_again(school: School, owner_conn) -> None:
    first = event(school, occurred_at="2016-05-10T12:00:00+00:00")
    assert ingest_events(school.tenant_id, events=[first]).stored == 1  # this process now knows 2016-05
    owner_conn.execute(text("ALTER TABLE analytics_events DETACH PARTITION analytics_events_p2016_05"))
    owner_conn.execute(text("DROP TABLE analytics_events_p2016_05"))
    owner_conn.commit()
    second = event(school, occurred_at="2016-05-20T12:00:00+00:00")
    assert ingest_events(school.tenant_id, events=[second]).stored == 1
    assert school.count("SELECT count(*) FROM analytics_events WHERE occurred_at < '2017-01-01'") == 1


def test_ids_are_idempotency_keys_within_a_tenant_only(school: School) -> None:
    other = make_school("twin")
    mine = event(school)
    theirs = {**mine, "user_id": str(other.students[0])}  # same id, another tenant: another event
    assert ingest_events(school.tenant_id, events=[mine]).stored == 1
    assert ingest_events(other.tenant_id, events=[theirs]).stored == 1
    assert ingest_events(other.tenant_id, events=[mine]).quarantined == 1  # not a user of that tenant
    with other.session() as s:
        assert s.execute(text("SELECT count(*) FROM analytics_events")).scalar_one() == 1
        assert s.execute(text("SELECT user_id FROM analytics_events")).scalar_one() == other.students[0]


def test_inside_a_callers_session_nothing_is_stored_until_it_commits(school: School) -> None:
    events = [event(school, at=k) for k in range(5)]
    with pytest.raises(RuntimeError, match="caller failed"), school.session() as s:
        assert ingest_events(s, events=events, batch_size=2).stored == 5
        assert s.execute(text("SELECT count(*) FROM analytics_events")).scalar_one() == 5
        raise RuntimeError("caller failed")
    assert school.count("SELECT count(*) FROM analytics_events") == 0
    with school.session() as s:
        ingest_events(s, events=events, batch_size=2)
    assert school.count("SELECT count(*) FROM analytics_events") == 5


def test_on_batch_reports_each_commit_with_the_stored_ids(school: School) -> None:
    events = [event(school, at=k) for k in range(10)]
    seen: list[BatchResult] = []

    def check(result: BatchResult) -> None:  # called after the commit: another session sees the rows
        with school.session() as s:
            stored = s.execute(
                text("SELECT count(*) FROM analytics_events WHERE id = ANY(CAST(:ids AS uuid[]))"),
                {"ids": result.stored_ids},
            ).scalar_one()
        assert stored == len(result.stored_ids)
        seen.append(result)

    ingest_events(school.tenant_id, events=events, batch_size=4, on_batch=check)
    assert [(b.start, b.size, len(b.stored_ids)) for b in seen] == [(0, 4, 4), (4, 4, 4), (8, 2, 2)]
    assert {str(i) for b in seen for i in b.stored_ids} == {e["id"] for e in events}


def test_concurrent_ingests_of_overlapping_batches_store_each_id_once(database) -> None:
    school = make_school("race", students=20)
    events = [event(school, "page_view", at=k, student=k % 20, data={"path": f"/{k}"}) for k in range(400)]
    # every writer sends the same ids, some with another occurred_at (as a buggy client would)
    variants = [
        [
            e if (k + w) % 3 else {**e, "occurred_at": "2024-11-05T08:00:00+00:00"}
            for k, e in enumerate(events)
        ]
        for w in range(4)
    ]
    reports, errors = [], []

    def run(items: list[dict], size: int) -> None:
        try:
            reports.append(ingest_events(school.tenant_id, events=items, batch_size=size))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [
        threading.Thread(target=run, args=(v, size))
        for v, size in zip(variants, [10, 37, 400, 5], strict=True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sum(r.stored for r in reports) == 400
    assert sum(r.duplicates for r in reports) == 3 * 400
    assert school.count("SELECT count(*) FROM analytics_events") == 400
    assert school.count("SELECT count(DISTINCT id) FROM analytics_events") == 400


def test_an_id_stored_meanwhile_by_another_users_batch_counts_as_a_duplicate(school: School) -> None:
    """The one race the advisory locks leave open (one id sent for two users at once) fails on the primary
    key; the batch is run again and the id counts as a duplicate, nothing else is lost."""
    taken = event(school, "page_view", student=1, data={"path": "/other"})
    mine = [{**taken, "user_id": str(school.students[0]), "data": {"path": "/mine"}}]
    mine.append(event(school, "page_view", at=1, data={"path": "/next"}))
    with school.session() as s:
        ensure_partitions(s, [T0])  # beforehand: creating one locks the parent table until commit
    with school.session() as blocker:  # holds the conflicting row, uncommitted, while ingest inserts
        blocker.execute(
            text(
                "INSERT INTO analytics_events (tenant_id, id, occurred_at, user_id, type, data, context) "
                "VALUES (:t, :i, :at, :u, 'page_view', CAST(:d AS jsonb), '{}')"
            ),
            {
                "t": school.tenant_id,
                "i": taken["id"],
                "at": taken["occurred_at"],
                "u": taken["user_id"],
                "d": json.dumps(taken["data"]),
            },
        )
        outcome: list[Any] = []

        def ingest() -> None:
            try:
                outcome.append(ingest_events(school.tenant_id, events=mine))
            except BaseException as exc:  # pragma: no cover - reported below
                outcome.append(exc)

        worker = threading.Thread(target=ingest)
        worker.start()
        worker.join(1.0)
        assert worker.is_alive(), "the insert waits for the uncommitted row with the same key"
    worker.join(30)
    (report,) = outcome
    assert isinstance(report, IngestReport), report
    assert (report.stored, report.duplicates, report.quarantined) == (1, 1, 0)
    assert school.count("SELECT count(*) FROM analytics_events") == 2
    with school.session() as s:
        kept = s.execute(text("SELECT data FROM analytics_events WHERE id = :i"), {"i": taken["id"]})
        assert kept.scalar_one() == {"path": "/other"}, "the row stored first stays as it was"


def test_progress_is_folded_once_for_many_students_in_one_batch(database) -> None:
    school = make_school("many", students=30)
    items = []
    for k in range(30):
        p = Player(school.students[k], school.video_id)
        p.watch(0, 10 + k, at=0)
        items += p.events
    report = ingest_events(school.tenant_id, events=items)
    assert report.progress_pairs == 30 and report.stored == len(items)
    with school.session() as s:
        rows = s.execute(text("SELECT student_id, watched_seconds FROM student_progress")).all()
    watched = {r.student_id: r.watched_seconds for r in rows}
    assert watched == {school.students[k]: float(10 + k) for k in range(30)}


def _ilp(*args: str, url: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "platform_core.cli.main", *args],
        env={**os.environ, "DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=300,
        input=stdin,
        check=False,
    )


@pytest.mark.slow
def test_cli_ingest_counts_and_replay(database, tmp_path: Path) -> None:
    school = make_school("cli")
    phone, laptop = scripted_viewing(school)
    lines = [json.dumps(e) for e in [*phone.events, *laptop.events]]
    lines += ["{not json", json.dumps(event(school, "teleport")), ""]
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    done = _ilp(
        "ingest", str(path), "--tenant", school.slug, "--json", "--batch-size", "5", url=database.url_string
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    total = len(phone.events) + len(laptop.events)
    assert (report["stored"], report["duplicates"], report["quarantined"]) == (total, 0, 2)
    assert any(reason.startswith("$: line") and "not JSON" in reason for reason in report["reasons"])
    again = _ilp("ingest", str(path), "--tenant", school.slug, url=database.url_string)
    assert again.returncode == 0, again.stderr
    assert "stored" in again.stdout and "quarantined" in again.stdout
    replay = _ilp(
        "ingest", "-", "--tenant", school.slug, "--json", url=database.url_string, stdin="\n".join(lines)
    )
    assert json.loads(replay.stdout)["stored"] == 0
    assert school.count("SELECT count(*) FROM analytics_events") == total
    assert school.count("SELECT count(*) FROM event_quarantine") == 2
    missing = _ilp("ingest", str(path), "--tenant", "no-such-school", url=database.url_string)
    assert missing.returncode == 1 and "no active tenant" in missing.stderr
