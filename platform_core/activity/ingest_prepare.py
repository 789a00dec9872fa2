"""Validation of an ingest batch, without the database.

:func:`prepare_batch` parses every item (the plain common shapes through :mod:`fastpath`, everything else
with the event models), drops identical resends inside the batch, rejects an id reused for a different
event, and builds the staging rows: JSON text checked for what PostgreSQL's ``jsonb`` refuses (NaN,
infinities, NUL characters, lone surrogates), so that one bad value cannot fail a whole batch at insert.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from pydantic import BaseModel
from pydantic_core import PydanticSerializationError

from platform_core.activity.event_parsing import Rejected, parse_event
from platform_core.activity.events import EventBase, InvalidEvent
from platform_core.activity.fastpath import fast_event

__all__ = ["MAX_CLOCK_AHEAD", "KnownDuplicate", "PreparedBatch", "RejectedInput", "StageRow", "prepare_batch"]

#: Devices whose clock claims an event happened further ahead than this are not believed.
MAX_CLOCK_AHEAD: Final = timedelta(hours=24)
_NUL_ESCAPE = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")
StageRow = tuple[uuid.UUID, datetime, uuid.UUID, uuid.UUID | None, str, str, str | None]


@dataclass(frozen=True, slots=True)
class RejectedInput:
    """An item refused before it became an event (undecodable JSON line, unmappable xAPI statement)."""

    payload: Any
    field: str
    reason: str


@dataclass(frozen=True, slots=True)
class KnownDuplicate:
    """An item that is known to be stored already (counted as a duplicate, nothing is written)."""

    event_id: str


@dataclass
class PreparedBatch:
    """A batch after validation: unique valid events with their staging rows, and the rejected items."""

    start: int
    size: int
    events: list[EventBase] = field(default_factory=list)
    #: the items as given, parallel to ``events`` (what the quarantine keeps when a database check fails)
    raws: list[Any] = field(default_factory=list)
    indexes: list[int] = field(default_factory=list)
    rows: list[StageRow] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    duplicates: int = 0
    #: positions (in ``events``) that passed the checks needing the tenant's users and videos; ``None``
    #: until they ran (see ``ingest_batch.KnownReferences``); ``unresolved``: those left for the database
    kept: list[int] | None = None
    unresolved: list[int] = field(default_factory=list)
    #: the UTC months (first instants) the events fall in, once computed (see ``ingest_batch.month_starts``)
    months: list[datetime] | None = None


def _json_text(value: Any, field_name: str) -> str:
    """Compact JSON that ``jsonb`` accepts, else :class:`InvalidEvent` naming the field."""
    try:
        dumped = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        dumped.encode("utf-8")
    except UnicodeError:
        raise InvalidEvent(field_name, "must not contain lone surrogates (not valid Unicode)") from None
    except ValueError:
        raise InvalidEvent(field_name, "must not contain NaN or Infinity (not valid JSON)") from None
    if "\\u0000" in dumped and _NUL_ESCAPE.search(dumped):
        raise InvalidEvent(field_name, "must not contain the NUL character")
    return dumped


def _model_json(model: BaseModel, field_name: str, **options: Any) -> str:
    """``model`` as JSON text (serialised by pydantic, the fast path), checked like :func:`_json_text`."""
    try:
        dumped = model.model_dump_json(**options)
    except PydanticSerializationError:  # a lone surrogate cannot be encoded
        raise InvalidEvent(field_name, "must not contain lone surrogates (not valid Unicode)") from None
    if "NaN" in dumped or "Infinity" in dumped:  # maybe only inside a string: the strict encoder decides
        return _json_text(model.model_dump(mode="json", **options), field_name)
    if "\\u0000" in dumped and _NUL_ESCAPE.search(dumped):
        raise InvalidEvent(field_name, "must not contain the NUL character")
    return dumped


def _stage_row(event: EventBase) -> StageRow:
    context = event.context
    return (
        event.id,
        event.occurred_at,
        event.user_id,
        event.session_id,
        event.type,
        _model_json(event.data, "data", by_alias=True),
        _model_json(context, "context", exclude_unset=True) if context is not None else None,
    )


def prepare_batch(
    items: list[Any],
    start: int,
    *,
    now: datetime | None = None,
) -> PreparedBatch:
    """Validate a batch without the database (see the module docstring). Indexes count from ``start``."""
    batch = PreparedBatch(start=start, size=len(items))
    latest = (now or datetime.now(UTC)) + MAX_CLOCK_AHEAD
    seen: dict[uuid.UUID, EventBase] = {}
    for offset, item in enumerate(items):
        index = start + offset
        if isinstance(item, KnownDuplicate):
            batch.duplicates += 1
            continue
        if isinstance(item, RejectedInput):
            batch.rejected.append(Rejected(index, item.payload, item.field, item.reason))
            continue
        try:
            fast = fast_event(item)
            if fast is not None:
                event, data_text, context_text = fast
                row = (
                    event.id,
                    event.occurred_at,
                    event.user_id,
                    event.session_id,
                    event.type,
                    data_text,
                    context_text,
                )
            else:
                event = parse_event(item)
                row = _stage_row(event)
            if event.occurred_at > latest:
                raise InvalidEvent("occurred_at", "is more than 24 hours in the future (device clock?)")
            earlier = seen.get(event.id)
            if earlier is not None:
                if earlier.model_dump() != event.model_dump():
                    raise InvalidEvent("id", "reused in this batch for a different event")
                batch.duplicates += 1
                continue
        except InvalidEvent as exc:
            batch.rejected.append(Rejected(index, item, exc.field, exc.reason))
            continue
        seen[event.id] = event
        batch.events.append(event)
        batch.raws.append(item)
        batch.indexes.append(index)
        batch.rows.append(row)
    return batch
