"""Daily roll-ups: hand-computed rows, incremental refresh by watermark, idempotence, bounded batches."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import insert, text

from platform_core.analytics.rollups import refresh_rollups, rollup_state
from platform_core.db.session import tenant_session
from platform_core.models import AnalyticsEvent
from tests.analytics.tiny import Tiny, build_tiny, event


@pytest.fixture
def tiny(database) -> Tiny:
    return build_tiny()


def video_rows(tiny: Tiny) -> dict[tuple[str, str], dict]:
    with tenant_session(tiny.tenant_id) as s:
        rows = s.execute(
            text("SELECT * FROM analytics_daily_video_activity ORDER BY user_id, day, video_id")
        ).mappings()
        return {(str(r["user_id"]), str(r["day"])): dict(r) for r in rows}


def user_rows(tiny: Tiny) -> dict[tuple[str, str], dict]:
    with tenant_session(tiny.tenant_id) as s:
        rows = s.execute(text("SELECT * FROM analytics_daily_user_activity")).mappings()
        return {(str(r["user_id"]), str(r["day"])): dict(r) for r in rows}


def refresh(tiny: Tiny, **kwargs):
    with tenant_session(tiny.tenant_id) as s:
        return refresh_rollups(s, **kwargs)


def test_rows_by_hand(tiny: Tiny) -> None:
    report = refresh(tiny)
    assert (report.events, report.attempts, report.windows, report.batches) == (11, 9, 1, 1)
    s1, s3 = str(tiny.s[0]), str(tiny.s[2])
    day = str(tiny.t0.date())
    rows = video_rows(tiny)
    one = rows[(s1, day)]
    assert (one["events"], one["plays"], one["pauses"], one["watch_seconds"]) == (6, 2, 1, 85.0)
    assert one["first_activity_at"] == tiny.t0 and one["last_activity_at"] == tiny.t0 + timedelta(seconds=500)
    assert rows[(s3, day)]["watch_seconds"] == 40.0
    users = user_rows(tiny)
    assert (users[(s1, day)]["events"], users[(s1, day)]["video_events"]) == (7, 6)  # the login counts too
    attempt_day = str(tiny.attempted_at.date())
    s2 = str(tiny.s[1])
    assert (users[(s2, attempt_day)]["attempts"], users[(s2, attempt_day)]["correct_attempts"]) == (3, 1)
    assert rows[(s2, attempt_day)]["attempts"] == 3  # both questions are on the video
    with tenant_session(tiny.tenant_id) as s:
        state = rollup_state(s)
    assert state is not None and state["events_processed"] == 11


def test_refresh_is_incremental_and_idempotent(tiny: Tiny) -> None:
    refresh(tiny)
    before = video_rows(tiny)
    assert refresh(tiny, overlap=timedelta(0)).events == 0  # nothing new: nothing done
    assert video_rows(tiny) == before
    s1, s3 = tiny.s[0], tiny.s[2]
    with tenant_session(tiny.tenant_id) as s:  # s3 resumes: play at +60 s, pause 20 s later
        s.execute(
            insert(AnalyticsEvent),
            [
                event(tiny, s3, "video_play", 60, position=20.0),
                event(tiny, s3, "video_pause", 80, position=40.0),
            ],
        )
    report = refresh(tiny, overlap=timedelta(0))
    assert (report.events, report.keys) == (2, 1)  # only s3's day is recomputed
    after = video_rows(tiny)
    day = str(tiny.t0.date())
    assert after[(str(s3), day)]["watch_seconds"] == 60.0 and after[(str(s3), day)]["plays"] == 3
    assert after[(str(s1), day)] == before[(str(s1), day)]  # untouched, same refreshed_at
    settled = video_rows(tiny)
    assert refresh(tiny).events >= 2  # the overlap window re-reads recent rows: harmless

    def strip(rows: dict) -> dict:
        return {k: {c: v for c, v in r.items() if c != "refreshed_at"} for k, r in rows.items()}

    assert strip(video_rows(tiny)) == strip(settled)


def test_overlap_catches_rows_of_transactions_still_open_at_the_last_refresh(tiny: Tiny) -> None:
    report = refresh(tiny)
    late = event(tiny, tiny.s[1], "video_play", 0, position=0.0)
    late2 = event(tiny, tiny.s[1], "video_pause", 15, position=15.0)
    for e in (late, late2):
        e["received_at"] = report.watermark - timedelta(minutes=2)  # stamped before the watermark
    with tenant_session(tiny.tenant_id) as s:
        s.execute(insert(AnalyticsEvent), [late, late2])
    assert refresh(tiny, overlap=timedelta(minutes=5)).events >= 2
    assert video_rows(tiny)[(str(tiny.s[1]), str(tiny.t0.date()))]["watch_seconds"] == 15.0


def test_small_batches_give_the_same_rows(tiny: Tiny) -> None:
    refresh(tiny)
    whole = video_rows(tiny)
    whole_users = user_rows(tiny)
    with tenant_session(tiny.tenant_id) as s:
        for table in (
            "analytics_daily_video_activity",
            "analytics_daily_user_activity",
            "analytics_rollup_state",
        ):
            s.execute(text(f"DELETE FROM {table}"))
    seen = []
    report = refresh(tiny, batch_size=3, max_keys=2, key_batch=1, on_batch=lambda r: seen.append(r.keys))
    # pages of 3 events and 3 attempts; windows close once 2 keys are collected; one key per transaction
    assert (
        report.windows > 1
        and report.batches == report.keys == len(seen)
        and seen == list(range(1, len(seen) + 1))
    )
    assert (report.events, report.attempts) == (11, 9)

    def strip(rows: dict) -> dict:
        return {k: {c: v for c, v in r.items() if c != "refreshed_at"} for k, r in rows.items()}

    assert strip(video_rows(tiny)) == strip(whole)
    assert strip(user_rows(tiny)) == strip(whole_users)
    assert refresh(tiny, batch_size=3, max_keys=2, max_windows=1).windows == 1  # stops early, resumes later


def test_refresh_needs_a_tenant_session(database) -> None:
    from platform_core.db.session import unscoped_session

    with pytest.raises(ValueError, match="tenant"), unscoped_session() as s:
        refresh_rollups(s)
    with pytest.raises(ValueError, match="key_batch"), tenant_session(uuid.uuid4()) as s:
        refresh_rollups(s, key_batch=0)
