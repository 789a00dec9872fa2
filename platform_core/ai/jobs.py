"""Generation jobs: queued -> running -> succeeded | failed, with error details.

A job reads its video's transcript and milestones, generates candidates window by window (each provider
call ledgered and budgeted as it happens), then stores the questions that pass the quality gates in ONE
transaction: as ``pending_review`` AI questions, with the rejected candidates and the job's figures. When
anything fails, that transaction never happens: the job is marked failed with the error and no question of
it exists (the ledger keeps every call that was made, billed or not).

``run_job`` manages its own transactions (a job spans many), so unlike most services it takes the tenant id,
not a session.
"""

from __future__ import annotations

import dataclasses
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Final

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from platform_core.ai import configs
from platform_core.ai.budgets import BudgetError, check_budget, record_alert
from platform_core.ai.crypto import SecretKeyError
from platform_core.ai.generation import CallFailed, CallRunner, WindowOutcome
from platform_core.ai.ledger import abandon_stale_reservations
from platform_core.ai.prompts import generation_request
from platform_core.ai.providers import Provider, make_provider
from platform_core.ai.schemas import AIParams
from platform_core.ai.storing import store_candidates
from platform_core.ai.windows import Window, build_windows, parse_transcript
from platform_core.db.session import TENANT_KEY, tenant_session
from platform_core.models import AIGenerationJob, AIRejectedCandidate, AIUsage, JobStatus, Milestone, Video
from platform_core.validation import InvalidInput, validate_as, validated_json

log = logging.getLogger(__name__)
Progress = Callable[[int, int], None]


class JobError(RuntimeError):
    def __init__(self, error_type: str, message: str, **details: Any) -> None:
        super().__init__(message)
        self.error = {"type": error_type, "message": message, **details}


@dataclass
class JobResult:
    job_id: uuid.UUID
    status: JobStatus
    questions_created: int = 0
    candidates_rejected: int = 0
    calls: int = 0
    cost_usd: Decimal = Decimal(0)
    unpriced_calls: int = 0
    question_ids: list[uuid.UUID] = field(default_factory=list)
    error: dict[str, Any] | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "job_id": str(self.job_id),
            "status": self.status.value,
            "questions_created": self.questions_created,
            "candidates_rejected": self.candidates_rejected,
            "calls": self.calls,
            "cost_usd": f"{self.cost_usd:f}",
            "unpriced_calls": self.unpriced_calls,
            "question_ids": [str(q) for q in self.question_ids],
            "error": self.error,
        }


def create_job(
    session: Session,
    *,
    video_id: uuid.UUID | str,
    config_name: str | None = None,
    requested_by: uuid.UUID | None = None,
    params: dict[str, Any] | None = None,
) -> AIGenerationJob:
    """Queue a job for a video with a configuration (default: the tenant's default, else offline).
    ``params`` override the configuration's ``AIParams`` for this job only."""
    try:
        video_uuid = uuid.UUID(str(video_id))
    except ValueError:
        raise InvalidInput("video_id", f"not a UUID: {video_id!r}") from None
    if session.get(Video, (session.info[TENANT_KEY], video_uuid)) is None:
        raise InvalidInput("video_id", f"no video {video_uuid} in this tenant")
    config = configs.resolve_config(session, name=config_name)
    merged = config.params.model_dump(mode="json", by_alias=True, exclude_none=True) | (params or {})
    job = AIGenerationJob(
        id=uuid.uuid4(),
        tenant_id=session.info[TENANT_KEY],
        video_id=video_uuid,
        config_id=config.config_id,
        requested_by=requested_by,
        status=JobStatus.QUEUED,
        params={**config.snapshot(), "params": validated_json(AIParams, merged, root="params")},
    )
    session.add(job)
    session.flush()
    return job


def get_job(session: Session, *, job_id: uuid.UUID | str) -> AIGenerationJob:
    job = session.get(AIGenerationJob, (session.info[TENANT_KEY], uuid.UUID(str(job_id))))
    if job is None:
        raise InvalidInput("job_id", f"no generation job {job_id} in this tenant")
    return job


def list_jobs(session: Session, *, limit: int = 50, status: JobStatus | None = None) -> list[AIGenerationJob]:
    query = select(AIGenerationJob).order_by(AIGenerationJob.created_at.desc()).limit(limit)
    if status is not None:
        query = query.where(AIGenerationJob.status == status)
    return list(session.scalars(query))


#: A job that has made no provider call for this long (each call is ledgered as it starts) lost its process.
STALE_AFTER: Final = timedelta(hours=1)


def abandon_stale_jobs(session: Session, *, older_than: timedelta = STALE_AFTER) -> int:
    """Fail the jobs whose process stopped (killed, crashed, machine restarted): queued and never started,
    or running without a provider call, for longer than ``older_than``. Their error type is ``abandoned``;
    returns how many. Runs whenever a job starts, as the sweep of open reservations does."""
    cutoff = datetime.now(UTC) - older_than
    last_call = (
        select(func.max(AIUsage.created_at))
        .where(AIUsage.tenant_id == AIGenerationJob.tenant_id, AIUsage.job_id == AIGenerationJob.id)
        .scalar_subquery()
    )
    stale = session.scalars(
        select(AIGenerationJob)
        .where(
            or_(
                and_(AIGenerationJob.status == JobStatus.QUEUED, AIGenerationJob.created_at < cutoff),
                and_(
                    AIGenerationJob.status == JobStatus.RUNNING,
                    func.greatest(AIGenerationJob.started_at, last_call) < cutoff,
                ),
            )
        )
        .with_for_update(skip_locked=True)
    ).all()
    hours = older_than / timedelta(hours=1)
    for job in stale:
        job.status, job.finished_at = JobStatus.FAILED, datetime.now(UTC)
        job.error = {
            "type": "abandoned",
            "message": f"the process running the job stopped: nothing happened for over {hours:g} hour(s)",
        }
    session.flush()
    if stale:
        log.warning("%d generation job(s) abandoned by their process marked failed", len(stale))
    return len(stale)


def _start(session: Session, job_id: uuid.UUID) -> None:
    job = session.get(AIGenerationJob, (session.info[TENANT_KEY], job_id), with_for_update=True)
    if job is None:
        raise InvalidInput("job_id", f"no generation job {job_id} in this tenant")
    if job.status is not JobStatus.QUEUED:
        raise InvalidInput("job_id", f"job {job_id} is {job.status.value}, not queued")
    job.status, job.started_at = JobStatus.RUNNING, datetime.now(UTC)
    abandon_stale_reservations(session)
    abandon_stale_jobs(session)


def _load(session: Session, job_id: uuid.UUID) -> tuple[configs.ResolvedConfig, list[Window], AIParams]:
    """The job's configuration (with its own parameters) and the transcript windows of its video."""
    job = session.get(AIGenerationJob, (session.info[TENANT_KEY], job_id))
    assert job is not None
    resolved = (
        configs.resolve_config(session, config_id=job.config_id)
        if job.config_id is not None
        else configs.builtin_offline()
    )
    params = validate_as(AIParams, job.params.get("params", {}), root="params")
    config = dataclasses.replace(resolved, params=params)
    video = session.get(Video, (job.tenant_id, job.video_id))
    assert video is not None  # the foreign key guarantees it
    milestones = session.execute(
        select(Milestone.id, Milestone.timestamp_seconds).where(Milestone.video_id == video.id)
    ).all()
    windows = build_windows(
        parse_transcript(video.transcript),
        milestones=[(m.id, m.timestamp_seconds) for m in milestones],
        window_seconds=params.window_seconds,
        max_windows=params.max_windows,
        duration_seconds=video.duration_seconds,
    )
    return config, windows, params


def _job_figures(session: Session, job_id: uuid.UUID) -> tuple[int, Decimal, int]:
    calls, cost, unpriced = session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(AIUsage.cost_usd), 0),
            func.count().filter(AIUsage.cost_usd.is_(None), AIUsage.status != "reserved"),
        ).where(AIUsage.job_id == job_id)
    ).one()
    return calls, Decimal(cost), unpriced


def _fail(tenant_id: uuid.UUID, job_id: uuid.UUID, user_id: uuid.UUID | None, error: dict[str, Any],
          outcomes: list[WindowOutcome]) -> JobResult:  # fmt: skip
    with tenant_session(tenant_id, user_id=user_id) as session:
        job = session.get(AIGenerationJob, (tenant_id, job_id), with_for_update=True)
        assert job is not None
        calls, cost, unpriced = _job_figures(session, job_id)
        rejected = 0
        for outcome in outcomes:  # kept for analysis even though the job failed
            if outcome.failure is not None:
                session.add(
                    _rejected(tenant_id, job_id, outcome.failure, "output", outcome.failure["afterRepair"])
                )
                rejected += 1
            for raw, reason in outcome.invalid:
                session.add(_rejected(tenant_id, job_id, raw, "schema", reason))
                rejected += 1
        job.status, job.error, job.finished_at = JobStatus.FAILED, error, datetime.now(UTC)
        job.attempts, job.cost_usd, job.candidates_rejected = calls, cost, rejected
    log.warning("generation job %s failed: %s", job_id, error.get("message"))
    return JobResult(job_id, JobStatus.FAILED, 0, rejected, calls, cost, unpriced, error=error)


def _rejected(
    tenant_id: uuid.UUID, job_id: uuid.UUID, raw: Any, gate: str, reason: str
) -> AIRejectedCandidate:
    candidate = raw if isinstance(raw, dict) else {"value": raw}
    return AIRejectedCandidate(
        tenant_id=tenant_id, job_id=job_id, candidate=candidate, gate=gate, reason=reason[:2000]
    )


def _precheck(runner: CallRunner, windows: list[Window], params: AIParams) -> None:
    """Refuse the whole job up front when its worst case (one call per window) does not fit the budget."""
    per_call = [
        runner.worst_case(
            generation_request(w, count=params.questions_per_window, question_types=params.question_types,
                               structured=runner.structured)
        )
        for w in windows
    ]  # fmt: skip
    needed = (
        None if any(c is None for c in per_call) else sum((c for c in per_call if c is not None), Decimal(0))
    )
    refusal: BudgetError | None = None
    with tenant_session(runner.tenant_id, user_id=runner.user_id) as session:
        try:
            check_budget(
                session, config=runner.config, needed=needed, what=f"generation job ({len(windows)} calls)"
            )
        except BudgetError as exc:
            record_alert(session, limit=exc, level="hard", spent=exc.spent)
            refusal = exc
    if refusal is not None:  # raised after the alert is committed
        raise JobError(refusal.error_type, str(refusal), scope=refusal.scope)


def run_job(
    tenant_id: uuid.UUID,
    job_id: uuid.UUID,
    *,
    user_id: uuid.UUID | None = None,
    progress: Progress | None = None,
    provider: Provider | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> JobResult:
    """Run a queued job to the end and return what it did (a failed job is a result, not an exception)."""
    with tenant_session(tenant_id, user_id=user_id) as session:
        _start(session, job_id)
    outcomes: list[WindowOutcome] = []
    own_provider = provider is None
    try:
        with tenant_session(tenant_id, user_id=user_id) as session:
            config, windows, params = _load(session, job_id)
        if not windows:
            raise JobError("no_transcript", "the video has no transcript text to generate questions from")
        provider = provider or make_provider(config)
        runner = CallRunner(tenant_id=tenant_id, job_id=job_id, config=config, provider=provider,
                            user_id=user_id, sleep=sleep)  # fmt: skip
        _precheck(runner, windows, params)
        for done, window in enumerate(windows, start=1):
            outcomes.append(
                runner.generate_window(
                    window, count=params.questions_per_window, question_types=params.question_types
                )
            )
            if progress is not None:
                progress(done, len(windows))
        if all(o.failure is not None for o in outcomes):
            raise JobError("no_usable_output", "no window produced a usable answer, even after a repair call",
                           windows=[o.failure for o in outcomes][:5])  # fmt: skip
        with tenant_session(tenant_id, user_id=user_id) as session:
            stored = store_candidates(session, job_id=job_id, config=config, outcomes=outcomes)
            calls, cost, unpriced = _job_figures(session, job_id)
            job = session.get(AIGenerationJob, (tenant_id, job_id), with_for_update=True)
            assert job is not None
            job.status, job.finished_at, job.error = JobStatus.SUCCEEDED, datetime.now(UTC), None
            job.questions_created, job.candidates_rejected = len(stored.question_ids), stored.rejected
            job.attempts, job.cost_usd = calls, cost
        return JobResult(job_id, JobStatus.SUCCEEDED, len(stored.question_ids), stored.rejected, calls, cost,
                         unpriced, stored.question_ids)  # fmt: skip
    except JobError as exc:
        return _fail(tenant_id, job_id, user_id, exc.error, outcomes)
    except CallFailed as exc:
        return _fail(tenant_id, job_id, user_id, {**exc.as_json(), "message": str(exc)}, outcomes)
    except BudgetError as exc:
        error = {"type": exc.error_type, "message": str(exc), "scope": exc.scope}
        return _fail(tenant_id, job_id, user_id, error, outcomes)
    except (InvalidInput, SecretKeyError) as exc:
        return _fail(tenant_id, job_id, user_id, {"type": "configuration", "message": str(exc)}, outcomes)
    except BaseException as exc:
        _fail(
            tenant_id,
            job_id,
            user_id,
            {"type": "internal", "message": f"{type(exc).__name__}: {exc}"},
            outcomes,
        )
        raise
    finally:
        if own_provider and provider is not None:
            provider.close()


def generate_questions(
    tenant_id: uuid.UUID,
    *,
    video_id: uuid.UUID | str,
    config_name: str | None = None,
    user_id: uuid.UUID | None = None,
    params: dict[str, Any] | None = None,
    progress: Progress | None = None,
    provider: Provider | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> JobResult:
    """Queue and run a job for one video (what ``ilp ai generate`` does)."""
    with tenant_session(tenant_id, user_id=user_id) as session:
        job = create_job(
            session, video_id=video_id, config_name=config_name, requested_by=user_id, params=params
        )
    return run_job(tenant_id, job.id, user_id=user_id, progress=progress, provider=provider, sleep=sleep)
