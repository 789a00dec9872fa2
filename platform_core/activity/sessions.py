"""Session sync: one ``student_sessions`` row per (student, video) that every device of the student shares.

A player calls :func:`sync_session` on every heartbeat (and on play, pause, seek, device switch) with the
playhead ``position`` and its own clock ``client_at``. An update is *applied* only when ``client_at`` is
newer than the newest update applied so far (``last_client_at``): duplicates, retries delivered late and
out-of-order heartbeats never move the position backwards. A second device that opens the video asks
:func:`resume_position` and continues where the first one stopped. ``furthest_position_seconds`` only
grows. Every contact, applied or stale, refreshes ``last_seen_at`` (server clock) and marks the session
active; :func:`mark_idle_sessions` turns sessions not seen for a while inactive (served by the partial
index on active sessions).

Client clocks run ahead sometimes: ``client_at`` is capped at the server's ``now()``, so a device whose clock
is in the future cannot lock the other devices out of a session.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, Final, Literal

from sqlalchemy import RowMapping, text
from sqlalchemy.orm import Session

from platform_core.activity.details import DeviceInfo, SessionState
from platform_core.activity.events import POSITION_TOLERANCE_SECONDS
from platform_core.activity.fold import SessionMove
from platform_core.db.session import TENANT_KEY
from platform_core.validation import InvalidInput, validated_json

__all__ = [
    "DEFAULT_IDLE_AFTER",
    "SessionView",
    "apply_session_moves",
    "get_session",
    "mark_idle_sessions",
    "resume_position",
    "sync_session",
]

#: Sessions not seen for this long are idle (what the cleanup uses when the caller has no policy).
DEFAULT_IDLE_AFTER: Final = timedelta(minutes=30)
MAX_FINGERPRINT_LENGTH: Final = 128

# Every statement returns the fields of :class:`SessionView` plus ``created``.
#
# _SYNC validates (student and video of the tenant, position within the duration), then inserts or applies,
# in one statement. ``WHERE`` on the conflict branch leaves a stale row untouched, and then nothing is
# returned. An update at exactly the newest time applies only when it says something new (e.g. the events
# of that moment were ingested first and this update adds the device): an exact duplicate stays a no-op.
_SYNC = text(
    """
    WITH input AS (
        SELECT v.id AS video_id, u.id AS student_id,
               LEAST(CAST(:position AS double precision), v.duration_seconds) AS position,
               LEAST(CAST(:client_at AS timestamptz), now()) AS client_at
        FROM videos v JOIN users u ON u.tenant_id = v.tenant_id AND u.id = :student_id
        WHERE v.tenant_id = :tenant_id AND v.id = :video_id
          AND CAST(:position AS double precision) <= v.duration_seconds + :tolerance
    )
    INSERT INTO student_sessions AS s (
        tenant_id, student_id, video_id, device_fingerprint, device_info, state,
        position_seconds, furthest_position_seconds, last_client_at, last_seen_at, is_active)
    SELECT :tenant_id, student_id, video_id, :fingerprint,
           coalesce(CAST(:device_info AS jsonb), '{}'::jsonb),
           coalesce(CAST(:state AS jsonb), '{}'::jsonb),
           position, position, client_at, now(), true
    FROM input
    ON CONFLICT (tenant_id, student_id, video_id) DO UPDATE SET
        position_seconds = excluded.position_seconds,
        furthest_position_seconds = GREATEST(s.furthest_position_seconds, excluded.position_seconds),
        last_client_at = excluded.last_client_at,
        device_fingerprint = coalesce(CAST(:fingerprint AS text), s.device_fingerprint),
        device_info = coalesce(CAST(:device_info AS jsonb), s.device_info),
        state = coalesce(CAST(:state AS jsonb), s.state),
        last_seen_at = now(),
        is_active = true,
        updated_at = now()
    WHERE s.last_client_at IS NULL OR excluded.last_client_at > s.last_client_at
       OR (excluded.last_client_at = s.last_client_at
           AND (excluded.position_seconds,
                coalesce(CAST(:fingerprint AS text), s.device_fingerprint),
                coalesce(CAST(:device_info AS jsonb), s.device_info),
                coalesce(CAST(:state AS jsonb), s.state))
               IS DISTINCT FROM (s.position_seconds, s.device_fingerprint, s.device_info, s.state))
    RETURNING s.id, s.student_id, s.video_id, s.position_seconds, s.furthest_position_seconds,
        s.device_fingerprint, s.device_info, s.state, s.last_client_at, s.last_seen_at, s.is_active,
        s.started_at, (s.xmax = 0) AS created
    """
)

# A stale or duplicate update: the device was seen, and what it had reached is still true, nothing else.
_TOUCH = text(
    """
    UPDATE student_sessions AS s SET
        last_seen_at = now(),
        is_active = true,
        furthest_position_seconds = GREATEST(s.furthest_position_seconds,
                                             LEAST(CAST(:position AS double precision), v.duration_seconds))
    FROM videos v
    WHERE s.tenant_id = :tenant_id AND s.student_id = :student_id AND s.video_id = :video_id
      AND v.tenant_id = s.tenant_id AND v.id = s.video_id
      AND CAST(:position AS double precision) <= v.duration_seconds + :tolerance
    RETURNING s.id, s.student_id, s.video_id, s.position_seconds, s.furthest_position_seconds,
        s.device_fingerprint, s.device_info, s.state, s.last_client_at, s.last_seen_at, s.is_active,
        s.started_at, false AS created
    """
)

_GET = text(
    """
    SELECT s.id, s.student_id, s.video_id, s.position_seconds, s.furthest_position_seconds,
        s.device_fingerprint, s.device_info, s.state, s.last_client_at, s.last_seen_at, s.is_active,
        s.started_at, false AS created
    FROM student_sessions s
    WHERE s.tenant_id = :tenant_id AND s.student_id = :student_id AND s.video_id = :video_id
    """
)

_MARK_IDLE = text(
    """
    UPDATE student_sessions SET is_active = false, updated_at = now()
    WHERE tenant_id = :tenant_id AND is_active AND last_seen_at < now() - CAST(:idle_after AS interval)
    """
)


@dataclass(frozen=True, slots=True)
class SessionView:
    """A student's session of one video as stored, plus what the last call did to it."""

    id: uuid.UUID
    student_id: uuid.UUID
    video_id: uuid.UUID
    position_seconds: float
    furthest_position_seconds: float
    device_fingerprint: str | None
    device_info: dict[str, Any]
    state: dict[str, Any]
    last_client_at: datetime | None
    last_seen_at: datetime
    is_active: bool
    started_at: datetime
    #: whether the update moved the session (False: stale or duplicate, only ``last_seen_at`` changed)
    applied: bool = False
    #: whether the update created the session (its first update, on any device)
    created: bool = False

    @classmethod
    def from_row(cls, row: RowMapping, *, applied: bool) -> SessionView:
        values = {f.name: row[f.name] for f in fields(cls) if f.name not in ("applied", "created")}
        return cls(**values, applied=applied, created=bool(row["created"]))


def _tenant(session: Session) -> uuid.UUID:
    tenant_id = session.info.get(TENANT_KEY)
    if tenant_id is None:
        raise ValueError("a tenant session is required (platform_core.db.session.tenant_session)")
    return tenant_id


def _as_uuid(value: Any, field: str) -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise InvalidInput(field, f"must be a UUID, got {value!r}") from None


def _check_position(position: float) -> float:
    if isinstance(position, bool) or not isinstance(position, int | float) or not math.isfinite(position):
        raise InvalidInput("position", f"must be a finite number of seconds, got {position!r}")
    if position < 0:
        raise InvalidInput("position", "must be >= 0")
    return float(position)


@lru_cache(maxsize=1024)
def _validated_text(model: type[DeviceInfo] | type[SessionState], text: str, root: str) -> str:
    return json.dumps(validated_json(model, json.loads(text), root=root))


def _json_or_none(model: type[DeviceInfo] | type[SessionState], value: Any, root: str) -> str | None:
    """Validated JSON text; a device sends the same info with every heartbeat, so results are cached."""
    if value is None:
        return None
    try:
        key = json.dumps(value, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError):
        raise InvalidInput(root, "must be a JSON object") from None
    return _validated_text(model, key, root)


def sync_session(
    session: Session,
    *,
    student_id: uuid.UUID,
    video_id: uuid.UUID,
    position: float,
    client_at: datetime,
    device_fingerprint: str | None = None,
    device_info: dict[str, Any] | DeviceInfo | None = None,
    state: dict[str, Any] | SessionState | None = None,
) -> SessionView:
    """Record a heartbeat or update from one device and return the session as it now stands.

    ``position`` (seconds, within the video's duration; up to 0.5 s past the end is clamped) and
    ``client_at`` (the device's clock, timezone-aware) are required. ``device_info`` and ``state`` are
    validated (:class:`DeviceInfo`, :class:`SessionState`); ``None`` keeps what is stored. Raises
    :class:`InvalidInput` naming the field for a bad value, a student or video not of the tenant.
    """
    tenant_id = _tenant(session)
    student_id, video_id = _as_uuid(student_id, "student_id"), _as_uuid(video_id, "video_id")
    position = _check_position(position)
    if not isinstance(client_at, datetime) or client_at.utcoffset() is None:
        raise InvalidInput("client_at", "must be a timezone-aware datetime (the device's clock)")
    if device_fingerprint is not None:
        if not isinstance(device_fingerprint, str):
            raise InvalidInput("device_fingerprint", "must be a string")
        device_fingerprint = device_fingerprint.strip()
        if not device_fingerprint or len(device_fingerprint) > MAX_FINGERPRINT_LENGTH:
            raise InvalidInput("device_fingerprint", f"must be 1-{MAX_FINGERPRINT_LENGTH} characters")
    if isinstance(device_info, DeviceInfo):
        device_info = device_info.model_dump(mode="json", by_alias=True, exclude_none=True)
    if isinstance(state, SessionState):
        state = state.model_dump(mode="json", by_alias=True, exclude_none=True)
    params = {
        "tenant_id": tenant_id,
        "student_id": student_id,
        "video_id": video_id,
        "position": position,
        "client_at": client_at,
        "tolerance": POSITION_TOLERANCE_SECONDS,
        "fingerprint": device_fingerprint,
        "device_info": _json_or_none(DeviceInfo, device_info, "device_info"),
        "state": _json_or_none(SessionState, state, "state"),
    }
    row = session.execute(_SYNC, params).mappings().first()
    if row is not None:
        return SessionView.from_row(row, applied=True)
    row = session.execute(_TOUCH, params).mappings().first()
    if row is not None:
        return SessionView.from_row(row, applied=False)
    raise _explain_rejection(session, tenant_id, student_id, video_id, position)


def _explain_rejection(
    session: Session, tenant_id: uuid.UUID, student_id: uuid.UUID, video_id: uuid.UUID, position: float
) -> InvalidInput:
    found = session.execute(
        text(
            "SELECT (SELECT duration_seconds FROM videos WHERE tenant_id = :t AND id = :v) AS duration, "
            "EXISTS (SELECT FROM users WHERE tenant_id = :t AND id = :s) AS student"
        ),
        {"t": tenant_id, "v": video_id, "s": student_id},
    ).one()
    if not found.student:
        return InvalidInput("student_id", f"no user {student_id} in this tenant")
    if found.duration is None:
        return InvalidInput("video_id", f"no video {video_id} in this tenant")
    return InvalidInput("position", f"{position:.3f} s is past the end of the video ({found.duration:.3f} s)")


def get_session(session: Session, *, student_id: uuid.UUID, video_id: uuid.UUID) -> SessionView | None:
    """The stored session of (student, video), or ``None`` when no device has synced it yet."""
    row = (
        session.execute(_GET, {"tenant_id": _tenant(session), "student_id": student_id, "video_id": video_id})
        .mappings()
        .first()
    )
    return SessionView.from_row(row, applied=False) if row is not None else None


def resume_position(
    session: Session,
    *,
    student_id: uuid.UUID,
    video_id: uuid.UUID,
    prefer: Literal["last", "furthest"] = "last",
) -> float:
    """Where a device opening the video continues, 0 when no device has watched it yet.

    ``"last"``: the newest position any device reported (where the student stopped, even after going back
    to review a part); ``"furthest"``: the furthest point reached (continue with new material).
    """
    if prefer not in ("last", "furthest"):
        raise InvalidInput("prefer", "must be 'last' or 'furthest'")
    view = get_session(session, student_id=student_id, video_id=video_id)
    if view is None:
        return 0.0
    return view.position_seconds if prefer == "last" else view.furthest_position_seconds


def apply_session_moves(
    session: Session,
    *,
    moves: Mapping[tuple[uuid.UUID, uuid.UUID], SessionMove],
    idle_after: timedelta = DEFAULT_IDLE_AFTER,
) -> int:
    """Apply what ingested events say about sessions (by ``(student_id, video_id)``), under the rule of
    :func:`sync_session`: the newest device time sets the position, the furthest point only grows.

    Missing sessions are created. ``last_seen_at`` becomes the newest event time (capped at now), and a
    session becomes active only when that is within ``idle_after``: a backfill of old events does not
    make students look online. Returns how many session rows were written.
    """
    if not moves:
        return 0
    tenant_id = _tenant(session)
    rows = [
        {
            "student_id": str(student_id),
            "video_id": str(video_id),
            "position": move.position,
            "furthest": move.furthest,
            "client_at": move.client_at.isoformat(),
            "first_at": move.first_at.isoformat(),
        }
        for (student_id, video_id), move in sorted(moves.items())
    ]  # one JSON document: cheaper to send than six arrays
    params = {"t": tenant_id, "moves": json.dumps(rows), "idle": idle_after}
    created = session.execute(
        text(
            """
            INSERT INTO student_sessions AS s (tenant_id, student_id, video_id, position_seconds,
                furthest_position_seconds, last_client_at, last_seen_at, is_active, started_at)
            SELECT :t, u.student_id, u.video_id, coalesce(u.position, 0), coalesce(u.furthest, 0),
                   LEAST(u.client_at, now()), LEAST(u.client_at, now()),
                   LEAST(u.client_at, now()) > now() - CAST(:idle AS interval), LEAST(u.first_at, now())
            FROM jsonb_to_recordset(CAST(:moves AS jsonb)) AS u(student_id uuid, video_id uuid,
                 position float8, furthest float8, client_at timestamptz, first_at timestamptz)
            ORDER BY u.student_id, u.video_id
            ON CONFLICT (tenant_id, student_id, video_id) DO NOTHING
            RETURNING student_id, video_id
            """
        ),
        params,
    ).all()
    if len(created) == len(rows):  # all new: the insert wrote what the update would
        return len(created)
    if created:
        new = {(str(student_id), str(video_id)) for student_id, video_id in created}
        rows = [r for r in rows if (r["student_id"], r["video_id"]) not in new]
        params["moves"] = json.dumps(rows)
    result = session.execute(
        text(
            """
            UPDATE student_sessions s SET
                position_seconds = CASE
                    WHEN u.position IS NOT NULL
                         AND LEAST(u.client_at, now()) > coalesce(s.last_client_at, '-infinity')
                    THEN u.position ELSE s.position_seconds END,
                furthest_position_seconds = GREATEST(s.furthest_position_seconds, coalesce(u.furthest, 0)),
                last_client_at = GREATEST(s.last_client_at, LEAST(u.client_at, now())),
                last_seen_at = GREATEST(s.last_seen_at, LEAST(u.client_at, now())),
                is_active = s.is_active OR LEAST(u.client_at, now()) > now() - CAST(:idle AS interval),
                updated_at = now()
            FROM jsonb_to_recordset(CAST(:moves AS jsonb)) AS u(student_id uuid, video_id uuid,
                 position float8, furthest float8, client_at timestamptz, first_at timestamptz)
            WHERE s.tenant_id = :t AND s.student_id = u.student_id AND s.video_id = u.video_id
            """
        ),
        params,
    )
    return len(created) + int(result.rowcount or 0)  # type: ignore[attr-defined]


def mark_idle_sessions(session: Session, *, idle_after: timedelta = DEFAULT_IDLE_AFTER) -> int:
    """Mark the tenant's active sessions not seen for ``idle_after`` inactive; returns how many."""
    if idle_after <= timedelta(0):
        raise InvalidInput("idle_after", "must be a positive duration")
    result = session.execute(_MARK_IDLE, {"tenant_id": _tenant(session), "idle_after": idle_after})
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
