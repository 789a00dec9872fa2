"""Archival of monthly partitions older than the hot window to Parquet, as a resumable state machine.

Each partition goes through the states of ``archived_partitions``, each committed before the next starts::

    detaching  record made; ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY (or FINALIZE after a crash)
    detached   the table moved to schema ilp_archive (still readable by its tenants, under RLS)
    written    Parquet per tenant written to .tmp/, fsynced, renamed into warm/; checksums recorded
    verified   row counts and checksums recomputed from the Parquet (DuckDB) equal PostgreSQL's
    dropped    files published and the table dropped, in one transaction

A crash at any point leaves the rows in PostgreSQL (the table is dropped only after verification, in the
transaction that makes the files visible); re-running looks at the record and the catalog and continues
from there, rewriting files when in doubt. Nothing is lost and nothing is read twice: readers see a row
in the attached partition, the in-flight table or the published files, never in two of them. (Between the
commit of DETACH CONCURRENTLY, which cannot share a transaction, and the move to ``ilp_archive`` that
follows it, the rows are briefly visible to the owner only; a crash right there hides them from tenants
until the next run.)

``ILP_ARCHIVE_CRASH_AT=<checkpoint>`` (or the ``on_step`` hook) stops the run at a checkpoint, for tests;
``ILP_ARCHIVE_CRASH_MODE=kill`` makes it a SIGKILL instead of an exception.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Collection
from datetime import UTC, datetime, timedelta

import duckdb
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from platform_core.db.engine import owner_engine
from platform_core.models import ArchivedPartition, ArchiveState
from platform_core.ops.archive_steps import (
    CHECKPOINTS,
    CRASH_ENV,
    CRASH_MODE_ENV,
    HOT_DAYS,
    LOCK_NAME,
    ArchiveBusy,
    ArchiveError,
    ArchiveReport,
    InjectedCrash,
    PartitionOutcome,
    StepHook,
    checkpoint,
    detach,
    note_error,
    parquet_checksums,
    publish_and_drop,
    verify,
    write_parquet,
)
from platform_core.ops.archive_store import ArchiveStore
from platform_core.ops.archive_view import archived_events_relation, archived_relation
from platform_core.ops.partitions import PARTITIONED_TABLES, check_table, list_partitions
from platform_core.validation import InvalidInput

__all__ = [
    "CHECKPOINTS",
    "CRASH_ENV",
    "CRASH_MODE_ENV",
    "HOT_DAYS",
    "ArchiveBusy",
    "ArchiveError",
    "ArchiveReport",
    "InjectedCrash",
    "PartitionOutcome",
    "archive_partitions",
    "archived_events_relation",
    "archived_relation",
    "parquet_checksums",
]


def archive_partitions(
    *,
    hot_days: int = HOT_DAYS,
    tables: tuple[str, ...] = PARTITIONED_TABLES,
    archive_dir: str | None = None,
    engine: Engine | None = None,
    now: datetime | None = None,
    dry_run: bool = False,
    move_tiers: bool = True,
    only: Collection[str] | None = None,
    on_step: StepHook | None = None,
) -> ArchiveReport:
    """Archive every partition whose month ended before ``now - hot_days``, resuming unfinished ones first,
    then move archived files past each tenant's warm window to the cold tier. ``only`` limits the run to
    the named partitions. Raises :class:`ArchiveBusy` when another run is active (so schedulers may
    overlap)."""
    if not isinstance(hot_days, int) or not 1 <= hot_days <= 3650:
        raise InvalidInput("hot_days", "must be an integer from 1 to 3650")
    for table in tables:
        check_table(table)
    engine = engine or owner_engine()
    store = ArchiveStore(archive_dir)
    now = now or datetime.now(UTC)
    report = ArchiveReport(cutoff=now - timedelta(days=hot_days), dry_run=dry_run)
    with engine.connect() as lock_conn:
        if not lock_conn.execute(
            text("SELECT pg_try_advisory_lock(hashtext(:k))"), {"k": LOCK_NAME}
        ).scalar():
            raise ArchiveBusy("another `ilp ops archive` (or GDPR erasure) is running")
        lock_conn.commit()
        try:
            for record, partition in _plan(engine, tables, report.cutoff, only):
                outcome = PartitionOutcome(
                    parent=record.parent_table if record else partition[0],
                    partition=record.partition_name if record else partition[1],
                    archive_id=record.id if record else None,
                    state=record.state.value if record else "planned",
                    range_start=record.range_start if record else partition[2],
                    resumed=record is not None,
                )
                report.partitions.append(outcome)
                if dry_run:
                    continue
                started = time.perf_counter()
                try:
                    _archive_one(engine, store, record, partition, outcome, on_step)
                except (ArchiveError, OSError, duckdb.Error, SQLAlchemyError) as exc:
                    outcome.error = str(exc)
                    note_error(engine, outcome)
                finally:
                    outcome.seconds = round(time.perf_counter() - started, 3)
            if move_tiers and not dry_run:
                from platform_core.ops.retention import move_to_cold

                ids = None if only is None else _archive_ids(engine, only)
                tiers = move_to_cold(engine=engine, store=store, now=now, archive_ids=ids)
                report.tier_moves, report.tier_errors = tiers.moved, tiers.errors
        finally:
            lock_conn.execute(text("SELECT pg_advisory_unlock(hashtext(:k))"), {"k": LOCK_NAME})
            lock_conn.commit()
    return report


def _archive_ids(engine: Engine, names: Collection[str]) -> set[uuid.UUID]:
    with Session(engine) as s:
        query = select(ArchivedPartition.id).where(ArchivedPartition.partition_name.in_(list(names)))
        return set(s.scalars(query))


def _plan(
    engine: Engine, tables: tuple[str, ...], cutoff: datetime, only: Collection[str] | None
) -> list[tuple[ArchivedPartition | None, tuple[str, str, datetime, datetime] | None]]:
    """Unfinished archives first (oldest first), then attached partitions that left the hot window."""
    with Session(engine, expire_on_commit=False) as s:
        pending = list(
            s.scalars(
                select(ArchivedPartition)
                .where(ArchivedPartition.state != ArchiveState.DROPPED)
                .where(ArchivedPartition.parent_table.in_(tables))
                .order_by(ArchivedPartition.range_start)
            )
        )
        if only is not None:
            pending = [r for r in pending if r.partition_name in only]
        busy = {(r.parent_table, r.partition_name) for r in pending}
        fresh = [
            (p.parent, p.name, p.range_start, p.range_end)
            for p in list_partitions(s.connection(), tables)
            if p.range_end <= cutoff and (p.parent, p.name) not in busy and (only is None or p.name in only)
        ]
    return [(r, None) for r in pending] + [(None, p) for p in sorted(fresh, key=lambda p: (p[2], p[0]))]


def _archive_one(
    engine: Engine,
    store: ArchiveStore,
    record: ArchivedPartition | None,
    partition: tuple[str, str, datetime, datetime] | None,
    outcome: PartitionOutcome,
    hook: StepHook | None,
) -> None:
    if record is None:
        assert partition is not None
        parent, name, start, end = partition
        archive_id = uuid.uuid4()
        with Session(engine, expire_on_commit=False) as s, s.begin():
            record = ArchivedPartition(
                id=archive_id,
                parent_table=parent,
                partition_name=name,
                working_table=f"{name}_{archive_id.hex[:8]}",
                range_start=start,
                range_end=end,
                state=ArchiveState.DETACHING,
            )
            s.add(record)
        outcome.archive_id = archive_id
        checkpoint("recorded", outcome, hook)
    steps = {
        ArchiveState.DETACHING: detach,
        ArchiveState.DETACHED: write_parquet,
        ArchiveState.WRITTEN: verify,
        ArchiveState.VERIFIED: publish_and_drop,
    }
    while record.state != ArchiveState.DROPPED:
        steps[record.state](engine, store, record, outcome, hook)
    outcome.rows, outcome.checksum, outcome.bytes = record.row_count, record.checksum, record.bytes_written
    outcome.state = ArchiveState.DROPPED.value
