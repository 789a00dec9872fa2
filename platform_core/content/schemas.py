"""JSONB shapes of content: video metadata, timed transcripts and milestone behaviour (EVENTS.md)."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import ConfigDict, Field, model_validator

from platform_core.validation import JsonModel


class Resolution(JsonModel):
    width: int = Field(gt=0, le=16384)
    height: int = Field(gt=0, le=16384)


class VideoMetadata(JsonModel):
    """Technical facts about a video file; unknown keys are kept (processing pipelines add their own)."""

    model_config = ConfigDict(extra="allow")

    resolution: Resolution | None = None
    video_codec: str | None = Field(default=None, alias="videoCodec", max_length=64)
    audio_codec: str | None = Field(default=None, alias="audioCodec", max_length=64)
    bitrate_kbps: int | None = Field(default=None, alias="bitrateKbps", gt=0)
    frame_rate: float | None = Field(default=None, alias="frameRate", gt=0, le=1000)
    language: str | None = Field(default=None, max_length=16)
    processing: dict[str, object] | None = None


class TranscriptCue(JsonModel):
    start: float = Field(ge=0)
    end: float = Field(ge=0)
    text: str = Field(min_length=1)

    @model_validator(mode="after")
    def _ordered(self) -> TranscriptCue:
        if self.end < self.start:
            raise ValueError("end must not be before start")
        return self


class Transcript(JsonModel):
    cues: list[TranscriptCue]

    @model_validator(mode="after")
    def _sorted(self) -> Transcript:
        starts = [cue.start for cue in self.cues]
        if starts != sorted(starts):
            raise ValueError("cues must be in time order")
        return self


class Branch(JsonModel):
    """What the player does after an answer: continue, seek within the video, or jump to another video."""

    action: Literal["continue", "seek", "jump"] = "continue"
    to: float | uuid.UUID | None = None
    message: str | None = Field(default=None, max_length=2000)

    @model_validator(mode="after")
    def _target_fits_action(self) -> Branch:
        if self.action == "continue" and self.to is not None:
            raise ValueError("'continue' takes no target")
        if self.action == "seek" and (not isinstance(self.to, float) or self.to < 0):
            raise ValueError("'seek' needs a target position in seconds (>= 0)")
        if self.action == "jump" and not isinstance(self.to, uuid.UUID):
            raise ValueError("'jump' needs a target video id")
        return self


class MilestoneSettings(JsonModel):
    pause: bool = True
    require_correct: bool = Field(default=False, alias="requireCorrect")
    on_correct: Branch = Field(default_factory=Branch, alias="onCorrect")
    on_wrong: Branch = Field(default_factory=Branch, alias="onWrong")
