"""Incremental maintenance of the daily activity roll-ups (``platform_core.models.analytics``).

``refresh_rollups`` reads the events and attempts that arrived since its watermark, in pages ordered by
arrival (``received_at``/``submitted_at``, then id), and collects the (user, UTC day) keys they touch,
up to ``max_keys`` per window. It then recomputes those keys' roll-up rows from scratch (delete +
insert, each key from that user's events of that day through the ``(tenant_id, user_id, occurred_at)``
index) in transactions of ``key_batch`` keys, and finally advances the watermark to the window's last
row. Memory and transactions stay bounded; each key is recomputed once per window however many of its
events arrived; an interrupted refresh redoes its window (recomputing a key is idempotent) and a
repeated one finds nothing new.

Each refresh starts ``overlap`` before the stored watermark: rows of a transaction that was still open
when the previous refresh ran (``received_at`` is the inserting transaction's start time) are picked up
then; recomputing a key twice is harmless.

Definitions (per user and UTC day; per video for the video table):

- ``events``: events of that day (video table: events whose ``data.video_id`` is a video of the tenant);
- ``watch_seconds``: for each ``video_play`` / ``video_progress`` / ``video_seek`` event, the wall-clock
  time until the user's next event on the same video that day, capped at 60 s (an app closed without a
  pause counts no more than one heartbeat gap; the day's last event of a video adds nothing);
- ``attempts`` / ``correct_attempts``: question attempts submitted that day (video: of that video's
  questions), and those that were correct.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.orm import Session

from platform_core.db.session import TENANT_KEY

ROLLUP_NAME = "daily_activity"
DEFAULT_BATCH_SIZE = 20_000  # rows per page read
DEFAULT_MAX_KEYS = 20_000  # (user, day) keys per window
DEFAULT_KEY_BATCH = 2_000  # keys recomputed per transaction
DEFAULT_OVERLAP = timedelta(minutes=10)
MAX_GAP_SECONDS = 60.0
_ZERO_ID = uuid.UUID(int=0)
_EPOCH = datetime.fromisoformat("1970-01-01T00:00:00+00:00")


@dataclass
class RefreshReport:
    windows: int = 0
    batches: int = 0
    events: int = 0
    attempts: int = 0
    keys: int = 0
    watermark: datetime | None = None
    attempts_watermark: datetime | None = None
    seconds: float = 0.0

    def as_dict(self) -> dict[str, object]:
        return {
            "windows": self.windows,
            "batches": self.batches,
            "events": self.events,
            "attempts": self.attempts,
            "keys_recomputed": self.keys,
            "watermark": self.watermark.isoformat() if self.watermark else None,
            "attempts_watermark": self.attempts_watermark.isoformat() if self.attempts_watermark else None,
            "seconds": round(self.seconds, 3),
        }


_KEYS = """
keys AS MATERIALIZED (
    SELECT DISTINCT k.user_id, k.day,
           CAST(k.day AS timestamp) AT TIME ZONE 'UTC' AS day_start,
           CAST(k.day + 1 AS timestamp) AT TIME ZONE 'UTC' AS day_end
    FROM unnest(CAST(:users AS uuid[]), CAST(:days AS date[])) AS k(user_id, day)
),
-- materialized and lateral: always key -> that user's events of that day through the (tenant, user,
-- time) index, whatever the statistics say, so a batch costs its keys' events, not the table
ev AS MATERIALIZED (
    SELECT k.user_id, k.day, e.id, e.type, e.occurred_at, e.data ->> 'video_id' AS video_text
    FROM keys k
    CROSS JOIN LATERAL (
        SELECT e.id, e.type, e.occurred_at, e.data FROM analytics_events e
        WHERE e.tenant_id = :tenant_id AND e.user_id = k.user_id
          AND e.occurred_at >= k.day_start AND e.occurred_at < k.day_end
        OFFSET 0  -- a fence: keeps the per-key index scan (no pull-up into a join over all events)
    ) AS e
),
vev AS (
    SELECT ev.user_id, ev.day, v.id AS video_id, ev.type, ev.occurred_at,
           CASE WHEN ev.type IN ('video_play', 'video_progress', 'video_seek') THEN
               -- LEAST ignores NULL: coalesce keeps "no next event" at 0 instead of the cap
               LEAST(coalesce(EXTRACT(EPOCH FROM LEAD(ev.occurred_at) OVER (
                   PARTITION BY ev.user_id, ev.day, v.id ORDER BY ev.occurred_at, ev.id)
                   - ev.occurred_at), 0), :max_gap)
           END AS watch
    FROM ev JOIN videos v ON v.tenant_id = :tenant_id AND CAST(v.id AS text) = ev.video_text
),
att_rows AS MATERIALIZED (
    SELECT k.user_id, k.day, qa.question_id, qa.is_correct, qa.submitted_at
    FROM keys k
    CROSS JOIN LATERAL (
        SELECT a.question_id, a.is_correct, a.submitted_at FROM question_attempts a
        WHERE a.tenant_id = :tenant_id AND a.student_id = k.user_id
          AND a.submitted_at >= k.day_start AND a.submitted_at < k.day_end
        OFFSET 0
    ) AS qa
),
att AS (
    SELECT r.user_id, r.day, q.video_id, r.is_correct, r.submitted_at
    FROM att_rows r JOIN questions q ON q.tenant_id = :tenant_id AND q.id = r.question_id
)
"""

_DELETE = """
WITH keys AS (SELECT DISTINCT * FROM unnest(CAST(:users AS uuid[]), CAST(:days AS date[])) AS k(user_id, day))
DELETE FROM {table} r USING keys
WHERE r.tenant_id = :tenant_id AND r.user_id = keys.user_id AND r.day = keys.day
"""

_INSERT = f"""
WITH {_KEYS},
video_rows AS (
    INSERT INTO analytics_daily_video_activity (
        tenant_id, user_id, day, video_id, events, watch_seconds, plays, pauses, seeks, completes,
        milestones_reached, attempts, correct_attempts, first_activity_at, last_activity_at, refreshed_at)
    SELECT :tenant_id, user_id, day, video_id, sum(events), sum(watch), sum(plays), sum(pauses), sum(seeks),
           sum(completes), sum(milestones), sum(attempts), sum(correct), min(first_at), max(last_at), now()
    FROM (
        SELECT user_id, day, video_id, count(*) AS events, coalesce(sum(watch), 0) AS watch,
               count(*) FILTER (WHERE type = 'video_play') AS plays,
               count(*) FILTER (WHERE type = 'video_pause') AS pauses,
               count(*) FILTER (WHERE type = 'video_seek') AS seeks,
               count(*) FILTER (WHERE type = 'video_complete') AS completes,
               count(*) FILTER (WHERE type = 'milestone_reached') AS milestones,
               0 AS attempts, 0 AS correct, min(occurred_at) AS first_at, max(occurred_at) AS last_at
        FROM vev GROUP BY user_id, day, video_id
        UNION ALL
        SELECT user_id, day, video_id, 0, 0, 0, 0, 0, 0, 0, count(*), count(*) FILTER (WHERE is_correct),
               min(submitted_at), max(submitted_at)
        FROM att GROUP BY user_id, day, video_id
    ) AS parts
    GROUP BY user_id, day, video_id
    RETURNING 1
)
INSERT INTO analytics_daily_user_activity (
    tenant_id, user_id, day, events, video_events, watch_seconds, attempts, correct_attempts,
    first_activity_at, last_activity_at, refreshed_at)
SELECT :tenant_id, user_id, day, sum(events), sum(video_events), sum(watch), sum(attempts), sum(correct),
       min(first_at), max(last_at), now()
FROM (
    SELECT user_id, day, count(*) AS events, 0 AS video_events, 0 AS watch, 0 AS attempts, 0 AS correct,
           min(occurred_at) AS first_at, max(occurred_at) AS last_at
    FROM ev GROUP BY user_id, day
    UNION ALL
    SELECT user_id, day, 0, count(*), coalesce(sum(watch), 0), 0, 0, NULL, NULL
    FROM vev GROUP BY user_id, day
    UNION ALL
    SELECT user_id, day, 0, 0, 0, count(*), count(*) FILTER (WHERE is_correct), min(submitted_at),
           max(submitted_at)
    FROM att GROUP BY user_id, day
) AS parts
GROUP BY user_id, day
"""  # noqa: S608
"""Both tables in one statement (the video rows in a data-modifying CTE): each key's events are read once."""


Position = tuple[datetime, uuid.UUID]


def _read_state(session: Session, tenant_id: uuid.UUID) -> tuple[Position | None, Position | None]:
    """The events' and attempts' positions (the state row is created on first use)."""
    session.execute(
        text(
            "INSERT INTO analytics_rollup_state (tenant_id, name) VALUES (:t, :n) "
            "ON CONFLICT (tenant_id, name) DO NOTHING"
        ),
        {"t": tenant_id, "n": ROLLUP_NAME},
    )
    row = session.execute(
        text(
            "SELECT watermark, watermark_id, attempts_watermark, attempts_watermark_id "
            "FROM analytics_rollup_state WHERE tenant_id = :t AND name = :n"
        ),
        {"t": tenant_id, "n": ROLLUP_NAME},
    ).one()
    events = (row.watermark, row.watermark_id or _ZERO_ID) if row.watermark else None
    attempts = (
        (row.attempts_watermark, row.attempts_watermark_id or _ZERO_ID) if row.attempts_watermark else None
    )
    return events, attempts


_ADVANCE = """
UPDATE analytics_rollup_state SET {col} = :at, {col}_id = :id, refreshed_at = now()
WHERE tenant_id = :t AND name = :n AND ({col} IS NULL OR ({col}, coalesce({col}_id, :zero)) < (:at, :id))
"""


def _advance(
    session: Session,
    tenant_id: uuid.UUID,
    events: Position | None,
    attempts: Position | None,
    counts: tuple[int, int],
) -> None:
    """Move the watermarks forward (never back: a concurrent refresh may have gone further)."""
    base = {"t": tenant_id, "n": ROLLUP_NAME, "zero": _ZERO_ID}
    if events is not None:
        session.execute(text(_ADVANCE.format(col="watermark")), {**base, "at": events[0], "id": events[1]})
    if attempts is not None:
        session.execute(
            text(_ADVANCE.format(col="attempts_watermark")), {**base, "at": attempts[0], "id": attempts[1]}
        )
    session.execute(
        text(
            "UPDATE analytics_rollup_state SET refreshed_at = now(), "
            "events_processed = events_processed + :e, "
            "keys_recomputed = keys_recomputed + :k WHERE tenant_id = :t AND name = :n"
        ),
        {**base, "e": counts[0], "k": counts[1]},
    )


def recompute_keys(session: Session, tenant_id: uuid.UUID, keys: list[tuple[uuid.UUID, date]]) -> None:
    """Rebuild both roll-up tables' rows of these (user, day) keys from the raw rows (one transaction)."""
    params = {
        "tenant_id": tenant_id,
        "users": [k[0] for k in keys],
        "days": [k[1] for k in keys],
        "max_gap": MAX_GAP_SECONDS,
    }
    for table in ("analytics_daily_video_activity", "analytics_daily_user_activity"):
        session.execute(text(_DELETE.format(table=table)), params)
    session.execute(text(_INSERT), params)


_PAGE = """
WITH page AS MATERIALIZED (
    SELECT {user} AS user_id, {at} AS at, {arrival} AS arrival, id FROM {table}
    WHERE tenant_id = :t AND ({arrival}, id) > (:at, :id) ORDER BY {arrival}, id LIMIT :n
)
SELECT user_id, CAST(at AT TIME ZONE 'UTC' AS date) AS day, NULL AS arrival, NULL AS id, NULL AS n
FROM page GROUP BY 1, 2
UNION ALL
SELECT NULL, NULL, arrival, id, (SELECT count(*) FROM page)
FROM (SELECT arrival, id FROM page ORDER BY arrival DESC, id DESC LIMIT 1) AS last
"""
"""One page by arrival, summarised in the database: its distinct (user, day) keys, then one row with the
page's last position and size (no need to ship every row to Python)."""

_SOURCES = {
    "events": {"table": "analytics_events", "user": "user_id", "at": "occurred_at", "arrival": "received_at"},
    "attempts": {
        "table": "question_attempts",
        "user": "student_id",
        "at": "submitted_at",
        "arrival": "submitted_at",
    },
}


def _next_page(
    session: Session, source: str, after: Position, limit: int
) -> tuple[set[tuple[uuid.UUID, date]], Position | None, int]:
    """The (user, UTC day) keys of the next ``limit`` rows of ``source`` by arrival, the last row's
    position and the number of rows."""
    rows = session.execute(
        text(_PAGE.format(**_SOURCES[source])),
        {"t": session.info[TENANT_KEY], "at": after[0], "id": after[1], "n": limit},
    ).all()
    keys = {(r[0], r[1]) for r in rows if r[0] is not None}
    last = next(((r[2], r[3], r[4]) for r in rows if r[0] is None), None)
    if last is None:
        return keys, None, 0
    return keys, (last[0], last[1]), int(last[2])


def _start(mark: Position | None, overlap: timedelta) -> Position:
    if mark is None:
        return (_EPOCH, _ZERO_ID)
    return (mark[0] - overlap, _ZERO_ID) if overlap > timedelta(0) else mark


def refresh_rollups(
    session: Session,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    max_keys: int = DEFAULT_MAX_KEYS,
    key_batch: int = DEFAULT_KEY_BATCH,
    overlap: timedelta = DEFAULT_OVERLAP,
    max_windows: int | None = None,
    on_batch: Callable[[RefreshReport], None] | None = None,
) -> RefreshReport:
    """Bring the tenant's daily roll-ups up to date with the events and attempts received so far.

    ``session`` comes from ``tenant_session``. Pages of ``batch_size`` rows, windows of at most about
    ``max_keys`` keys, ``key_batch`` keys per transaction (see the module docstring); ``max_windows``
    stops early (the next call resumes). ``on_batch`` is called after every committed transaction.
    """
    for name, value in (("batch_size", batch_size), ("max_keys", max_keys), ("key_batch", key_batch)):
        if value < 1:
            raise ValueError(f"{name}: must be at least 1")
    tenant_id = session.info.get(TENANT_KEY)
    if tenant_id is None:
        raise ValueError("session: open it with tenant_session (no tenant is set)")
    report = RefreshReport()
    started = time.perf_counter()
    mark_e, mark_a = _read_state(session, tenant_id)
    session.commit()
    after_e, after_a = _start(mark_e, overlap), _start(mark_a, overlap)
    exhausted = False
    while not exhausted and (max_windows is None or report.windows < max_windows):
        keys: set[tuple[uuid.UUID, date]] = set()
        last_e = last_a = None
        n_events = n_attempts = 0
        while len(keys) < max_keys:
            event_keys, page_e, count_e = _next_page(session, "events", after_e, batch_size)
            attempt_keys, page_a, count_a = _next_page(session, "attempts", after_a, batch_size)
            keys |= event_keys | attempt_keys
            if page_e is not None:
                after_e = last_e = page_e
            if page_a is not None:
                after_a = last_a = page_a
            n_events, n_attempts = n_events + count_e, n_attempts + count_a
            if count_e < batch_size and count_a < batch_size:
                exhausted = True
                break
        session.commit()
        if not keys:
            break
        ordered = sorted(keys)
        report.events += n_events
        report.attempts += n_attempts
        for i in range(0, len(ordered), key_batch):
            recompute_keys(session, tenant_id, ordered[i : i + key_batch])
            session.commit()
            report.batches += 1
            report.keys += len(ordered[i : i + key_batch])
            if on_batch is not None:
                on_batch(report)
        _advance(session, tenant_id, last_e, last_a, (n_events, len(ordered)))
        session.commit()
        report.windows += 1
    mark_e, mark_a = _read_state(session, tenant_id)
    session.commit()
    report.watermark = mark_e[0] if mark_e else None
    report.attempts_watermark = mark_a[0] if mark_a else None
    report.seconds = time.perf_counter() - started
    return report


def rollup_state(session: Session) -> dict[str, object] | None:
    """The stored refresh state of the tenant's daily roll-ups (None before the first refresh)."""
    row = session.execute(
        text(
            "SELECT watermark, watermark_id, attempts_watermark, attempts_watermark_id, refreshed_at, "
            "events_processed, keys_recomputed "
            "FROM analytics_rollup_state WHERE name = :n"
        ),
        {"n": ROLLUP_NAME},
    ).first()
    return dict(row._mapping) if row else None
