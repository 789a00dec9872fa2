"""Handing the simulated events to the platform's ingest, in bounded batches, on a worker thread.

The simulator fills a buffer and hands it over only at safe points (between learners, once all of a
learner's sittings have committed), so an ingest transaction never competes for rows with a sitting still
being simulated, and the simulator never waits on the worker while it holds a transaction. One worker
ingests the batches in order (so each student's events arrive in time order and progress folds forward
without refolding) while the simulator goes on with the next learners: on two cores the Python and the
PostgreSQL halves overlap. At most ``queue_depth`` + 1 batches are held in memory.
"""

from __future__ import annotations

import queue
import threading
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from platform_core.activity.ingest import IngestReport, ingest_events


@dataclass
class IngestTotals:
    received: int = 0
    stored: int = 0
    duplicates: int = 0
    quarantined: int = 0
    batches: int = 0
    reasons: Counter[str] = field(default_factory=Counter)

    def add(self, report: IngestReport) -> None:
        self.received += report.received
        self.stored += report.stored
        self.duplicates += report.duplicates
        self.quarantined += report.quarantined
        self.batches += report.batches
        self.reasons.update(report.reasons)

    def to_dict(self) -> dict[str, Any]:
        return {
            "received": self.received,
            "stored": self.stored,
            "duplicates": self.duplicates,
            "quarantined": self.quarantined,
            "batches": self.batches,
            "reasons": dict(self.reasons.most_common(10)),
        }


class EventStream:
    """``add`` events, call ``boundary()`` at safe points, ``close()`` at the end (returns the totals)."""

    def __init__(
        self, tenant_id: uuid.UUID, *, batch_size: int = 5000, source: str = "ilp-seed", queue_depth: int = 2
    ) -> None:
        self.tenant_id = tenant_id
        self.batch_size = batch_size
        self.source = source
        self.totals = IngestTotals()
        self._buffer: list[dict[str, Any]] = []
        self._queue: queue.Queue[list[dict[str, Any]] | None] = queue.Queue(maxsize=queue_depth)
        self._error: BaseException | None = None
        self._worker = threading.Thread(target=self._work, name="ilp-seed-ingest", daemon=True)
        self._worker.start()
        self._closed = False

    def add(self, event: dict[str, Any]) -> None:
        self._buffer.append(event)

    def extend(self, events: list[dict[str, Any]]) -> None:
        self._buffer.extend(events)

    def boundary(self) -> None:
        """A safe point: hand the buffer over once it holds a batch."""
        if len(self._buffer) >= self.batch_size:
            self._hand_off()

    def _hand_off(self) -> None:
        self._raise_if_failed()
        if self._buffer:
            self._queue.put(self._buffer)
            self._buffer = []

    def _raise_if_failed(self) -> None:
        if self._error is not None:
            raise RuntimeError(f"event ingest failed: {self._error}") from self._error

    def close(self) -> IngestTotals:
        """Hand over what is left, wait for the worker, and return the totals (raises if ingest failed)."""
        if not self._closed:
            self._closed = True
            try:
                if self._error is None:
                    self._hand_off()
            finally:
                self._queue.put(None)
                self._worker.join()
        self._raise_if_failed()
        return self.totals

    def abort(self) -> None:
        """Stop without handing over the buffer (after a failure in the simulator)."""
        self._buffer = []
        if not self._closed:
            self._closed = True
            self._queue.put(None)
            self._worker.join()

    def _work(self) -> None:
        while (batch := self._queue.get()) is not None:
            if self._error is not None:
                continue
            try:
                report = ingest_events(
                    self.tenant_id,
                    events=batch,
                    batch_size=min(len(batch), 50_000),
                    source=self.source,
                    prefetch=False,
                )
                self.totals.add(report)
            except BaseException as exc:
                self._error = exc
