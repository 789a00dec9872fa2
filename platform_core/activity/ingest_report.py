"""The counts one ingest call reports (``ilp ingest`` prints them as text or ``--json``)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Final

from platform_core.activity.event_parsing import Rejected
from platform_core.activity.ingest_batch import BatchResult

__all__ = ["IngestReport", "QuarantineSample"]

MAX_SAMPLES: Final = 20
MAX_DISTINCT_REASONS: Final = 50


@dataclass(frozen=True, slots=True)
class QuarantineSample:
    index: int
    event_id: str | None
    field: str
    reason: str


@dataclass
class IngestReport:
    """Counts of one ingest call. ``quarantined`` counts the call's invalid items (all of which are in
    ``event_quarantine`` afterwards, a replay adding no row); ``reasons`` groups them by field and reason."""

    received: int = 0
    stored: int = 0
    duplicates: int = 0
    quarantined: int = 0
    batches: int = 0
    retries: int = 0
    progress_pairs: int = 0
    refolded_pairs: int = 0
    lessons_updated: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    samples: list[QuarantineSample] = field(default_factory=list)
    seconds: float = 0.0

    def add(self, result: BatchResult) -> None:
        self.batches += 1
        self.received += result.size
        self.stored += len(result.stored_ids)
        self.duplicates += result.duplicates
        self.quarantined += len(result.rejected)
        self.progress_pairs += result.progress.pairs
        self.refolded_pairs += result.progress.refolded
        self.lessons_updated += result.progress.lessons
        for rejected in result.rejected:
            key = f"{rejected.field}: {rejected.reason}"
            if key in self.reasons or len(self.reasons) < MAX_DISTINCT_REASONS:
                self.reasons[key] += 1
            else:
                self.reasons["(other reasons)"] += 1
            if len(self.samples) < MAX_SAMPLES:
                self.samples.append(_sample(rejected))

    @property
    def events_per_second(self) -> float:
        return self.received / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "received": self.received,
            "stored": self.stored,
            "duplicates": self.duplicates,
            "quarantined": self.quarantined,
            "batches": self.batches,
            "retries": self.retries,
            "progress_pairs": self.progress_pairs,
            "refolded_pairs": self.refolded_pairs,
            "lessons_updated": self.lessons_updated,
            "reasons": dict(self.reasons.most_common()),
            "samples": [_sample_dict(s) for s in self.samples],
            "seconds": round(self.seconds, 3),
            "events_per_second": round(self.events_per_second, 1),
        }


def _sample(rejected: Rejected) -> QuarantineSample:
    return QuarantineSample(rejected.index, rejected.event_id, rejected.field, rejected.reason)


def _sample_dict(sample: QuarantineSample) -> dict[str, Any]:
    return {
        "index": sample.index,
        "event_id": sample.event_id,
        "field": sample.field,
        "reason": sample.reason,
    }
