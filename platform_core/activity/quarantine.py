"""The quarantine: invalid events kept verbatim in ``event_quarantine`` with the field and the reason.

Each row's id is derived from the item and the reason, and rows are inserted with ``ON CONFLICT DO
NOTHING``: a replayed file adds no quarantine row. Payloads are made representable as ``jsonb`` (NaN and
infinities become strings, NUL characters and lone surrogates become U+FFFD) and capped in size.
"""

from __future__ import annotations

import hashlib
import json
import math
import uuid
from collections.abc import Mapping
from typing import Any, Final

from sqlalchemy import text
from sqlalchemy.orm import Session

from platform_core.activity.event_parsing import Rejected

__all__ = ["quarantine", "quarantine_id", "quarantine_payload"]

MAX_QUARANTINE_PAYLOAD_CHARS: Final = 200_000
QUARANTINE_NAMESPACE: Final = uuid.UUID("0d6f3c52-8a43-4d7e-9a55-0c1b6f2f9e11")


def _clean(value: Any, depth: int = 0) -> Any:
    """A JSON-safe copy of an arbitrary payload (what ``jsonb`` refuses becomes a string)."""
    if depth > 64:
        return repr(value)[:1000]
    if isinstance(value, Mapping):
        return {str(_clean(k, depth + 1)): _clean(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v, depth + 1) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd").encode("utf-8", "replace").decode("utf-8")
    if value is None or isinstance(value, bool | int | float):
        return value
    return _clean(str(value), depth + 1)


def quarantine_payload(raw: Any) -> str:
    """The quarantined item as JSON object text: a non-object is wrapped as ``{"value": ...}``."""
    payload = _clean(raw)
    if not isinstance(payload, dict):
        payload = {"value": payload}
    dumped = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    if len(dumped) > MAX_QUARANTINE_PAYLOAD_CHARS:
        dumped = json.dumps({"truncated": dumped[:MAX_QUARANTINE_PAYLOAD_CHARS]}, ensure_ascii=False)
    return dumped


def quarantine_id(payload: str, field_name: str, reason: str) -> uuid.UUID:
    """The same invalid item with the same reason always gets the same quarantine row id."""
    digest = hashlib.sha256(f"{payload}\x00{field_name}\x00{reason}".encode()).hexdigest()
    return uuid.uuid5(QUARANTINE_NAMESPACE, digest)


def quarantine(session: Session, tenant_id: uuid.UUID, rejected: list[Rejected], source: str | None) -> None:
    """Keep ``rejected`` items in ``event_quarantine`` (in the session's transaction)."""
    if not rejected:
        return
    payloads = [quarantine_payload(r.raw) for r in rejected]
    ids = [quarantine_id(p, r.field, r.reason) for p, r in zip(payloads, rejected, strict=True)]
    session.execute(
        text(
            """
            INSERT INTO event_quarantine (tenant_id, id, batch_id, event_id, payload, field, reason, source)
            SELECT :t, q.id, :batch_id, q.event_id, CAST(q.payload AS jsonb), q.field, q.reason, :source
            FROM unnest(CAST(:ids AS uuid[]), CAST(:event_ids AS text[]), CAST(:payloads AS text[]),
                        CAST(:fields AS text[]), CAST(:reasons AS text[]))
                 AS q(id, event_id, payload, field, reason)
            ON CONFLICT (tenant_id, id) DO NOTHING
            """
        ),
        {
            "t": tenant_id,
            "batch_id": uuid.uuid4(),
            "source": source,
            "ids": ids,
            "event_ids": [(r.event_id or "")[:200] or None for r in rejected],
            "payloads": payloads,
            "fields": [r.field for r in rejected],
            "reasons": [r.reason for r in rejected],
        },
    )
