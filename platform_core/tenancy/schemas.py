"""JSONB shapes owned by tenancy: tenant settings and user preferences."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from platform_core.validation import JsonModel

DEFAULT_LETTER_SCALE: tuple[tuple[str, float], ...] = (
    ("A", 93), ("A-", 90), ("B+", 87), ("B", 83), ("B-", 80), ("C+", 77),
    ("C", 73), ("C-", 70), ("D+", 67), ("D", 60), ("F", 0),
)  # fmt: skip


class LetterBand(JsonModel):
    letter: str = Field(min_length=1, max_length=8)
    min_percent: float = Field(alias="minPercent", ge=0, le=100)


class AtRiskRules(JsonModel):
    inactive_days: int = Field(default=7, alias="inactiveDays", ge=1, le=365)
    min_coverage: float = Field(default=0.5, alias="minCoverage", ge=0, le=1)
    min_percent: float = Field(default=60, alias="minPercent", ge=0, le=100)
    max_failed_attempts: int = Field(default=5, alias="maxFailedAttempts", ge=1)


class TenantSettings(JsonModel):
    grading_method: Literal["penalized", "highest", "average", "first", "last"] = Field(
        default="penalized", alias="gradingMethod"
    )
    letter_scale: list[LetterBand] | None = Field(default=None, alias="letterScale")
    at_risk: AtRiskRules = Field(default_factory=AtRiskRules, alias="atRisk")
    session_idle_minutes: int = Field(default=30, alias="sessionIdleMinutes", ge=1, le=24 * 60)
    timezone: str = Field(default="UTC", max_length=64)
    retention_warm_days: int = Field(default=730, alias="retentionWarmDays", ge=90)

    @field_validator("letter_scale")
    @classmethod
    def _scale_has_floor(cls, scale: list[LetterBand] | None) -> list[LetterBand] | None:
        if scale is None:
            return None
        if not any(band.min_percent == 0 for band in scale):
            raise ValueError("the scale needs a band starting at 0")
        if len({band.letter for band in scale}) != len(scale):
            raise ValueError("letters must be unique")
        return sorted(scale, key=lambda band: band.min_percent, reverse=True)

    def scale(self) -> list[tuple[str, float]]:
        if self.letter_scale is None:
            return list(DEFAULT_LETTER_SCALE)
        return [(band.letter, band.min_percent) for band in self.letter_scale]


class UserPreferences(JsonModel):
    language: str = Field(default="en", max_length=16)
    timezone: str = Field(default="UTC", max_length=64)
    theme: Literal["light", "dark", "auto"] = "auto"
    playback_rate: float = Field(default=1.0, alias="playbackRate", gt=0, le=4)
    captions: bool = True
    email_notifications: bool = Field(default=True, alias="emailNotifications")
