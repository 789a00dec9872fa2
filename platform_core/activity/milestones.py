"""Answers at milestones in ``student_progress``: per-milestone details and remedial detours.

``record_milestone_answer`` is called by grading (``submit_attempt``) for every attempt at a question that
sits on a milestone. It writes only ``student_progress.milestone_details`` (the milestone's entry, shaped
by :class:`platform_core.activity.details.MilestoneProgress`) and ``remedial_detours``; the watched
segments, coverage, completion and timestamps of the same row belong to the progress service and are never
touched here. One ``INSERT ... ON CONFLICT DO UPDATE`` does the read-modify-write inside the database, so
concurrent writers of the same row (another answer, a heartbeat) cannot lose each other's changes.
"""

from __future__ import annotations

import math
import uuid
from datetime import datetime
from typing import Literal

from sqlalchemy import text
from sqlalchemy.orm import Session

from platform_core.activity.details import MilestoneProgress
from platform_core.db.session import TENANT_KEY
from platform_core.validation import InvalidInput, validate_as

__all__ = ["DETOUR_ACTIONS", "is_detour", "record_milestone_answer"]

#: Actions of the ``onWrong`` branch that send the learner away from the question: remedial detours.
DETOUR_ACTIONS = frozenset({"seek", "jump"})

# The new row's entry, or the milestone's current entry (``old``) with every key rebuilt from it; unknown
# keys of the entry and of the document are kept. A scalar subquery may read the conflicting row (sp).
_UPSERT = text(
    """
    INSERT INTO student_progress AS sp
        (tenant_id, student_id, video_id, completion_threshold, milestone_details, remedial_detours)
    SELECT :tenant_id, :student_id, v.id, v.completion_threshold,
           jsonb_build_object('milestones', jsonb_build_object(
               CAST(:milestone_key AS text),
               jsonb_build_object(
                   'reachedAt', to_jsonb(coalesce(CAST(:answered_at AS timestamptz), now())),
                   'answered', 1,
                   'correct', CAST(:correct AS boolean),
                   'bestFraction', CAST(:fraction AS double precision),
                   'branch', to_jsonb(CAST(:branch AS text)),
                   'detours', CAST(:detour AS integer)))),
           CAST(:detour AS integer)
    FROM videos v WHERE v.id = :video_id
    ON CONFLICT (tenant_id, student_id, video_id) DO UPDATE SET
        milestone_details = (
            SELECT jsonb_set(o.base, '{milestones}', o.milestones || jsonb_build_object(
                CAST(:milestone_key AS text),
                o.old || jsonb_build_object(
                    'reachedAt', coalesce(
                        nullif(o.old -> 'reachedAt', 'null'::jsonb),
                        to_jsonb(coalesce(CAST(:answered_at AS timestamptz), now()))),
                    'answered', coalesce((o.old ->> 'answered')::integer, 0) + 1,
                    'correct', coalesce((o.old ->> 'correct')::boolean, false) OR CAST(:correct AS boolean),
                    'bestFraction', greatest(
                        coalesce((o.old ->> 'bestFraction')::double precision, 0),
                        CAST(:fraction AS double precision)),
                    'branch', coalesce(to_jsonb(CAST(:branch AS text)), o.old -> 'branch', 'null'::jsonb),
                    'detours', coalesce((o.old ->> 'detours')::integer, 0) + CAST(:detour AS integer))))
            FROM (SELECT
                CASE WHEN jsonb_typeof(sp.milestone_details) = 'object'
                     THEN sp.milestone_details ELSE '{}'::jsonb END AS base,
                CASE WHEN jsonb_typeof(sp.milestone_details -> 'milestones') = 'object'
                     THEN sp.milestone_details -> 'milestones' ELSE '{}'::jsonb END AS milestones,
                CASE WHEN jsonb_typeof(sp.milestone_details #> CAST(:path AS text[])) = 'object'
                     THEN sp.milestone_details #> CAST(:path AS text[]) ELSE '{}'::jsonb END AS old) AS o),
        remedial_detours = sp.remedial_detours + CAST(:detour AS integer)
    RETURNING sp.milestone_details #> CAST(:path AS text[]) AS entry
    """
)


def is_detour(branch: str | None, action: str | None) -> bool:
    """Whether an answer's step is a remedial detour (``onWrong`` with ``seek`` or ``jump``)."""
    return branch == "onWrong" and action in DETOUR_ACTIONS


def record_milestone_answer(
    session: Session,
    *,
    student_id: uuid.UUID,
    video_id: uuid.UUID,
    milestone_id: uuid.UUID,
    fraction: float,
    is_correct: bool,
    branch: Literal["onCorrect", "onWrong"] | None,
    action: str | None = None,
    answered_at: datetime | None = None,
) -> MilestoneProgress:
    """Count one answer at a milestone and return the milestone's updated progress entry.

    ``answered`` grows by one, ``correct`` becomes true once any answer is fully correct, ``bestFraction``
    keeps the best fraction, ``branch`` is the last branch taken (unchanged when ``branch`` is None, e.g.
    a retry), ``reachedAt`` is set to the answer's time when the milestone had not been recorded as
    reached. A remedial detour (``onWrong`` with ``seek``/``jump``) adds one to the milestone's
    ``detours`` and to the row's ``remedial_detours``. The progress row is created when missing (with the
    video's completion threshold, everything else at its defaults).
    """
    if branch not in (None, "onCorrect", "onWrong"):
        raise InvalidInput("branch", "must be 'onCorrect', 'onWrong' or None")
    if not isinstance(fraction, int | float) or isinstance(fraction, bool) or not math.isfinite(fraction):
        raise InvalidInput("fraction", "must be a finite number")
    if not 0 <= fraction <= 1:
        raise InvalidInput("fraction", "must be between 0 and 1")
    if answered_at is not None and answered_at.tzinfo is None:
        raise InvalidInput("answered_at", "must carry a time zone")
    detour = 1 if is_detour(branch, action) else 0
    key = str(milestone_id)
    entry = session.execute(
        _UPSERT,
        {
            "tenant_id": session.info[TENANT_KEY],
            "student_id": student_id,
            "video_id": video_id,
            "milestone_key": key,
            "path": ["milestones", key],
            "answered_at": answered_at,
            "correct": bool(is_correct),
            "fraction": float(fraction),
            "branch": branch,
            "detour": detour,
        },
    ).scalar_one_or_none()
    if entry is None:
        raise InvalidInput("video_id", f"no video {video_id} in this tenant")
    return validate_as(MilestoneProgress, entry, root=f"milestone_details.milestones.{key}")
