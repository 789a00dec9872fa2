"""AI providers per tenant, prices, generation jobs, the usage (cost) ledger and human review."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Date,
    Double,
    ForeignKey,
    Index,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from platform_core.models.base import Base, HasId, TenantScoped, Timestamps, str_enum, tenant_fk


class AIProvider(enum.StrEnum):
    OPENAI = "openai"
    AZURE_OPENAI = "azure_openai"
    OPENAI_COMPATIBLE = "openai_compatible"
    ANTHROPIC = "anthropic"
    OFFLINE = "offline"


class JobStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class ReviewAction(enum.StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    EDIT = "edit"
    EDIT_APPROVE = "edit_approve"
    RETURN_TO_REVIEW = "return_to_review"
    PUBLISH = "publish"


class AIConfig(TenantScoped, HasId, Timestamps, Base):
    """A tenant's provider configuration. The API key is stored only encrypted (key material lives outside
    the database); ``api_key_hint`` is the masked form shown in the UI and CLI."""

    __tablename__ = "ai_configs"

    name: Mapped[str] = mapped_column(String(64))
    provider: Mapped[AIProvider] = mapped_column(str_enum(AIProvider, "ai_provider"))
    model: Mapped[str] = mapped_column(String(128))
    base_url: Mapped[str | None] = mapped_column(Text)
    api_version: Mapped[str | None] = mapped_column(String(32))
    api_key_ciphertext: Mapped[bytes | None] = mapped_column(LargeBinary)
    api_key_hint: Mapped[str | None] = mapped_column(String(32))
    params: Mapped[dict[str, Any]] = mapped_column(server_default=text("'{}'::jsonb"))
    timeout_seconds: Mapped[float] = mapped_column(Double, server_default=text("60"))
    max_retries: Mapped[int] = mapped_column(server_default=text("3"))
    monthly_budget_usd: Mapped[Decimal | None] = mapped_column(Numeric(14, 4))
    is_default: Mapped[bool] = mapped_column(server_default=text("false"))
    is_active: Mapped[bool] = mapped_column(server_default=text("true"))

    __table_args__ = (
        UniqueConstraint("tenant_id", "name"),
        CheckConstraint("timeout_seconds > 0", name="timeout_positive"),
        CheckConstraint("max_retries >= 0", name="retries_non_negative"),
        CheckConstraint("monthly_budget_usd IS NULL OR monthly_budget_usd >= 0", name="budget_non_negative"),
    )


class AIModelPrice(HasId, Base):
    """Versioned per-token prices (USD per million tokens); a reference table shared by all tenants."""

    __tablename__ = "ai_model_prices"

    provider: Mapped[AIProvider] = mapped_column(str_enum(AIProvider, "ai_price_provider"))
    model: Mapped[str] = mapped_column(String(128))
    effective_from: Mapped[datetime] = mapped_column(server_default=func.now())
    input_usd_per_mtok: Mapped[Decimal] = mapped_column(Numeric(14, 6))
    cached_input_usd_per_mtok: Mapped[Decimal | None] = mapped_column(Numeric(14, 6))
    output_usd_per_mtok: Mapped[Decimal] = mapped_column(Numeric(14, 6))
    notes: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (UniqueConstraint("provider", "model", "effective_from"),)


class AIGenerationJob(TenantScoped, HasId, Timestamps, Base):
    __tablename__ = "ai_generation_jobs"

    video_id: Mapped[uuid.UUID]
    config_id: Mapped[uuid.UUID | None]
    requested_by: Mapped[uuid.UUID | None]
    status: Mapped[JobStatus] = mapped_column(
        str_enum(JobStatus, "job_status"), server_default=JobStatus.QUEUED.value
    )
    params: Mapped[dict[str, Any]] = mapped_column(server_default=text("'{}'::jsonb"))
    error: Mapped[dict[str, Any] | None]
    attempts: Mapped[int] = mapped_column(server_default=text("0"))
    questions_created: Mapped[int] = mapped_column(server_default=text("0"))
    candidates_rejected: Mapped[int] = mapped_column(server_default=text("0"))
    cost_usd: Mapped[Decimal] = mapped_column(Numeric(18, 10), server_default=text("0"))
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    __table_args__ = (
        tenant_fk(["video_id"], "videos"),
        tenant_fk(["config_id"], "ai_configs", ondelete=None),
        tenant_fk(["requested_by"], "users", ondelete=None),
        Index("ix_ai_generation_jobs_tenant_status", "tenant_id", "status", "created_at"),
    )


class AIRejectedCandidate(TenantScoped, HasId, Base):
    """A generated question that failed a quality gate, kept with the reason for analysis."""

    __tablename__ = "ai_rejected_candidates"

    job_id: Mapped[uuid.UUID]
    candidate: Mapped[dict[str, Any]]
    gate: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    __table_args__ = (
        tenant_fk(["job_id"], "ai_generation_jobs"),
        Index("ix_ai_rejected_candidates_job", "tenant_id", "job_id"),
    )


class AIUsage(TenantScoped, HasId, Base):
    """The cost ledger: one row per provider call, including repairs and failed calls that billed.

    ``cost_usd`` is NULL when the model has no price (unpriced is not free).
    """

    __tablename__ = "ai_usage"

    job_id: Mapped[uuid.UUID | None]
    config_id: Mapped[uuid.UUID | None]
    provider: Mapped[str] = mapped_column(String(32))
    requested_model: Mapped[str] = mapped_column(String(128))
    returned_model: Mapped[str | None] = mapped_column(String(128))
    request_id: Mapped[str | None] = mapped_column(Text)
    purpose: Mapped[str] = mapped_column(String(32), server_default=text("'generate'"))
    prompt_tokens: Mapped[int] = mapped_column(server_default=text("0"))
    cached_tokens: Mapped[int] = mapped_column(server_default=text("0"))
    completion_tokens: Mapped[int] = mapped_column(server_default=text("0"))
    reasoning_tokens: Mapped[int] = mapped_column(server_default=text("0"))
    latency_ms: Mapped[int | None]
    status: Mapped[str] = mapped_column(String(16))
    error_type: Mapped[str | None] = mapped_column(String(64))
    http_status: Mapped[int | None]
    cost_usd: Mapped[Decimal | None] = mapped_column(Numeric(18, 10))
    price_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("ai_model_prices.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    # Budget reservation: the worst-case cost held before the call ('reserved' rows), kept after settling.
    reserved_usd: Mapped[Decimal | None] = mapped_column(Numeric(18, 10))
    attempt: Mapped[int] = mapped_column(server_default=text("1"))
    window_index: Mapped[int | None]
    finish_reason: Mapped[str | None] = mapped_column(String(32))
    settled_at: Mapped[datetime | None]

    __table_args__ = (
        tenant_fk(["job_id"], "ai_generation_jobs", ondelete=None),
        tenant_fk(["config_id"], "ai_configs", ondelete=None),
        Index("ix_ai_usage_tenant_created", "tenant_id", "created_at"),
        Index("ix_ai_usage_tenant_job", "tenant_id", "job_id"),
        Index("ix_ai_usage_tenant_config_created", "tenant_id", "config_id", "created_at"),
    )


class AIBudget(TenantScoped, Timestamps, Base):
    """A tenant's monthly AI budget (one row per tenant). Reservations lock this row (SELECT ... FOR UPDATE)
    so that concurrent jobs are serialised while they check and reserve."""

    __tablename__ = "ai_budgets"

    monthly_budget_usd: Mapped[Decimal | None] = mapped_column(Numeric(14, 4))
    soft_limit_ratio: Mapped[Decimal] = mapped_column(Numeric(5, 4), server_default=text("0.8"))

    __table_args__ = (
        CheckConstraint("monthly_budget_usd IS NULL OR monthly_budget_usd >= 0", name="budget_non_negative"),
        CheckConstraint("soft_limit_ratio > 0 AND soft_limit_ratio <= 1", name="soft_ratio_range"),
    )


class AIBudgetAlert(TenantScoped, HasId, Base):
    """A budget threshold crossed: 'soft' when spend passes the soft ratio, 'hard' when a call or job was
    refused. At most one per scope, level and month."""

    __tablename__ = "ai_budget_alerts"

    period_start: Mapped[date] = mapped_column(Date)
    scope: Mapped[str] = mapped_column(String(64))
    config_id: Mapped[uuid.UUID | None]
    level: Mapped[str] = mapped_column(String(8))
    limit_usd: Mapped[Decimal] = mapped_column(Numeric(14, 4))
    spent_usd: Mapped[Decimal] = mapped_column(Numeric(18, 10))
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    __table_args__ = (
        UniqueConstraint("tenant_id", "period_start", "scope", "level"),
        tenant_fk(["config_id"], "ai_configs"),
        CheckConstraint("level IN ('soft', 'hard')", name="level_known"),
    )


class QuestionReview(TenantScoped, HasId, Base):
    """Every human review action on a question, with the question before and after it."""

    __tablename__ = "question_reviews"

    question_id: Mapped[uuid.UUID]
    reviewer_id: Mapped[uuid.UUID | None]
    action: Mapped[ReviewAction] = mapped_column(str_enum(ReviewAction, "review_action"))
    reason: Mapped[str | None] = mapped_column(Text)
    before: Mapped[dict[str, Any] | None]
    after: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    __table_args__ = (
        tenant_fk(["question_id"], "questions"),
        tenant_fk(["reviewer_id"], "users", ondelete=None),
        Index("ix_question_reviews_question", "tenant_id", "question_id", "created_at"),
    )
