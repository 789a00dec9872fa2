"""The steps of archiving one partition (see :mod:`platform_core.ops.archive` for the state machine).

Each step reads the record and the catalog, does its work, and commits the next state; every one of them
may be re-run after a crash.
"""

from __future__ import annotations

import os
import signal
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from platform_core.db.runtime import owner_url
from platform_core.models import ArchivedPartition, ArchiveFile, ArchiveState
from platform_core.ops import duck
from platform_core.ops.archive_sql import (
    ARCHIVE_SCHEMA,
    COLUMN_LIST,
    DUCK_TENANT_CHECKSUMS,
    PG_TENANT_CHECKSUMS,
    combine,
)
from platform_core.ops.archive_store import ArchiveStore
from platform_core.ops.sqlsafe import ident, sql_literal
from platform_core.settings import APP_ROLE

HOT_DAYS = 90
MAX_WRITE_ATTEMPTS = 3
PARQUET_OPTIONS = (
    "FORMAT parquet, COMPRESSION zstd, PARTITION_BY (tenant_id), WRITE_PARTITION_COLUMNS true, "
    "OVERWRITE_OR_IGNORE true"
)
CRASH_ENV = "ILP_ARCHIVE_CRASH_AT"
CRASH_MODE_ENV = "ILP_ARCHIVE_CRASH_MODE"
LOCK_NAME = "ilp_archive"
CHECKPOINTS = ("recorded", "detached", "moved", "files_renamed", "written", "verified", "dropped")
StepHook = Callable[[str, "PartitionOutcome"], None]


class ArchiveError(RuntimeError):
    """A partition could not move on (verification failed, a table is missing...); nothing was lost."""


class ArchiveBusy(RuntimeError):
    """Another archive run holds the lock."""


class InjectedCrash(RuntimeError):
    """Raised at a checkpoint named by ``ILP_ARCHIVE_CRASH_AT`` (tests of crash safety)."""


@dataclass
class PartitionOutcome:
    parent: str
    partition: str
    archive_id: uuid.UUID | None
    state: str
    range_start: datetime
    rows: int | None = None
    checksum: str | None = None
    bytes: int | None = None
    resumed: bool = False
    seconds: float = 0.0
    error: str | None = None

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["archive_id"] = str(self.archive_id) if self.archive_id else None
        data["range_start"] = self.range_start.isoformat()
        return data


@dataclass
class ArchiveReport:
    cutoff: datetime
    dry_run: bool
    partitions: list[PartitionOutcome] = field(default_factory=list)
    tier_moves: int = 0
    tier_errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(p.error is None for p in self.partitions) and not self.tier_errors

    def as_json(self) -> dict[str, Any]:
        return {
            "cutoff": self.cutoff.isoformat(),
            "dry_run": self.dry_run,
            "ok": self.ok,
            "tier_moves": self.tier_moves,
            "tier_errors": self.tier_errors,
            "partitions": [p.as_json() for p in self.partitions],
        }


def checkpoint(point: str, outcome: PartitionOutcome, hook: StepHook | None) -> None:
    outcome.state = point
    if hook is not None:
        hook(point, outcome)
    if os.environ.get(CRASH_ENV) == point:
        if os.environ.get(CRASH_MODE_ENV) == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
        raise InjectedCrash(f"injected crash at {point} ({outcome.partition})")


def _save(engine: Engine, record: ArchivedPartition, **changes: Any) -> None:
    with Session(engine, expire_on_commit=False) as s, s.begin():
        row = s.get(ArchivedPartition, record.id, with_for_update=True)
        assert row is not None
        for key, value in changes.items():
            setattr(row, key, value)
            setattr(record, key, value)


def note_error(engine: Engine, outcome: PartitionOutcome) -> None:
    if outcome.archive_id is None:
        return
    with Session(engine) as s, s.begin():
        row = s.get(ArchivedPartition, outcome.archive_id)
        if row is not None:
            row.error = outcome.error


def _catalog(conn: Any, record: ArchivedPartition) -> dict[str, bool]:
    row = conn.execute(
        text(
            """
            SELECT public_rel IS NOT NULL AS in_public, i.inhrelid IS NOT NULL AS attached,
                   coalesce(i.inhdetachpending, false) AS pending,
                   to_regclass(format('%I.%I', CAST(:schema AS text), CAST(:working AS text))) IS NOT NULL
                       AS in_archive
            FROM (SELECT to_regclass(format('%I.%I', current_schema(), CAST(:name AS text))) AS public_rel) r
            LEFT JOIN pg_inherits i ON i.inhrelid = r.public_rel
            """
        ),
        {"name": record.partition_name, "schema": ARCHIVE_SCHEMA, "working": record.working_table},
    ).mappings()
    return dict(row.one())


def detach(engine: Engine, store: ArchiveStore, record: ArchivedPartition, outcome: PartitionOutcome,
            hook: StepHook | None) -> None:  # fmt: skip
    with engine.connect() as raw:
        conn = raw.execution_options(isolation_level="AUTOCOMMIT")
        state = _catalog(conn, record)
        parent, part = ident(record.parent_table), ident(record.partition_name)
        if state["attached"] and state["pending"]:  # an interrupted DETACH ... CONCURRENTLY
            conn.execute(text(f"ALTER TABLE {parent} DETACH PARTITION {part} FINALIZE"))
        elif state["attached"]:
            conn.execute(text(f"ALTER TABLE {parent} DETACH PARTITION {part} CONCURRENTLY"))
    checkpoint("detached", outcome, hook)
    with Session(engine) as s, s.begin():
        state = _catalog(s.connection(), record)
        working = ident(record.working_table or "")
        if state["in_public"] and not state["attached"]:
            part = ident(record.partition_name)
            s.execute(text(f"ALTER TABLE {part} RENAME TO {working}"))
            s.execute(text(f"ALTER TABLE {working} SET SCHEMA {ident(ARCHIVE_SCHEMA)}"))
            qualified = f"{ident(ARCHIVE_SCHEMA)}.{working}"
            # The owner reads it whole (RLS stays on for everyone else); its tenants may read their rows.
            s.execute(text(f"ALTER TABLE {qualified} NO FORCE ROW LEVEL SECURITY"))
            s.execute(text(f"GRANT SELECT ON {qualified} TO {ident(APP_ROLE)}"))
        elif not state["in_archive"]:
            raise ArchiveError(
                f"{record.partition_name}: neither attached nor in {ARCHIVE_SCHEMA}.{record.working_table}"
            )
        row = s.get(ArchivedPartition, record.id, with_for_update=True)
        assert row is not None
        row.state = record.state = ArchiveState.DETACHED
        row.detached_at = record.detached_at = datetime.now(UTC)
    checkpoint("moved", outcome, hook)


def _pg_checksums(engine: Engine, record: ArchivedPartition) -> dict[str, tuple[int, int]]:
    with Session(engine) as s, s.begin():
        s.execute(text("SET LOCAL row_security = off"))  # never a silently filtered count
        source = f"{ident(ARCHIVE_SCHEMA)}.{ident(record.working_table or '')}"
        query = f"SELECT {PG_TENANT_CHECKSUMS[record.parent_table]} FROM {source} GROUP BY tenant_id"  # noqa: S608 - identifiers
        return {str(r.tenant_id): (int(r.n), int(r.s)) for r in s.execute(text(query))}


def write_parquet(engine: Engine, store: ArchiveStore, record: ArchivedPartition, outcome: PartitionOutcome,
           hook: StepHook | None) -> None:  # fmt: skip
    if record.attempts >= MAX_WRITE_ATTEMPTS:
        raise ArchiveError(
            f"{record.partition_name}: verification failed {record.attempts} times; the rows are safe in "
            f"{ARCHIVE_SCHEMA}.{record.working_table}: look at the archive folder, then reset attempts"
        )
    tmp, final = store.tmp_dir(record.id), store.final_dir(record.parent_table, record.range_start, record.id)
    store.remove(tmp)
    store.remove(final)  # an earlier, unrecorded attempt: the source table is still complete
    tmp.mkdir(parents=True)
    con = duck.connect()
    try:
        duck.attach_postgres(con, owner_url(), alias="pg", read_only=True, row_security=False)
        source = f"pg.{ident(ARCHIVE_SCHEMA)}.{ident(record.working_table or '')}"
        select = f"SELECT {COLUMN_LIST[record.parent_table]} FROM {source} ORDER BY tenant_id, occurred_at"  # noqa: S608 - identifiers
        con.execute(f"COPY ({select}) TO {sql_literal(str(tmp))} ({PARQUET_OPTIONS})")
    finally:
        con.close()
    store.publish_dir(tmp, final)
    checkpoint("files_renamed", outcome, hook)

    sums = _pg_checksums(engine, record)
    files = {str(f.tenant_id): f for f in store.tenant_files(final)}
    if set(files) != set(sums):
        raise ArchiveError(f"{record.partition_name}: tenants in Parquet differ from the table's")
    rows, total = combine(sums)
    with Session(engine) as s, s.begin():
        for tenant, (n, hash_sum) in sums.items():
            s.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": tenant})
            s.merge(
                ArchiveFile(
                    tenant_id=uuid.UUID(tenant),
                    archive_id=record.id,
                    parent_table=record.parent_table,
                    range_start=record.range_start,
                    range_end=record.range_end,
                    files=files[tenant].files,
                    row_count=n,
                    checksum=f"{n}:{hash_sum}",
                    bytes=files[tenant].bytes,
                    published=False,
                )
            )
        row = s.get(ArchivedPartition, record.id, with_for_update=True)
        assert row is not None
        changes = {
            "state": ArchiveState.WRITTEN,
            "row_count": rows,
            "checksum": total,
            "bytes_written": sum(f.bytes for f in files.values()),
            "directory": str(final.relative_to(store.root)),
            "tenant_ids": [uuid.UUID(t) for t in sorted(sums)],
            "written_at": datetime.now(UTC),
        }
        for key, value in changes.items():
            setattr(row, key, value)
            setattr(record, key, value)
    checkpoint("written", outcome, hook)


def parquet_checksums(table: str, paths: list[str]) -> dict[str, tuple[int, int]]:
    """Per-tenant ``(rows, hash sum)`` recomputed from Parquet files by DuckDB."""
    if not paths:
        return {}
    con = duck.connect()
    try:
        query = f"SELECT {DUCK_TENANT_CHECKSUMS[table]} FROM read_parquet($files) GROUP BY ALL"  # noqa: S608 - constant
        rows = con.execute(query, {"files": paths}).fetchall()
    finally:
        con.close()
    return {tenant: (int(n), int(s)) for tenant, n, s in rows}


def _tenant_files(engine: Engine, record: ArchivedPartition) -> dict[str, ArchiveFile]:
    found: dict[str, ArchiveFile] = {}
    with Session(engine, expire_on_commit=False) as s, s.begin():
        for tenant in record.tenant_ids:
            s.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(tenant)})
            row = s.get(ArchiveFile, (tenant, record.id))
            if row is not None:
                found[str(tenant)] = row
    return found


def verify(engine: Engine, store: ArchiveStore, record: ArchivedPartition, outcome: PartitionOutcome,
            hook: StepHook | None) -> None:  # fmt: skip
    recorded = _tenant_files(engine, record)
    paths = [str(store.path(p)) for f in recorded.values() for p in f.files]
    found = parquet_checksums(record.parent_table, paths)
    expected = {t: f.checksum for t, f in recorded.items()}
    actual = {t: f"{n}:{s}" for t, (n, s) in found.items()}
    _, total = combine(found)
    if len(recorded) != len(record.tenant_ids) or actual != expected or total != record.checksum:
        _save(engine, record, state=ArchiveState.DETACHED, attempts=record.attempts + 1,
              error=f"verification failed: Parquet {total}, PostgreSQL {record.checksum}")  # fmt: skip
        raise ArchiveError(f"{record.partition_name}: Parquet does not match the table; it will be rewritten")
    _save(engine, record, state=ArchiveState.VERIFIED, parquet_checksum=total,
          verified_at=datetime.now(UTC), error=None)  # fmt: skip
    checkpoint("verified", outcome, hook)


def publish_and_drop(engine: Engine, store: ArchiveStore, record: ArchivedPartition,
                      outcome: PartitionOutcome, hook: StepHook | None) -> None:  # fmt: skip
    """Make the files visible and drop the table in ONE transaction: readers switch over atomically."""
    with Session(engine) as s, s.begin():
        for tenant in record.tenant_ids:
            s.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(tenant)})
            s.execute(
                text("UPDATE archive_files SET published = true WHERE tenant_id = :t AND archive_id = :a"),
                {"t": tenant, "a": record.id},
            )
        s.execute(text(f"DROP TABLE IF EXISTS {ident(ARCHIVE_SCHEMA)}.{ident(record.working_table or '')}"))
        row = s.get(ArchivedPartition, record.id, with_for_update=True)
        assert row is not None
        row.state = record.state = ArchiveState.DROPPED
        row.dropped_at = record.dropped_at = datetime.now(UTC)
    checkpoint("dropped", outcome, hook)
