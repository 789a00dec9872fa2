"""JSONB shapes of learner state: device info, session state and per-milestone progress details."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import ConfigDict, Field

from platform_core.validation import JsonModel


class DeviceInfo(JsonModel):
    model_config = ConfigDict(extra="allow")

    kind: Literal["desktop", "tablet", "phone", "tv", "other"] | None = None
    os: str | None = Field(default=None, max_length=64)
    browser: str | None = Field(default=None, max_length=64)
    user_agent: str | None = Field(default=None, alias="userAgent", max_length=512)
    app_version: str | None = Field(default=None, alias="appVersion", max_length=32)
    screen: str | None = Field(default=None, max_length=32)


class SessionState(JsonModel):
    """What a second device needs to resume: playback rate, captions, volume, an open question."""

    model_config = ConfigDict(extra="allow")

    playback_rate: float = Field(default=1.0, alias="playbackRate", gt=0, le=16)
    captions: bool | None = None
    volume: float | None = Field(default=None, ge=0, le=1)
    paused: bool | None = None
    pending_milestone_id: uuid.UUID | None = Field(default=None, alias="pendingMilestoneId")


class MilestoneProgress(JsonModel):
    reached_at: datetime | None = Field(default=None, alias="reachedAt")
    answered: int = Field(default=0, ge=0)
    correct: bool = False
    best_fraction: float = Field(default=0.0, alias="bestFraction", ge=0, le=1)
    branch: Literal["onCorrect", "onWrong"] | None = None
    detours: int = Field(default=0, ge=0)


class ProgressDetails(JsonModel):
    """``student_progress.milestone_details``: milestone id -> what happened there."""

    milestones: dict[uuid.UUID, MilestoneProgress] = Field(default_factory=dict)
