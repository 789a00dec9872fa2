"""xAPI export and import of a tenant's activity, streaming in bounded batches.

Export writes one statement per line: video events as xAPI Video Profile statements (``video_progress``
heartbeats are folded for ``progress`` and ``played-segments`` but not exported themselves) and graded
question attempts as ``answered`` statements. Events are read per (student, video) in ``(occurred_at, id)``
order through a server-side cursor, so memory holds one learner's fold at a time. Everything is read in
the tenant's session: Row-Level Security makes another tenant's rows invisible.

Import reads statements (one JSON object per line), maps Video Profile statements back to events and hands
them to :func:`ingest.ingest_events`, so they are validated, deduplicated and folded into progress like any
other events. A statement that cannot be mapped is quarantined with the reason; an ``answered`` statement
is matched with the graded attempt of the same id (a duplicate) and quarantined when there is none,
because answers enter the platform through grading, not as events.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Literal, TextIO

from sqlalchemy import text
from sqlalchemy.orm import Session

from platform_core.activity.event_parsing import parse_event
from platform_core.activity.events import EventBase, InvalidEvent
from platform_core.activity.fold import VideoInfo
from platform_core.activity.ingest import (
    IngestReport,
    KnownDuplicate,
    RejectedInput,
    decode_json_lines,
    ingest_events,
)
from platform_core.activity.progress import load_videos
from platform_core.activity.segments import PlaybackTracker
from platform_core.activity.xapi import (
    EXPORTABLE_EVENT_TYPES,
    VERB_ANSWERED,
    attempt_to_statement,
    event_to_statement,
)
from platform_core.activity.xapi_import import statement_to_event
from platform_core.db.session import TENANT_KEY, tenant_session
from platform_core.validation import InvalidInput

__all__ = [
    "DEFAULT_BASE_IRI",
    "DEFAULT_HOME_PAGE",
    "STATEMENT_KINDS",
    "ExportReport",
    "StatementKind",
    "export_statements",
    "import_statements",
]

DEFAULT_BASE_IRI: Final = "https://ilp.example/xapi"
DEFAULT_HOME_PAGE: Final = "https://ilp.example"
StatementKind = Literal["video", "answered"]
STATEMENT_KINDS: Final[tuple[StatementKind, ...]] = ("video", "answered")
_FOLDED_TYPES: Final = sorted(EXPORTABLE_EVENT_TYPES | {"video_progress"})


@dataclass
class ExportReport:
    video_statements: int = 0
    answered_statements: int = 0
    #: video events of videos that no longer exist (no length to state)
    skipped: int = 0

    @property
    def statements(self) -> int:
        return self.video_statements + self.answered_statements

    def to_dict(self) -> dict[str, int]:
        return {
            "statements": self.statements,
            "video_statements": self.video_statements,
            "answered_statements": self.answered_statements,
            "skipped": self.skipped,
        }


_EVENTS = text(
    """
    SELECT id, type, occurred_at, user_id, session_id, data, context
    FROM analytics_events
    WHERE tenant_id = :t AND type = ANY(CAST(:types AS text[]))
      AND occurred_at < coalesce(CAST(:until AS timestamptz), 'infinity')
    ORDER BY user_id, data ->> 'video_id', occurred_at, id
    """
).execution_options(yield_per=2000)

_ATTEMPTS = text(
    """
    SELECT a.id, a.student_id, a.question_id, q.type, a.fraction, a.points_awarded, a.points_possible,
           a.response, a.submitted_at, a.is_correct, q.prompt, a.attempt_number, a.time_spent_ms, q.video_id
    FROM question_attempts a
    JOIN questions q ON q.tenant_id = a.tenant_id AND q.id = a.question_id
    WHERE a.tenant_id = :t
      AND a.submitted_at >= coalesce(CAST(:since AS timestamptz), '-infinity')
      AND a.submitted_at < coalesce(CAST(:until AS timestamptz), 'infinity')
    ORDER BY a.submitted_at, a.id
    """
).execution_options(yield_per=2000)


def _event(row: Mapping[str, Any]) -> EventBase:
    return parse_event({k: v for k, v in row.items() if v is not None})


def _video_statements(
    session: Session,
    tenant_id: uuid.UUID,
    *,
    base_iri: str,
    home_page: str,
    since: datetime | None,
    until: datetime | None,
    report: ExportReport,
) -> Iterator[dict[str, Any]]:
    videos: dict[uuid.UUID, VideoInfo | None] = {}
    tracker: PlaybackTracker | None = None
    current: tuple[uuid.UUID, uuid.UUID] | None = None
    rows = session.execute(_EVENTS, {"t": tenant_id, "types": _FOLDED_TYPES, "until": until}).mappings()
    for row in rows:
        event = _event(row)
        video_id: uuid.UUID = event.data.video_id  # type: ignore[attr-defined]
        if (event.user_id, video_id) != current:
            current, tracker = (event.user_id, video_id), PlaybackTracker(video_id=video_id)
        assert tracker is not None
        tracker.apply(event)  # earlier events count towards progress even when not exported
        if event.type not in EXPORTABLE_EVENT_TYPES or (since is not None and event.occurred_at < since):
            continue
        if video_id not in videos:
            videos[video_id] = load_videos(session, [video_id]).get(video_id)
        video = videos[video_id]
        if video is None:
            report.skipped += 1
            continue
        report.video_statements += 1
        yield event_to_statement(
            event,
            actor_home_page=home_page,
            base_iri=base_iri,
            video_length=video.duration_seconds,
            played_segments=tracker.played_segments(),
            progress=tracker.coverage(video.duration_seconds),
            completion_threshold=video.completion_threshold,
        )


def _answered_statements(
    session: Session,
    tenant_id: uuid.UUID,
    *,
    base_iri: str,
    home_page: str,
    since: datetime | None,
    until: datetime | None,
    report: ExportReport,
) -> Iterator[dict[str, Any]]:
    rows = session.execute(_ATTEMPTS, {"t": tenant_id, "since": since, "until": until})
    for r in rows:
        report.answered_statements += 1
        yield attempt_to_statement(
            attempt_id=r.id,
            user_id=r.student_id,
            question_id=r.question_id,
            question_type=r.type,
            fraction=r.fraction,
            points=r.points_awarded,
            max_points=r.points_possible,
            response=r.response,
            occurred_at=r.submitted_at,
            actor_home_page=home_page,
            base_iri=base_iri,
            success=r.is_correct,
            prompt=r.prompt,
            attempt_number=r.attempt_number,
            duration_seconds=r.time_spent_ms / 1000 if r.time_spent_ms is not None else None,
            video_id=r.video_id,
        )


def export_statements(
    session: Session,
    *,
    out: TextIO,
    base_iri: str = DEFAULT_BASE_IRI,
    home_page: str = DEFAULT_HOME_PAGE,
    since: datetime | None = None,
    until: datetime | None = None,
    on_progress: Callable[[int], None] | None = None,
    kinds: Collection[StatementKind] = STATEMENT_KINDS,
) -> ExportReport:
    """Write the tenant's statements (video events, then answered attempts) to ``out`` as JSON lines.

    ``since``/``until`` limit the exported statements by time (progress still counts earlier viewing).
    ``kinds`` picks ``video`` and/or ``answered`` statements (ralph 5, for one, selects its Virtual
    Classroom "answered poll" model for any ``answered`` statement about a ``cmi.interaction``, so a file
    for ``ralph validate -f xapi -F`` holds the video statements only).
    ``on_progress`` is called with the number of statements written so far, every 1000 statements.
    """
    unknown = set(kinds) - set(STATEMENT_KINDS)
    if unknown or not kinds:
        raise InvalidInput("kinds", f"choose among {', '.join(STATEMENT_KINDS)} (got {sorted(unknown)})")
    tenant_id = session.info[TENANT_KEY]
    report = ExportReport()
    options = {"base_iri": base_iri, "home_page": home_page, "since": since, "until": until, "report": report}
    written = 0
    sources = {"video": _video_statements, "answered": _answered_statements}
    for source in (sources[kind] for kind in STATEMENT_KINDS if kind in kinds):
        for statement in source(session, tenant_id, **options):  # type: ignore[operator]
            out.write(json.dumps(statement, ensure_ascii=False, separators=(",", ":")) + "\n")
            written += 1
            if on_progress is not None and written % 1000 == 0:
                on_progress(written)
    if on_progress is not None:
        on_progress(written)
    return report


# -------------------------------------------------------------------------------------------- import
def _mbox_email(actor: Any) -> str | None:
    mbox = actor.get("mbox") if isinstance(actor, Mapping) else None
    if isinstance(mbox, str) and mbox.lower().startswith("mailto:"):
        return mbox[len("mailto:") :].strip().lower()
    return None


def _uuid_or_none(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def _is_answered(stmt: Any) -> bool:
    verb = stmt.get("verb") if isinstance(stmt, Mapping) else None
    return isinstance(verb, Mapping) and verb.get("id") == VERB_ANSWERED


def _lookups(
    tenant_id: uuid.UUID, statements: list[Any]
) -> tuple[dict[str, uuid.UUID], set[uuid.UUID], dict[str, uuid.UUID]]:
    """Users by e-mail (for ``mbox`` actors), known attempt ids and videos by source URL, for one chunk."""
    mappings = [s for s in statements if isinstance(s, Mapping)]
    emails = {e for s in mappings if (e := _mbox_email(s.get("actor")))}
    answered = {a for s in mappings if _is_answered(s) and (a := _uuid_or_none(s.get("id")))}
    objects = {
        o
        for s in mappings
        if isinstance(s.get("object"), Mapping) and isinstance(o := s["object"].get("id"), str)
    }
    with tenant_session(tenant_id) as session:
        users = dict(
            session.execute(
                text(
                    "SELECT lower(email), id FROM users "
                    "WHERE tenant_id = :t AND lower(email) = ANY(CAST(:e AS text[]))"
                ),
                {"t": tenant_id, "e": sorted(emails)},
            ).all()
        )
        attempts = set(
            session.execute(
                text(
                    "SELECT id FROM question_attempts WHERE tenant_id = :t AND id = ANY(CAST(:ids AS uuid[]))"
                ),
                {"t": tenant_id, "ids": sorted(answered)},
            ).scalars()
        )
        videos = dict(
            session.execute(
                text(
                    "SELECT source_url, id FROM videos "
                    "WHERE tenant_id = :t AND source_url = ANY(CAST(:u AS text[]))"
                ),
                {"t": tenant_id, "u": sorted(objects)},
            ).all()
        )
    return users, attempts, videos


def _mapped(tenant_id: uuid.UUID, items: Iterable[Any], base_iri: str, chunk: int) -> Iterator[Any]:
    """Statements -> raw events (or rejections/known duplicates), resolving foreign actors and videos."""
    iterator = iter(items)
    while True:
        statements = [s for _, s in zip(range(chunk), iterator, strict=False)]
        if not statements:
            return
        users, attempts, videos = _lookups(tenant_id, statements)
        for stmt in statements:
            if isinstance(stmt, RejectedInput):
                yield stmt
                continue
            if _is_answered(stmt):
                if _uuid_or_none(stmt.get("id")) in attempts:
                    yield KnownDuplicate(str(stmt["id"]))
                else:
                    yield RejectedInput(
                        stmt,
                        "id",
                        "no graded attempt with this id here: answers are recorded through grading",
                    )
                continue
            try:
                yield statement_to_event(
                    stmt,
                    base_iri=base_iri,
                    resolve_user=lambda actor, users=users: users.get(_mbox_email(actor) or ""),
                    resolve_video=videos.get,
                )
            except InvalidEvent as exc:
                yield RejectedInput(stmt, exc.field, exc.reason)


def import_statements(
    tenant_id: uuid.UUID,
    *,
    lines: Iterable[str],
    base_iri: str = DEFAULT_BASE_IRI,
    batch_size: int = 5000,
    source: str | None = None,
    retries: int = 0,
    on_batch: Callable[[Any], None] | None = None,
) -> IngestReport:
    """Import xAPI statements (JSON lines) for the tenant through the ingest path; see the module docstring.

    Actors are matched by ``account.name`` (a user id) or by ``mbox`` (a user's e-mail); videos by
    ``<base_iri>/videos/<id>`` or by their ``source_url``.
    """
    items = _mapped(tenant_id, decode_json_lines(lines), base_iri, batch_size)
    return ingest_events(
        tenant_id, events=items, batch_size=batch_size, source=source, retries=retries, on_batch=on_batch
    )
