"""The player's view of the platform: where to resume, session sync and graded answers.

:class:`PlatformBackend` calls the real services (``activity.sessions.sync_session``/``resume_position``
and ``grading.attempts.submit_attempt``) inside one ``tenant_session`` per study sitting, exactly what a
real player's requests would do. :class:`LocalBackend` is a pure in-memory stand-in with the same
behaviour (grading with the grading engine, the next step from ``grading.next_step.decide_next_step``) for
unit tests and dry runs.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session

from platform_core.activity.sessions import resume_position, sync_session
from platform_core.db.session import tenant_session
from platform_core.grading import grade_response
from platform_core.grading.attempts import submit_attempt
from platform_core.grading.next_step import decide_next_step
from platform_core.simulation.content_plan import MilestonePlan, QuestionPlan, new_id


@dataclass(frozen=True)
class AttemptResult:
    attempt_id: uuid.UUID
    fraction: float
    is_correct: bool
    attempts_left: int | None
    #: the platform's next step: continue, retry, seek (target: seconds) or jump (target: a video id)
    action: str
    target: float | uuid.UUID | None = None
    message: str | None = None


class Backend(Protocol):
    def sitting(self) -> AbstractContextManager[Any]:
        """A unit of work around one study sitting (a transaction on the platform)."""
        ...

    def resume_position(self, *, student_id: uuid.UUID, video_id: uuid.UUID) -> float: ...

    def sync(
        self,
        *,
        student_id: uuid.UUID,
        video_id: uuid.UUID,
        position: float,
        client_at: datetime,
        device_fingerprint: str,
        device_info: dict[str, Any],
        state: dict[str, Any],
    ) -> uuid.UUID:
        """Report the playhead; returns the session id."""
        ...

    def submit(
        self,
        *,
        student_id: uuid.UUID,
        question: QuestionPlan,
        milestone: MilestonePlan | None,
        response: Any,
        time_spent_ms: int,
        session_id: uuid.UUID | None,
        submitted_at: datetime,
    ) -> AttemptResult: ...


class LocalBackend:
    """In-memory platform: last position per (student, video), attempts per (student, question)."""

    def __init__(self, seed: int = 0) -> None:
        self._rng = random.Random(f"local-backend:{seed}")
        self.positions: dict[tuple[uuid.UUID, uuid.UUID], tuple[datetime, float]] = {}
        self.sessions: dict[tuple[uuid.UUID, uuid.UUID], uuid.UUID] = {}
        self.attempts: dict[tuple[uuid.UUID, uuid.UUID], list[float]] = {}
        self.syncs = 0

    def sitting(self) -> AbstractContextManager[Any]:
        return nullcontext()

    def resume_position(self, *, student_id: uuid.UUID, video_id: uuid.UUID) -> float:
        stored = self.positions.get((student_id, video_id))
        return stored[1] if stored else 0.0

    def sync(
        self,
        *,
        student_id: uuid.UUID,
        video_id: uuid.UUID,
        position: float,
        client_at: datetime,
        device_fingerprint: str,
        device_info: dict[str, Any],
        state: dict[str, Any],
    ) -> uuid.UUID:
        key = (student_id, video_id)
        self.syncs += 1
        stored = self.positions.get(key)
        if stored is None or client_at > stored[0]:
            self.positions[key] = (client_at, position)
        return self.sessions.setdefault(key, new_id(self._rng))

    def submit(
        self,
        *,
        student_id: uuid.UUID,
        question: QuestionPlan,
        milestone: MilestonePlan | None,
        response: Any,
        time_spent_ms: int,
        session_id: uuid.UUID | None,
        submitted_at: datetime,
    ) -> AttemptResult:
        fractions = self.attempts.setdefault((student_id, question.id), [])
        if question.max_attempts is not None and len(fractions) >= question.max_attempts:
            raise ValueError(f"question_id: no attempts left for {question.id}")
        result = grade_response(question.type, question.data, response, points=question.points)
        fractions.append(result.fraction)
        left = None if question.max_attempts is None else question.max_attempts - len(fractions)
        step = decide_next_step(
            milestone.settings if milestone else None, is_correct=result.is_correct, attempts_left=left
        )
        return AttemptResult(
            new_id(self._rng),
            result.fraction,
            result.is_correct,
            left,
            step.action,
            step.target,
            step.message,
        )


class PlatformBackend:
    """The real services, one ``tenant_session`` (acting as the student) per sitting."""

    def __init__(self, tenant_id: uuid.UUID, student_id: uuid.UUID) -> None:
        self.tenant_id = tenant_id
        self.student_id = student_id
        self._session: Session | None = None

    @contextmanager
    def _unit_of_work(self) -> Iterator[Session]:
        with tenant_session(self.tenant_id, user_id=self.student_id) as session:
            self._session = session
            try:
                yield session
            finally:
                self._session = None

    def sitting(self) -> AbstractContextManager[Any]:
        return self._unit_of_work()

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("PlatformBackend calls must run inside backend.sitting()")
        return self._session

    def resume_position(self, *, student_id: uuid.UUID, video_id: uuid.UUID) -> float:
        return resume_position(self.session, student_id=student_id, video_id=video_id)

    def sync(
        self,
        *,
        student_id: uuid.UUID,
        video_id: uuid.UUID,
        position: float,
        client_at: datetime,
        device_fingerprint: str,
        device_info: dict[str, Any],
        state: dict[str, Any],
    ) -> uuid.UUID:
        view = sync_session(
            self.session,
            student_id=student_id,
            video_id=video_id,
            position=position,
            client_at=client_at,
            device_fingerprint=device_fingerprint,
            device_info=device_info,
            state=state,
        )
        return view.id

    def submit(
        self,
        *,
        student_id: uuid.UUID,
        question: QuestionPlan,
        milestone: MilestonePlan | None,
        response: Any,
        time_spent_ms: int,
        session_id: uuid.UUID | None,
        submitted_at: datetime,
    ) -> AttemptResult:
        outcome = submit_attempt(
            self.session,
            student_id=student_id,
            question_id=question.id,
            response=response,
            time_spent_ms=time_spent_ms,
            session_id=session_id,
            submitted_at=submitted_at,
        )
        step = outcome.next_step
        return AttemptResult(
            outcome.attempt_id,
            outcome.fraction,
            outcome.is_correct,
            outcome.attempts_left,
            step.action,
            step.target,
            step.message,
        )
