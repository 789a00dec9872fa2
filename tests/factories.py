"""Builders of realistic rows, written through the application role like the platform writes them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import text

from platform_core.audit import AuditAction, record_event
from platform_core.db.session import tenant_session
from platform_core.models import (
    AIBudget,
    AIBudgetAlert,
    AIConfig,
    AIGenerationJob,
    AIModelPrice,
    AIProvider,
    AIRejectedCandidate,
    AIUsage,
    AnalyticsEvent,
    ClassLesson,
    DailyUserActivity,
    DailyVideoActivity,
    Enrollment,
    EventQuarantine,
    Experiment,
    ExperimentAssignment,
    Grade,
    Lesson,
    LessonProgress,
    Milestone,
    Question,
    QuestionAttempt,
    QuestionReview,
    QuestionType,
    ReviewAction,
    RollupState,
    SchoolClass,
    StudentProgress,
    StudentSession,
    Video,
    VideoGroup,
    VideoGroupVideo,
)
from platform_core.tenancy.tenants import create_tenant
from platform_core.tenancy.users import create_user


@dataclass
class TenantData:
    tenant_id: uuid.UUID
    slug: str
    ids: dict[str, uuid.UUID] = field(default_factory=dict)


def new_tenant(prefix: str = "t") -> TenantData:
    slug = f"{prefix}-{uuid.uuid4().hex[:8]}"
    tenant = create_tenant(slug=slug, name=f"Tenant {slug}")
    return TenantData(tenant.id, slug)


def populate_tenant(data: TenantData, *, price_id: uuid.UUID | None = None) -> TenantData:
    """One row in every tenant table (audit rows come from the triggers)."""
    ids = data.ids
    now = datetime.now(UTC)
    with tenant_session(data.tenant_id) as s:
        teacher = create_user(
            s, email=f"teacher@{data.slug}.test", display_name="T", role="teacher", password="secret-pass-1"
        )
        student = create_user(s, email=f"student@{data.slug}.test", display_name="S", role="student")
        ids.update(teacher=teacher.id, student=student.id)
    with tenant_session(data.tenant_id, user_id=ids["teacher"]) as s:
        tid = data.tenant_id
        klass = SchoolClass(id=uuid.uuid4(), tenant_id=tid, name="Physics 1", teacher_id=ids["teacher"])
        lesson = Lesson(id=uuid.uuid4(), tenant_id=tid, title="Motion", created_by=ids["teacher"])
        video = Video(
            id=uuid.uuid4(),
            tenant_id=tid,
            title="Velocity",
            duration_seconds=120.0,
            transcript=[{"start": 0, "end": 5, "text": "velocity is speed with direction"}],
        )
        s.add_all([klass, lesson, video])
        s.flush()
        group = VideoGroup(id=uuid.uuid4(), tenant_id=tid, lesson_id=lesson.id, title="Part 1")
        milestone = Milestone(id=uuid.uuid4(), tenant_id=tid, video_id=video.id, timestamp_seconds=30.0)
        s.add_all(
            [
                Enrollment(tenant_id=tid, class_id=klass.id, student_id=ids["student"]),
                ClassLesson(tenant_id=tid, class_id=klass.id, lesson_id=lesson.id),
                group,
                milestone,
            ]
        )
        s.flush()
        config = AIConfig(
            id=uuid.uuid4(), tenant_id=tid, name="offline", provider=AIProvider.OFFLINE, model="offline-1"
        )
        s.add_all([VideoGroupVideo(tenant_id=tid, video_group_id=group.id, video_id=video.id), config])
        s.flush()
        job = AIGenerationJob(id=uuid.uuid4(), tenant_id=tid, video_id=video.id, config_id=config.id)
        s.add(job)
        s.flush()
        question = Question(
            id=uuid.uuid4(),
            tenant_id=tid,
            video_id=video.id,
            milestone_id=milestone.id,
            type=QuestionType.TRUE_FALSE,
            prompt="Velocity has a direction.",
            data={"correctAnswer": True},
            status="published",
        )
        session_row = StudentSession(
            id=uuid.uuid4(), tenant_id=tid, student_id=ids["student"], video_id=video.id
        )
        experiment = Experiment(id=uuid.uuid4(), tenant_id=tid, key="pause-at-milestones", name="Pause")
        s.add_all([question, session_row, experiment])
        s.flush()
        s.add_all(
            [
                StudentProgress(tenant_id=tid, student_id=ids["student"], video_id=video.id),
                LessonProgress(tenant_id=tid, student_id=ids["student"], lesson_id=lesson.id),
                QuestionAttempt(
                    tenant_id=tid,
                    student_id=ids["student"],
                    question_id=question.id,
                    attempt_number=1,
                    response=True,
                    fraction=1.0,
                    points_awarded=1.0,
                    points_possible=1.0,
                    is_correct=True,
                    session_id=session_row.id,
                ),
                Grade(
                    tenant_id=tid,
                    student_id=ids["student"],
                    lesson_id=lesson.id,
                    letter="A",
                    grading_method="penalized",
                ),
                AIRejectedCandidate(
                    tenant_id=tid, job_id=job.id, candidate={"stem": "?"}, gate="quote", reason="not found"
                ),
                AIBudget(tenant_id=tid, monthly_budget_usd=Decimal("50")),
                AIBudgetAlert(
                    tenant_id=tid,
                    period_start=now.date().replace(day=1),
                    scope="tenant",
                    level="soft",
                    limit_usd=Decimal("50"),
                    spent_usd=Decimal("40"),
                    message="tenant AI budget: $40 of $50 used this month",
                ),
                AIUsage(
                    tenant_id=tid,
                    job_id=job.id,
                    config_id=config.id,
                    provider="offline",
                    requested_model="offline-1",
                    status="ok",
                    price_id=price_id,
                    cost_usd=Decimal("0.0001") if price_id else None,
                ),
                QuestionReview(
                    tenant_id=tid,
                    question_id=question.id,
                    reviewer_id=ids["teacher"],
                    action=ReviewAction.APPROVE,
                ),
                ExperimentAssignment(
                    tenant_id=tid, experiment_id=experiment.id, user_id=ids["student"], variant="a"
                ),
                AnalyticsEvent(
                    tenant_id=tid,
                    id=uuid.uuid4(),
                    occurred_at=now,
                    user_id=ids["student"],
                    type="video_start",
                    data={"video_id": str(video.id)},
                ),
                EventQuarantine(tenant_id=tid, payload={"type": "nope"}, reason="unknown event type"),
                DailyVideoActivity(
                    tenant_id=tid, user_id=ids["student"], day=now.date(), video_id=video.id, events=1
                ),
                DailyUserActivity(tenant_id=tid, user_id=ids["student"], day=now.date(), events=1),
                RollupState(tenant_id=tid, name="daily_activity", watermark=now),
            ]
        )
        record_event(s, AuditAction.ADMIN_ACTION, details={"note": "populated"})
        ids.update(
            klass=klass.id,
            lesson=lesson.id,
            video=video.id,
            milestone=milestone.id,
            question=question.id,
            job=job.id,
            config=config.id,
            session=session_row.id,
        )
    operations_rows(data)
    return data


def operations_rows(data: TenantData) -> None:
    """One row in each operations tenant table; operator tasks write them as the owner, tenant set."""
    from sqlalchemy.orm import Session

    from platform_core.db.engine import owner_engine
    from platform_core.models import ArchivedPartition, ArchiveFile, TenantAlertIncident, TenantMetricSnapshot

    start, end = datetime(1999, 1, 1, tzinfo=UTC), datetime(1999, 2, 1, tzinfo=UTC)
    archive = ArchivedPartition(
        id=uuid.uuid4(), parent_table="analytics_events", range_start=start, range_end=end,
        partition_name=f"analytics_events_p1999_01_{data.slug}", state="dropped", row_count=0, checksum="0:0",
    )  # fmt: skip
    with Session(owner_engine()) as s, s.begin():
        s.add(archive)
        s.flush()
        s.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(data.tenant_id)})
        s.add_all(
            [
                ArchiveFile(tenant_id=data.tenant_id, archive_id=archive.id, parent_table="analytics_events",
                            range_start=start, range_end=end, files=[], row_count=0, checksum="0:0"),
                TenantMetricSnapshot(tenant_id=data.tenant_id, metrics={"students": 1}),
                TenantAlertIncident(tenant_id=data.tenant_id, rule_key="video_processing_errors",
                                    severity="warning", message="populated"),
            ]
        )  # fmt: skip


def shared_price(owner_session) -> uuid.UUID:
    price = AIModelPrice(
        id=uuid.uuid4(),
        provider=AIProvider.OPENAI,
        model=f"m-{uuid.uuid4().hex[:6]}",
        input_usd_per_mtok=Decimal("0.15"),
        output_usd_per_mtok=Decimal("0.60"),
    )
    owner_session.add(price)
    owner_session.commit()
    return price.id


def current_setting(conn, name: str) -> str | None:
    return conn.execute(text("SELECT current_setting(:n, true)"), {"n": name}).scalar()
