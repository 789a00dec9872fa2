"""Full-text search over lessons, videos (title, description, transcript) and questions.

Uses the stored generated ``search`` tsvector columns (GIN-indexed; titles weigh most, then descriptions,
then transcripts) with ``websearch_to_tsquery('english', q)``, so people can type what they would type
into a search box: ``"speed of light" -sound or photon``. Hits of all kinds are ranked together with
``ts_rank_cd`` (normalised to [0, 1)), and only the page of hits returned gets a ``ts_headline`` snippet;
a video hit also says where in the video the first matching transcript cue starts.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final, Literal

from sqlalchemy import ARRAY, Text, bindparam, text
from sqlalchemy.orm import Session

from platform_core.content.common import as_enum, tenant_of
from platform_core.models import QuestionStatus
from platform_core.validation import InvalidInput

SearchKind = Literal["lesson", "video", "question"]
KINDS: Final[tuple[SearchKind, ...]] = ("lesson", "video", "question")
MAX_QUERY_LENGTH: Final = 500
_MARKER = re.compile(r"^[^\s,\"=]{1,16}$")

_SEARCH = text(
    """
WITH q AS (SELECT websearch_to_tsquery('english', :query) AS query),
ranked AS (
    SELECT 'lesson'::text AS kind, l.id, ts_rank_cd(l.search, q.query, 33) AS rank
    FROM lessons l, q
    WHERE :want_lessons AND l.tenant_id = :tenant AND l.search @@ q.query
    UNION ALL
    SELECT 'video', v.id, ts_rank_cd(v.search, q.query, 33)
    FROM videos v, q
    WHERE :want_videos AND v.tenant_id = :tenant AND v.search @@ q.query
    UNION ALL
    SELECT 'question', x.id, ts_rank_cd(x.search, q.query, 33)
    FROM questions x, q
    WHERE :want_questions AND x.tenant_id = :tenant AND x.search @@ q.query
      AND (CAST(:statuses AS text[]) IS NULL OR x.status = ANY(CAST(:statuses AS text[])))
),
page AS (SELECT * FROM ranked ORDER BY rank DESC, kind, id LIMIT :limit OFFSET :offset)
SELECT p.kind, p.id, p.rank,
       coalesce(l.title, v.title, x.prompt) AS title,
       coalesce(l.status, x.status) AS status,
       x.video_id,
       CASE p.kind
           WHEN 'lesson' THEN
               ts_headline('english', concat_ws(' — ', l.title, l.description), q.query, :options)
           WHEN 'video' THEN ts_headline(
               'english',
               concat_ws(' — ', v.title, v.description,
                         (SELECT string_agg(c.cue ->> 'text', ' ' ORDER BY c.n)
                          FROM jsonb_array_elements(v.transcript) WITH ORDINALITY AS c(cue, n))),
               q.query, :options)
           ELSE ts_headline('english', concat_ws(' — ', x.prompt, x.explanation), q.query, :options)
       END AS snippet,
       CASE WHEN p.kind = 'video' THEN
           (SELECT min((c.cue ->> 'start')::float8)
            FROM jsonb_array_elements(v.transcript) AS c(cue)
            WHERE to_tsvector('english', coalesce(c.cue ->> 'text', '')) @@ q.query)
       END AS at_seconds
FROM page p
CROSS JOIN q
LEFT JOIN lessons l ON p.kind = 'lesson' AND l.tenant_id = :tenant AND l.id = p.id
LEFT JOIN videos v ON p.kind = 'video' AND v.tenant_id = :tenant AND v.id = p.id
LEFT JOIN questions x ON p.kind = 'question' AND x.tenant_id = :tenant AND x.id = p.id
ORDER BY p.rank DESC, p.kind, p.id
"""
).bindparams(bindparam("statuses", type_=ARRAY(Text)))


@dataclass(frozen=True)
class SearchHit:
    """One result. ``snippet`` marks matched words with the chosen markers; ``at_seconds`` (videos) is the
    start of the first transcript cue that matches; ``video_id`` (questions) is the question's video."""

    kind: SearchKind
    id: uuid.UUID
    title: str
    snippet: str
    rank: float
    status: str | None = None
    video_id: uuid.UUID | None = None
    at_seconds: float | None = None


def search_content(
    session: Session,
    *,
    query: str,
    kinds: Iterable[SearchKind | str] | None = None,
    question_statuses: Sequence[QuestionStatus | str] | None = None,
    limit: int = 20,
    offset: int = 0,
    markers: tuple[str, str] = ("<mark>", "</mark>"),
    max_words: int = 30,
) -> list[SearchHit]:
    """Search the session's tenant; best hits first. Raises ``InvalidInput`` for an empty or overlong query,
    an unknown kind or status, or a bad page."""
    if not isinstance(query, str) or not query.strip():
        raise InvalidInput("query", "must not be empty")
    if len(query) > MAX_QUERY_LENGTH:
        raise InvalidInput("query", f"must be at most {MAX_QUERY_LENGTH} characters")
    wanted = set(KINDS if kinds is None else kinds)
    for kind in wanted:
        if kind not in KINDS:
            raise InvalidInput("kinds", f"unknown kind {kind!r} (expected {', '.join(KINDS)})")
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 200:
        raise InvalidInput("limit", "must be an integer from 1 to 200")
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise InvalidInput("offset", "must be an integer >= 0")
    if len(markers) != 2 or not all(isinstance(m, str) and _MARKER.match(m) for m in markers):
        raise InvalidInput("markers", "two short markers without spaces, commas, quotes or '='")
    if isinstance(max_words, bool) or not isinstance(max_words, int) or not 5 <= max_words <= 200:
        raise InvalidInput("max_words", "must be an integer from 5 to 200")
    statuses = (
        None
        if question_statuses is None
        else [as_enum(QuestionStatus, s, "question_statuses").value for s in question_statuses]
    )
    options = (
        f"StartSel={markers[0]}, StopSel={markers[1]}, MaxWords={max_words}, "
        f'MinWords={max(3, max_words // 3)}, MaxFragments=2, FragmentDelimiter=" … "'
    )
    rows = session.execute(
        _SEARCH,
        {
            "query": query.strip(),
            "tenant": tenant_of(session),
            "want_lessons": "lesson" in wanted,
            "want_videos": "video" in wanted,
            "want_questions": "question" in wanted,
            "statuses": statuses,
            "limit": limit,
            "offset": offset,
            "options": options,
        },
    )
    return [
        SearchHit(
            kind=row.kind,
            id=row.id,
            title=row.title,
            snippet=row.snippet or "",
            rank=float(row.rank),
            status=row.status,
            video_id=row.video_id,
            at_seconds=row.at_seconds,
        )
        for row in rows
    ]


__all__ = ["KINDS", "SearchHit", "SearchKind", "search_content"]
