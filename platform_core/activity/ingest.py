"""Event ingest: the batch API behind ``ilp ingest`` and everything the player or simulator sends.

``ingest_events(tenant_id, events=...)`` streams any iterable of raw events (decoded JSON objects) in
batches of ``batch_size``; each batch is one transaction (see :mod:`ingest_batch` for what happens in it),
and its events count as stored only once that transaction has committed (``on_batch`` is told then). The
tenant is the one given, never one named in the payload. Valid events are stored, invalid ones are kept in
``event_quarantine`` with the field and the reason, resends are counted as duplicates and change nothing.

The next batch is read from the input between transactions and validated while the server inserts the
current one (the insert is pipelined, see :mod:`ingest_batch`), all in the calling thread: no helper thread
competes with it for the interpreter. The cyclic garbage collector runs less often meanwhile (see
:func:`_fewer_gc_passes`). Memory stays flat: at most three batches are held at a time (the one being stored,
the next one, and the previous one until it is released while the server inserts).

With ``retries``, a batch whose connection broke (server restarted, killed, failed over) is run again
once the server answers; a batch is idempotent, so a commit whose acknowledgement was lost is simply
found as duplicates. When the retries run out, :class:`IngestInterrupted` carries what was committed.
"""

from __future__ import annotations

import gc
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from itertools import islice
from typing import Any, Final, TypeVar

import psycopg
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session

from platform_core.activity.ingest_batch import (
    BatchResult,
    KnownReferences,
    batch_months,
    ensure_partitions,
    store_batch,
)
from platform_core.activity.ingest_prepare import KnownDuplicate, PreparedBatch, RejectedInput, prepare_batch
from platform_core.activity.ingest_report import IngestReport
from platform_core.db.engine import app_engine
from platform_core.db.session import TENANT_KEY, tenant_session

__all__ = [
    "BatchResult",
    "IngestInterrupted",
    "IngestReport",
    "KnownDuplicate",
    "RejectedInput",
    "decode_json_lines",
    "ingest_events",
]

log = logging.getLogger(__name__)

MAX_BATCH_SIZE: Final = 50_000
T = TypeVar("T")


class IngestInterrupted(RuntimeError):
    """The database failed mid-ingest. ``report`` counts the batches committed before; re-running the same
    input is safe (what was stored is found as duplicates)."""

    def __init__(self, report: IngestReport, cause: BaseException) -> None:
        super().__init__(
            f"ingest interrupted after {report.batches} committed batch(es) "
            f"({report.stored} events stored): {cause}"
        )
        self.report = report
        self.cause = cause


# --------------------------------------------------------------------------------------- streaming
def decode_json_lines(lines: Iterable[str]) -> Iterator[Any]:
    """Decoded JSON values of non-blank lines; an undecodable line becomes a :class:`RejectedInput` (so it
    is quarantined, with its line number), not an exception that would stop the stream."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            yield json.loads(line)
        except ValueError as exc:
            reason = f"line {number}: not JSON ({exc})"
            yield RejectedInput({"line": number, "text": line[:10_000]}, "$", reason)


def _chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


class _Lookahead:
    """The input as prepared batches, one batch ahead.

    The next chunk is read from the input between transactions (reading may block, e.g. on standard input,
    and must not do so while a batch holds its locks); :meth:`prepare_next` validates it and passes it to
    ``then``, which needs no I/O and is what ingest runs while the server inserts the current batch. The
    batch stored last is released there too: freeing its objects takes a few milliseconds that would
    otherwise leave the server idle.
    """

    def __init__(
        self, events: Iterable[Any], batch_size: int, then: Callable[[PreparedBatch], None] | None = None
    ) -> None:
        self._chunks = _chunks(events, batch_size)
        self._then = then
        self._start = 0
        self._read: list[Any] | None = None
        self._ready: PreparedBatch | None = None
        self._retired: PreparedBatch | None = None

    def prepare_next(self) -> None:
        self._retired = None
        self._prepare()

    def _prepare(self) -> None:
        if self._read is not None:
            self._ready = prepare_batch(self._read, self._start)
            self._start += len(self._read)
            self._read = None
            if self._then is not None:
                self._then(self._ready)

    def _read_next(self) -> None:
        if self._read is None and self._ready is None:
            self._read = next(self._chunks, None)

    def __iter__(self) -> Iterator[PreparedBatch]:
        while True:
            if self._ready is None:  # prepare_next did not run: release the last batch now
                self._retired = None
            self._read_next()
            self._prepare()
            if self._ready is None:
                return
            batch, self._ready = self._ready, None
            try:
                self._read_next()
            except Exception as exc:  # the input broke: store what was read before it, then say so
                yield batch
                raise exc
            yield batch
            self._retired = batch


# ------------------------------------------------------------------------------------ garbage collector
_gc_lock = threading.Lock()
_gc_users = 0
_gc_saved: tuple[int, int, int] = gc.get_threshold()


@contextmanager
def _fewer_gc_passes() -> Iterator[None]:
    """Collect cycles less often while ingesting.

    A batch allocates many small objects that reference counting frees by itself, and the cyclic
    collector's repeated passes over them (and over the caller's input) cost up to half of the Python time
    of ingest. The thresholds are raised process-wide while any ingest runs and restored when the last one
    ends; nothing else changes (no collection is skipped for good).
    """
    global _gc_users, _gc_saved
    with _gc_lock:
        if _gc_users == 0:
            _gc_saved = gc.get_threshold()
            first, second, third = _gc_saved
            gc.set_threshold(max(first, 100_000), max(second, 50), max(third, 100))
        _gc_users += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_users -= 1
            if _gc_users == 0:
                gc.set_threshold(*_gc_saved)


# ------------------------------------------------------------------------------------------ retries
def _connection_lost(exc: BaseException) -> bool:
    """Whether ``exc`` means the server went away (so the batch may simply be run again)."""
    if isinstance(exc, sa_exc.DBAPIError):
        return exc.connection_invalidated or isinstance(
            exc.orig, psycopg.OperationalError | psycopg.InterfaceError
        )
    return isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError)


_ensured_months: set[tuple[str, int, int]] = set()
_ensured_lock = threading.Lock()


def _ensure_partitions_ahead(batch: PreparedBatch) -> None:
    """Create missing partitions in a short transaction of their own, so the batch's transaction does not
    hold the lock ``CREATE TABLE ... PARTITION OF`` takes on the parent. This process remembers the months
    it made sure of; a partition detached since makes the insert fail, and the batch is run again."""
    engine = app_engine()
    key = engine.url.render_as_string(hide_password=True)
    months = {(key, m.year, m.month) for m in batch_months(batch)}
    with _ensured_lock:
        missing = months - _ensured_months
    if not missing:
        return
    with engine.begin() as conn:
        ensure_partitions(conn, batch_months(batch))
    with _ensured_lock:
        _ensured_months.update(missing)


def _partition_missing(exc: BaseException) -> bool:
    """A partition this process made sure of was detached (archived) since."""
    error = exc.orig if isinstance(exc, sa_exc.DBAPIError) else exc  # COPY runs on the driver directly
    return isinstance(error, psycopg.errors.CheckViolation) and "no partition of relation" in str(error)


def _stored_concurrently(exc: BaseException) -> bool:
    """Another transaction stored an event with the same key meanwhile (an id reused by another user, so
    that the advisory locks did not serialise the two batches): run the batch again, which counts it as a
    duplicate."""
    error = exc.orig if isinstance(exc, sa_exc.DBAPIError) else exc
    if not isinstance(error, psycopg.errors.UniqueViolation):
        return False
    return (error.diag.table_name or "").startswith("analytics_events")


StoreBatch = Callable[[Session, PreparedBatch, bool], BatchResult]


def _store_committed(
    tenant_id: uuid.UUID, batch: PreparedBatch, store: StoreBatch, retries: int, report: IngestReport
) -> BatchResult:
    """``store`` the batch in a transaction of its own, running it again when that is the cure."""
    attempt, recheck, rerun = 0, False, False
    while True:
        try:
            _ensure_partitions_ahead(batch)
            with tenant_session(tenant_id) as session:
                return store(session, batch, not recheck)
        except Exception as exc:
            if _partition_missing(exc) and not recheck:
                with _ensured_lock:
                    _ensured_months.clear()
                recheck = True  # once more, making sure of the partitions inside the transaction
                continue
            if _stored_concurrently(exc) and not rerun:
                rerun = True
                continue
            if not _connection_lost(exc) or attempt >= retries:
                raise
            attempt += 1
            report.retries += 1
            delay = min(0.25 * 2**attempt, 5.0)
            log.warning("batch at item %d failed (%s); retry %d in %.2fs", batch.start, exc, attempt, delay)
            time.sleep(delay)


def ingest_events(
    session_or_tenant: Session | uuid.UUID | str,
    *,
    events: Iterable[Mapping[str, Any] | RejectedInput | KnownDuplicate],
    batch_size: int = 5000,
    source: str | None = None,
    on_batch: Callable[[BatchResult], None] | None = None,
    retries: int = 0,
    prefetch: bool = True,
) -> IngestReport:
    """Validate and store ``events`` for one tenant; returns the counts (see :class:`IngestReport`).

    ``session_or_tenant``: a tenant id (each batch commits on its own, ``on_batch`` runs after each commit)
    or a ``Session`` from ``tenant_session`` (everything happens in the caller's transaction and is stored
    when the caller commits). ``source`` labels quarantine rows (e.g. the file name). Items may also be
    :class:`RejectedInput` (refused upstream: quarantined as given) or :class:`KnownDuplicate`.
    ``retries`` re-runs a batch whose connection was lost (tenant mode only). ``prefetch=False`` validates
    each batch only once the previous one is stored, instead of while the server inserts it.
    """
    if not 1 <= batch_size <= MAX_BATCH_SIZE:
        raise ValueError(f"batch_size must be in [1, {MAX_BATCH_SIZE}], got {batch_size}")
    session = session_or_tenant if isinstance(session_or_tenant, Session) else None
    if session is not None:
        tenant_id = session.info.get(TENANT_KEY)
        if tenant_id is None:
            raise ValueError("the session has no tenant: open it with tenant_session()")
    elif isinstance(session_or_tenant, uuid.UUID):
        tenant_id = session_or_tenant
    else:
        tenant_id = uuid.UUID(str(session_or_tenant))
    report = IngestReport()
    started = time.perf_counter()

    known = KnownReferences()

    def ahead(batch: PreparedBatch) -> None:  # needs no database: runs while the server inserts
        known.check_ahead(batch)
        batch_months(batch)

    batches = _Lookahead(events, batch_size, then=ahead)
    meanwhile = batches.prepare_next if prefetch else None

    def store(session: Session, batch: PreparedBatch, partitions_ready: bool = False) -> BatchResult:
        return store_batch(
            session,
            tenant_id,
            batch,
            source=source,
            partitions_ready=partitions_ready,
            while_inserting=meanwhile,
            known=known,
        )

    with _fewer_gc_passes():
        for batch in batches:
            try:
                if session is not None:
                    result = store(session, batch)
                else:
                    result = _store_committed(tenant_id, batch, store, retries, report)
            except Exception as exc:
                if session is None and _connection_lost(exc):
                    report.seconds = time.perf_counter() - started
                    raise IngestInterrupted(report, exc) from exc
                raise
            report.add(result)
            if on_batch is not None:
                on_batch(result)
    report.seconds = time.perf_counter() - started
    return report
