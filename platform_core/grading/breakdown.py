"""JSONB shape of ``grades.breakdown``: points by video and by question."""

from __future__ import annotations

import uuid

from pydantic import Field

from platform_core.validation import JsonModel


class QuestionScore(JsonModel):
    question_id: uuid.UUID = Field(alias="questionId")
    points_possible: float = Field(alias="pointsPossible", ge=0)
    points_earned: float = Field(alias="pointsEarned", ge=0)
    fraction: float = Field(ge=0, le=1)
    attempts: int = Field(ge=0)


class VideoScore(JsonModel):
    video_id: uuid.UUID = Field(alias="videoId")
    points_possible: float = Field(alias="pointsPossible", ge=0)
    points_earned: float = Field(alias="pointsEarned", ge=0)
    questions: list[QuestionScore] = Field(default_factory=list)


class GradeBreakdown(JsonModel):
    method: str
    videos: list[VideoScore] = Field(default_factory=list)
