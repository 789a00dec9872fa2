"""What the simulated player keeps track of: a learner's questions, one video being watched, and counts."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from platform_core.simulation.plan_model import VideoPlan


@dataclass
class QuestionState:
    attempts: int = 0
    correct: bool = False
    remediated: bool = False


@dataclass
class PlayerStats:
    sittings: int = 0
    events: int = 0
    syncs: int = 0
    attempts: int = 0
    correct_attempts: int = 0
    videos_completed: int = 0
    lessons_completed: int = 0
    dropoffs: int = 0
    seek_detours: int = 0
    jump_detours: int = 0
    rewinds: int = 0
    skips: int = 0
    device_switches: int = 0

    def add(self, other: PlayerStats) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class Viewing:
    """State of one video being watched."""

    video: VideoPlan
    path: str
    session_id: uuid.UUID
    pos: float
    rate: float
    furthest: float
    passed: set[uuid.UUID] = field(default_factory=set)
    encounters: dict[uuid.UUID, int] = field(default_factory=dict)
    pauses: int = 0
    ticks: int = 0
    paused: bool = False
