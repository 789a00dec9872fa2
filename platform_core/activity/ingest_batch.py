"""One ingest batch in one transaction: database checks, quarantine, the fast idempotent insert, progress.

:func:`store_batch` takes a batch validated by :func:`ingest_prepare.prepare_batch` and, in the caller's
transaction, checks what needs the database (``user_id`` is a user of the tenant, the video exists,
positions lie within ``[0, duration]``), quarantines what failed, and inserts the rest:

1. binary ``COPY`` into a ``TEMP ... ON COMMIT DELETE ROWS`` staging table (``COPY`` into a table with
   Row-Level Security is refused to the application role);
2. under a transaction-scoped advisory lock (per user for small batches, per tenant for large ones) so that
   concurrent batches cannot both store one id, ``INSERT ... SELECT ... WHERE id NOT IN (stored ids)``
   (no ``ON CONFLICT``, which costs a speculative insertion per row: the one race the locks leave, an id
   reused by another user in a concurrent batch, fails on the primary key and the batch is run again): the
   batch's ids are looked up in every partition through
   ``ix_analytics_events_tenant_id_id`` (``id = ANY(...)``: index probes, whatever the table size; a join
   against the tenant's events is what the planner picks otherwise, and it grows with every batch),
   because the same id re-sent with another ``occurred_at`` would not collide on the primary key; the ids
   are read from the staging table, sorted (not sent again as a parameter: a literal array of thousands of
   ids costs the client its encoding and the server a plan of its own every batch, and each partition's
   probe sorts an unsorted array again);
3. the events actually inserted, and only those, are folded into progress (``progress.apply_events``).

The insert is sent in pipeline mode, so the client does not sit idle while the server runs it: the
progress rows are locked beforehand, and the fold (which needs no database once they are read) is computed
meanwhile, together with whatever the caller passes as ``while_inserting`` (ingest validates the next
batch there). The fold is recomputed, rarely, when some events turn out to be stored already.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import text
from sqlalchemy.orm import Session

from platform_core.activity.event_parsing import Rejected, check_positions
from platform_core.activity.events import POSITION_TOLERANCE_SECONDS, EventBase
from platform_core.activity.fold import VideoInfo
from platform_core.activity.ingest_prepare import PreparedBatch, StageRow
from platform_core.activity.progress import Folded, ProgressReport, begin_fold, load_videos
from platform_core.activity.quarantine import quarantine

#: Up to this many distinct users in a batch lock per user; larger batches lock the whole tenant.
USER_LOCK_LIMIT: Final = 16
_STAGE_TYPES: Final = ["uuid", "timestamptz", "uuid", "uuid", "text", "text", "text"]


@dataclass
class BatchResult:
    """What one committed (or, inside a caller's session, written) batch did."""

    start: int
    size: int
    stored_ids: list[uuid.UUID]
    duplicates: int
    rejected: list[Rejected]
    progress: ProgressReport


# ------------------------------------------------------------------------------------- database checks
@dataclass
class KnownReferences:
    """Users and videos of the tenant already found by earlier batches of one ingest call.

    Later batches look up only the new ones, and are checked ahead, without the database, as far as they
    name known ones (:meth:`check_ahead`, which ingest runs while the server inserts the previous batch);
    only the events naming something new wait for the database. One that is deleted meanwhile fails the
    insert on its foreign key, as it would between the check and the insert anyway.
    """

    users: set[uuid.UUID] = field(default_factory=set)
    videos: dict[uuid.UUID, VideoInfo] = field(default_factory=dict)

    def look_up(self, session: Session, tenant_id: uuid.UUID, events: Iterable[EventBase]) -> None:
        users: set[uuid.UUID] = set()
        videos: set[uuid.UUID] = set()
        for event in events:
            users.add(event.user_id)
            if (video_id := getattr(event.data, "video_id", None)) is not None:
                videos.add(video_id)
        users -= self.users
        if users:
            self.users.update(
                session.execute(
                    text("SELECT id FROM users WHERE tenant_id = :t AND id = ANY(CAST(:ids AS uuid[]))"),
                    {"t": tenant_id, "ids": sorted(users)},
                ).scalars()
            )
        self.videos.update(load_videos(session, videos - self.videos.keys()))

    def check_ahead(self, batch: PreparedBatch) -> None:
        """Check what can be checked without the database; the rest is left in ``batch.unresolved``."""
        if batch.kept is None:
            batch.kept, batch.unresolved = self.check(batch, range(len(batch.events)), final=False)

    def check(
        self, batch: PreparedBatch, positions: Iterable[int], *, final: bool = True
    ) -> tuple[list[int], list[int]]:
        """Quarantine the events (at ``positions`` in ``batch.events``) naming another tenant's user or
        video, or a position past the video's end; returns the positions kept, and (unless ``final``) those
        naming a user or video not known yet, neither kept nor quarantined."""
        known_users, videos = self.users, self.videos
        limits = {v: info.duration_seconds + POSITION_TOLERANCE_SECONDS for v, info in videos.items()}
        kept: list[int] = []
        unresolved: list[int] = []
        for position in positions:
            event = batch.events[position]
            problem: tuple[str, str] | None = None
            data = event.data
            video_id = getattr(data, "video_id", None)
            single = getattr(data, "position", None)
            if event.user_id not in known_users:
                problem = ("user_id", f"{event.user_id} is not a user of this tenant")
            elif video_id is None or (single is not None and single <= limits.get(video_id, -1.0)):
                pass  # no video, or the common case: one position within a known video
            elif video_id not in videos:
                problem = ("data.video_id", f"{video_id} is not a video of this tenant")
            else:
                reason = check_positions(event, videos[video_id].duration_seconds)
                if reason is not None:
                    where, _, why = reason.partition(": ")
                    problem = (where, why)
            if problem is None:
                kept.append(position)
            elif not final and problem[0] in ("user_id", "data.video_id"):
                unresolved.append(position)
            else:
                rejected = Rejected(batch.indexes[position], batch.raws[position], problem[0], problem[1])
                batch.rejected.append(rejected)
        return kept, unresolved


def _check_references(
    session: Session, tenant_id: uuid.UUID, batch: PreparedBatch, known: KnownReferences
) -> tuple[list[int], dict[uuid.UUID, VideoInfo]]:
    """The positions (in ``batch.events``) of the events that pass the reference checks (finishing what
    :meth:`KnownReferences.check_ahead` left), and the videos' info."""
    if batch.kept is None:
        known.look_up(session, tenant_id, batch.events)
        batch.kept, _ = known.check(batch, range(len(batch.events)))
    elif batch.unresolved:
        known.look_up(session, tenant_id, (batch.events[i] for i in batch.unresolved))
        more, _ = known.check(batch, batch.unresolved)
        batch.kept, batch.unresolved = sorted([*batch.kept, *more]), []
    return batch.kept, known.videos


def _month(moment: datetime) -> datetime:
    utc = moment.astimezone(UTC)
    return datetime(utc.year, utc.month, 1, tzinfo=UTC)


def month_starts(moments: Iterable[datetime]) -> list[datetime]:
    """The UTC months (as their first instant) spanned by ``moments``: partitions are UTC months.

    Every month from the earliest to the latest when they are at most two years apart (a batch normally
    spans a few days, and comparing is cheaper than converting every moment), else the distinct ones.
    """
    values = list(moments)
    if not values:
        return []
    first, last = _month(min(values)), _month(max(values))
    if (last.year - first.year) * 12 + last.month - first.month > 24:
        return sorted({_month(m) for m in values})
    months = [first]
    while months[-1] < last:
        previous = months[-1]
        months.append(
            previous.replace(year=previous.year + previous.month // 12, month=previous.month % 12 + 1)
        )
    return months


def batch_months(batch: PreparedBatch) -> list[datetime]:
    """The months of the batch's events (:func:`month_starts`), computed once."""
    if batch.months is None:
        batch.months = month_starts(e.occurred_at for e in batch.events)
    return batch.months


def ensure_partitions(session_or_conn: Any, moments: Iterable[datetime]) -> int:
    """Create the monthly ``analytics_events`` partitions holding ``moments`` (idempotent); returns how many
    were created."""
    months = month_starts(moments)
    if not months:
        return 0
    created = session_or_conn.execute(
        text(
            "SELECT coalesce(sum(ilp_ensure_month_partitions('analytics_events', m, m)), 0) "
            "FROM unnest(CAST(:months AS timestamptz[])) AS m"
        ),
        {"months": months},
    ).scalar_one()
    return int(created)


def _few_users(events: Iterable[EventBase]) -> set[uuid.UUID] | None:
    """The users of ``events`` when there are at most :data:`USER_LOCK_LIMIT`, else ``None`` (found without
    hashing every event's user: a large batch names more within its first few dozen events)."""
    users: set[uuid.UUID] = set()
    for event in events:
        users.add(event.user_id)
        if len(users) > USER_LOCK_LIMIT:
            return None
    return users


def _lock(session: Session, tenant_id: uuid.UUID, events: Iterable[EventBase]) -> None:
    """Serialise batches that could store the same id: same users (small batches) or the whole tenant."""
    tenant_key = f"ilp_ingest:{tenant_id}"
    users = _few_users(events)
    if users is None:
        session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"), {"k": tenant_key})
        return
    session.execute(text("SELECT pg_advisory_xact_lock_shared(hashtextextended(:k, 0))"), {"k": tenant_key})
    session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(k, 0)) FROM unnest(CAST(:keys AS text[])) AS k"),
        {"keys": [f"{tenant_key}:{u}" for u in sorted(users)]},
    )


# Returns the staged ids that were already stored (and so not inserted): usually none.
_INSERT = """
    WITH stored AS (
        SELECT e.id FROM analytics_events e
        WHERE e.tenant_id = %(t)s AND e.id = ANY(ARRAY(SELECT s.id FROM ilp_ingest_stage s ORDER BY s.id))
    ), inserted AS (
        INSERT INTO analytics_events (tenant_id, id, occurred_at, user_id, session_id, type, data, context)
        SELECT %(t)s, s.id, s.occurred_at, s.user_id, s.session_id, s.type, CAST(s.data AS jsonb),
               CAST(s.context AS jsonb)
        FROM ilp_ingest_stage s
        WHERE s.id NOT IN (SELECT id FROM stored)
    )
    SELECT id FROM stored
"""


def _copy_and_insert(
    session: Session, tenant_id: uuid.UUID, rows: list[StageRow], while_inserting: Callable[[], None]
) -> set[uuid.UUID]:
    """Stage ``rows`` and insert the new ones, running ``while_inserting`` as the server works; returns the
    ids that were already stored.

    The staging table keeps the batch until the transaction ends, holding the ids of the new events only.
    """
    driver = session.connection().connection.driver_connection
    assert driver is not None
    with driver.cursor() as cur:
        # made once per connection (not per batch, which churns the catalog), emptied at every commit
        cur.execute(
            "CREATE TEMP TABLE IF NOT EXISTS ilp_ingest_stage (id uuid, occurred_at timestamptz, "
            "user_id uuid, session_id uuid, type text, data text, context text) ON COMMIT DELETE ROWS; "
            "DELETE FROM ilp_ingest_stage"  # a previous batch of the same transaction
        )
        with cur.copy(
            "COPY ilp_ingest_stage (id, occurred_at, user_id, session_id, type, data, context) "
            "FROM STDIN (FORMAT BINARY)"
        ) as copy:
            copy.set_types(_STAGE_TYPES)
            for row in rows:
                copy.write_row(row)
        with driver.pipeline():  # sent without waiting for the result
            cur.execute(_INSERT, {"t": tenant_id})
            while_inserting()
            skipped = {r[0] for r in cur.fetchall()}
        if skipped and len(skipped) < len(rows):  # keep exactly the new events (the refold skips them)
            cur.execute("DELETE FROM ilp_ingest_stage WHERE id = ANY(%s)", [list(skipped)])
    return skipped


def store_batch(
    session: Session,
    tenant_id: uuid.UUID,
    batch: PreparedBatch,
    *,
    source: str | None = None,
    partitions_ready: bool = False,
    while_inserting: Callable[[], None] | None = None,
    known: KnownReferences | None = None,
) -> BatchResult:
    """Check, quarantine, insert and fold one prepared batch in the session's transaction.

    ``while_inserting`` runs while the server inserts the events (not at all when there is none to insert);
    ``known`` carries the users and videos found by earlier batches of the same call.
    """
    if batch.events:
        keep, videos = _check_references(session, tenant_id, batch, known or KnownReferences())
    else:
        keep, videos = [], {}
    quarantine(session, tenant_id, batch.rejected, source)
    if len(keep) == len(batch.events):  # the common case: all kept
        events, rows = batch.events, batch.rows
    else:
        events, rows = [batch.events[i] for i in keep], [batch.rows[i] for i in keep]
    progress = ProgressReport()
    if rows:
        if not partitions_ready:
            ensure_partitions(session, batch_months(batch))
        _lock(session, tenant_id, events)
        pending = begin_fold(session, events=events, videos=videos)
        folded: list[Folded] = []

        def meanwhile() -> None:
            if pending is not None:
                folded.append(pending.compute())
            if while_inserting is not None:
                while_inserting()

        skipped = _copy_and_insert(session, tenant_id, rows, meanwhile)
        new_events = [e for e in events if e.id not in skipped] if skipped else events
        if pending is not None:
            progress = pending.finish(session, folded[0], skipped=skipped, staged=True)
    else:
        new_events, skipped = [], set()
    return BatchResult(
        start=batch.start,
        size=batch.size,
        stored_ids=[e.id for e in new_events],
        duplicates=batch.duplicates + len(skipped),
        rejected=sorted(batch.rejected, key=lambda r: r.index),
        progress=progress,
    )
