"""Generation jobs whose process stopped are failed as ``abandoned``, not left queued or running forever."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from platform_core.ai import jobs
from platform_core.db.session import tenant_session
from platform_core.models import AIGenerationJob, AIUsage, JobStatus
from tests.ai.conftest import AITenant


def _job(
    tenant: AITenant, status: JobStatus, *, created: timedelta, started: timedelta | None = None
) -> uuid.UUID:
    now = datetime.now(UTC)
    with tenant_session(tenant.tenant_id) as session:
        job = jobs.create_job(session, video_id=tenant.video_id)
        job.status, job.created_at = status, now - created
        job.started_at = now - started if started is not None else None
        return job.id


def _states(tenant: AITenant, *ids: uuid.UUID) -> list[tuple[JobStatus, str | None]]:
    with tenant_session(tenant.tenant_id) as session:
        found = [session.get(AIGenerationJob, (tenant.tenant_id, i)) for i in ids]
        return [(j.status, (j.error or {}).get("type")) for j in found if j is not None]


def test_jobs_left_by_a_stopped_process_are_failed_as_abandoned(ai_tenant: AITenant) -> None:
    hours = timedelta(hours=2)
    never_started = _job(ai_tenant, JobStatus.QUEUED, created=hours)
    went_silent = _job(ai_tenant, JobStatus.RUNNING, created=hours, started=hours)
    still_calling = _job(ai_tenant, JobStatus.RUNNING, created=hours, started=hours)
    just_queued = _job(ai_tenant, JobStatus.QUEUED, created=timedelta(minutes=1))
    finished = _job(ai_tenant, JobStatus.SUCCEEDED, created=hours, started=hours)
    with tenant_session(ai_tenant.tenant_id) as session:  # a provider call five minutes ago
        session.add(
            AIUsage(
                id=uuid.uuid4(),
                tenant_id=ai_tenant.tenant_id,
                job_id=still_calling,
                provider="openai_compatible",
                requested_model=ai_tenant.model,
                status="reserved",
                created_at=datetime.now(UTC) - timedelta(minutes=5),
            )
        )

    with tenant_session(ai_tenant.tenant_id) as session:
        assert jobs.abandon_stale_jobs(session) == 2
    abandoned = (JobStatus.FAILED, "abandoned")
    assert _states(ai_tenant, never_started, went_silent, still_calling, just_queued, finished) == [
        abandoned,
        abandoned,
        (JobStatus.RUNNING, None),
        (JobStatus.QUEUED, None),
        (JobStatus.SUCCEEDED, None),
    ]
    with tenant_session(ai_tenant.tenant_id) as session:
        job = session.get(AIGenerationJob, (ai_tenant.tenant_id, went_silent))
        assert job is not None and job.finished_at is not None
        assert "process running the job stopped" in job.error["message"]


def test_starting_a_job_sweeps_the_abandoned_ones(ai_tenant: AITenant) -> None:
    silent = _job(ai_tenant, JobStatus.RUNNING, created=timedelta(hours=3), started=timedelta(hours=3))
    result = jobs.generate_questions(ai_tenant.tenant_id, video_id=ai_tenant.video_id)  # offline default
    assert result.status is JobStatus.SUCCEEDED
    assert _states(ai_tenant, silent) == [(JobStatus.FAILED, "abandoned")]
