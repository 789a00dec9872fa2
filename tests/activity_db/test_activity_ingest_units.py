"""Pure parts of ingest: months of partitions, JSON lines, quarantine payloads, reading ahead."""

from __future__ import annotations

import json
import uuid
import weakref
from datetime import UTC, datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any

import pytest

from platform_core.activity.event_parsing import Rejected
from platform_core.activity.fold import ProgressFold, VideoInfo
from platform_core.activity.ingest import IngestReport, RejectedInput, _Lookahead, decode_json_lines
from platform_core.activity.ingest_batch import (
    USER_LOCK_LIMIT,
    BatchResult,
    _few_users,
    batch_months,
    month_starts,
)
from platform_core.activity.ingest_prepare import prepare_batch
from platform_core.activity.progress import ProgressReport
from platform_core.activity.quarantine import MAX_QUARANTINE_PAYLOAD_CHARS, quarantine_id, quarantine_payload


def test_partition_months_are_utc_months() -> None:
    east = timezone(timedelta(hours=9))
    moments = [
        datetime(2025, 3, 1, 5, 0, tzinfo=east),  # 2025-02-28 20:00 UTC
        datetime(2025, 5, 31, 23, 0, tzinfo=timezone(-timedelta(hours=2))),  # 2025-06-01 01:00 UTC
    ]
    assert month_starts(moments) == [datetime(2025, m, 1, tzinfo=UTC) for m in (2, 3, 4, 5, 6)]
    assert month_starts([datetime(2024, 12, 31, 23, tzinfo=UTC), datetime(2025, 1, 1, tzinfo=UTC)]) == [
        datetime(2024, 12, 1, tzinfo=UTC),
        datetime(2025, 1, 1, tzinfo=UTC),
    ]
    far = [datetime(1999, 1, 5, tzinfo=UTC), datetime(2025, 7, 1, tzinfo=UTC)]  # only the months present
    assert month_starts(far) == [datetime(1999, 1, 1, tzinfo=UTC), datetime(2025, 7, 1, tzinfo=UTC)]
    assert month_starts([]) == []


def test_json_lines_keep_bad_lines_as_rejections() -> None:
    items = list(decode_json_lines(['{"a": 1}\n', "\n", "{oops\n", "[1, 2]\n"]))
    assert items[0] == {"a": 1} and items[2] == [1, 2]
    bad = items[1]
    assert isinstance(bad, RejectedInput) and bad.field == "$" and bad.reason.startswith("line 3: not JSON")
    assert bad.payload == {"line": 3, "text": "{oops\n"}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"b": 1, "a": float("nan")}, {"a": "nan", "b": 1}),
        ({"s": "x\x00y"}, {"s": "x\ufffdy"}),
        ({"s": "\ud800"}, {"s": "?"}),
        (["a", 1], {"value": ["a", 1]}),
        (7, {"value": 7}),
        ({"when": datetime(2025, 1, 1, tzinfo=UTC)}, {"when": "2025-01-01 00:00:00+00:00"}),
    ],
)
def test_quarantine_payloads_are_representable(raw: Any, expected: dict[str, Any]) -> None:
    assert json.loads(quarantine_payload(raw)) == expected


def test_quarantine_payloads_are_capped_and_ids_deterministic() -> None:
    huge = quarantine_payload({"blob": "x" * (MAX_QUARANTINE_PAYLOAD_CHARS + 10)})
    assert set(json.loads(huge)) == {"truncated"}
    payload = quarantine_payload({"type": "x"})
    assert quarantine_id(payload, "type", "unknown") == quarantine_id(payload, "type", "unknown")
    assert quarantine_id(payload, "type", "unknown") != quarantine_id(payload, "type", "other")


def test_prepare_batch_rejects_future_events_and_counts_resends() -> None:
    now = datetime(2025, 3, 1, tzinfo=UTC)
    event = {
        "id": str(uuid.uuid4()),
        "type": "login",
        "occurred_at": (now + timedelta(hours=25)).isoformat(),
        "user_id": str(uuid.uuid4()),
        "data": {},
    }
    ok = {**event, "id": str(uuid.uuid4()), "occurred_at": (now + timedelta(hours=23)).isoformat()}
    batch = prepare_batch([event, ok, dict(ok), RejectedInput({"x": 1}, "$", "upstream")], 10, now=now)
    assert [(r.index, r.field) for r in batch.rejected] == [(10, "occurred_at"), (13, "$")]
    assert len(batch.events) == 1 and batch.duplicates == 1 and batch.indexes == [11]


def test_lookahead_reads_one_batch_ahead_and_validates_it_on_demand() -> None:
    consumed: list[int] = []

    def source():
        for k in range(7):
            consumed.append(k)
            yield RejectedInput({"k": k}, "$", "refused upstream")

    batches = _Lookahead(source(), 3)
    stream = iter(batches)
    first = next(stream)
    assert (first.start, first.size, [r.index for r in first.rejected]) == (0, 3, [0, 1, 2])
    assert consumed == list(range(6)), "the next chunk is read (between transactions), no further"
    batches.prepare_next()
    batches.prepare_next()  # idempotent: the chunk read ahead is validated once
    second = next(stream)
    assert (second.start, [r.index for r in second.rejected]) == (3, [3, 4, 5])
    assert [(b.start, b.size) for b in stream] == [(6, 1)]


def test_lookahead_yields_what_was_read_before_the_source_failed() -> None:
    def failing():
        yield RejectedInput({}, "$", "x")
        raise RuntimeError("source broke")

    stream = iter(_Lookahead(failing(), 1))
    assert next(stream).size == 1
    with pytest.raises(RuntimeError, match="source broke"):
        next(stream)


def _refused(count: int):
    return (RejectedInput({"k": k}, "$", "refused upstream") for k in range(count))


def test_lookahead_releases_the_stored_batch_while_the_next_one_inserts() -> None:
    batches = _Lookahead(_refused(9), 3)
    stream = iter(batches)
    first = weakref.ref(next(stream))
    batches.prepare_next()  # while the first batch inserts: the second is validated
    second = next(stream)  # the first is stored
    assert first() is not None, "kept until the next insert window, not freed between transactions"
    batches.prepare_next()  # while the second batch inserts
    assert first() is None
    assert second.start == 3


def test_lookahead_without_prefetch_releases_the_stored_batch_at_once() -> None:
    stream = iter(_Lookahead(_refused(6), 3))
    first = weakref.ref(next(stream))
    next(stream)
    assert first() is None, "no insert window ran: nothing may stay held"


def test_small_batches_lock_their_users_and_large_ones_stop_counting() -> None:
    users = [uuid.uuid4() for _ in range(USER_LOCK_LIMIT + 1)]
    few = [SimpleNamespace(user_id=u) for u in users[:-1] * 3]
    assert _few_users(few) == set(users[:-1])  # type: ignore[arg-type]

    def many():
        yield from (SimpleNamespace(user_id=u) for u in users)
        raise AssertionError("read past the first user over the limit")

    assert _few_users(many()) is None  # type: ignore[arg-type]


def test_batch_months_are_computed_once() -> None:
    moments = ["2025-01-31T23:00:00+00:00", "2025-03-01T00:30:00+01:00"]
    raw = [
        {
            "id": str(uuid.uuid4()),
            "type": "click",
            "occurred_at": m,
            "user_id": str(uuid.uuid4()),
            "data": {"target": "a"},
        }
        for m in moments
    ]
    batch = prepare_batch(raw, 0)
    months = batch_months(batch)
    assert months == [datetime(2025, 1, 1, tzinfo=UTC), datetime(2025, 2, 1, tzinfo=UTC)]
    batch.events.clear()
    assert batch_months(batch) is months


def test_report_counts_reasons_and_samples() -> None:
    report = IngestReport()
    rejected = [Rejected(k, {}, "data.position", f"reason {k % 60}") for k in range(70)]
    report.add(BatchResult(0, 100, [uuid.uuid4()] * 20, 10, rejected, ProgressReport(pairs=3)))
    data = report.to_dict()
    assert (data["received"], data["stored"], data["duplicates"], data["quarantined"]) == (100, 20, 10, 70)
    assert len(data["samples"]) == 20 and data["progress_pairs"] == 3
    assert sum(data["reasons"].values()) == 70 and "(other reasons)" in data["reasons"]


def test_fold_refuses_events_older_than_what_it_folded() -> None:
    from platform_core.activity.event_parsing import parse_event

    def play(at: int) -> Any:
        return parse_event(
            {
                "id": str(uuid.uuid4()),
                "type": "video_play",
                "occurred_at": (datetime(2025, 1, 1, tzinfo=UTC) + timedelta(seconds=at)).isoformat(),
                "user_id": str(uuid.uuid4()),
                "data": {"video_id": str(uuid.uuid4()), "position": 0},
            }
        )

    fold = ProgressFold()
    fold.apply([play(10)], VideoInfo(60))
    assert not fold.can_extend([play(5)]) and fold.can_extend([play(11)])
    with pytest.raises(ValueError, match="refold"):
        fold.apply([play(5)], VideoInfo(60))
    assert ProgressFold.from_json({"version": 0}) is None and ProgressFold.from_json({}) is None
