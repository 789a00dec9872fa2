"""Simulated learners: who they are (ability, diligence, focus, habits, devices, A/B variants) and when they
study (sittings spread over the simulated weeks with school-day and evening rhythms).

Everything is drawn from the learner's own ``random.Random``, so one learner's behaviour does not depend on
how many others were simulated before it.
"""

from __future__ import annotations

import hashlib
import math
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from platform_core.simulation.corpus import DEVICES

#: Relative chance of studying on Monday .. Sunday (Sunday evening homework, quiet Saturdays).
WEEKDAY_WEIGHTS: Final = (1.0, 1.0, 0.95, 0.9, 0.65, 0.4, 0.8)
#: Hours of the evening/weekend study peak and their weights (16:00 .. 22:00).
EVENING_HOURS: Final = ((16, 0.6), (17, 0.9), (18, 1.0), (19, 1.2), (20, 1.1), (21, 0.7), (22, 0.3))
SCHOOL_HOURS: Final = ((9, 0.8), (10, 1.0), (11, 1.0), (12, 0.5), (13, 0.9), (14, 1.0), (15, 0.6))
RATES: Final = ((1.0, 0.62), (1.25, 0.18), (1.5, 0.12), (2.0, 0.05), (0.75, 0.03))
APP_VERSIONS: Final = ("web-3.4.2", "web-3.5.0", "web-3.5.1")


@dataclass(frozen=True)
class Device:
    fingerprint: str
    info: dict[str, Any]
    app_version: str

    @property
    def kind(self) -> str:
        return str(self.info.get("kind", "other"))

    @property
    def user_agent(self) -> str:
        return str(self.info.get("userAgent", ""))


@dataclass(frozen=True)
class LearnerProfile:
    student_id: uuid.UUID
    ability: float
    diligence: float
    focus: float
    playback_rate: float
    skipper: float
    rewatcher: float
    procrastination: float
    evening: float
    churn_at: datetime | None
    devices: tuple[Device, ...]
    device_weights: tuple[float, ...]
    variants: dict[str, str]
    captions: bool


@dataclass(frozen=True)
class Sitting:
    """One study session: from ``start``, about ``minutes`` long, on one lesson, on one device."""

    start: datetime
    lesson_id: uuid.UUID
    minutes: float
    device: int


def _weighted(rng: random.Random, pairs: Sequence[tuple[Any, float]]) -> Any:
    return rng.choices([value for value, _ in pairs], weights=[weight for _, weight in pairs])[0]


def assign_variant(experiment_key: str, student_id: uuid.UUID, variants: Sequence[dict[str, Any]]) -> str:
    """Deterministic bucketing by hash of (experiment, student), weighted by the variants' ``weight``."""
    digest = hashlib.sha256(f"{experiment_key}:{student_id}".encode()).digest()
    point = int.from_bytes(digest[:8], "big") / 2**64
    total = sum(float(v.get("weight", 1)) for v in variants)
    acc = 0.0
    for variant in variants:
        acc += float(variant.get("weight", 1)) / total
        if point < acc:
            return str(variant["key"])
    return str(variants[-1]["key"])


def make_profile(
    rng: random.Random,
    student_id: uuid.UUID,
    *,
    start: datetime,
    now: datetime,
    experiments: Sequence[tuple[str, Sequence[dict[str, Any]]]] = (),
    bucket: uuid.UUID | None = None,
) -> LearnerProfile:
    """A learner drawn from ``rng``; A/B variants are bucketed by ``bucket`` (default: the student id), so a
    plan's stable person id keeps the variant when the platform gives the account another id."""
    count = _weighted(rng, ((1, 0.45), (2, 0.4), (3, 0.15)))
    picked = rng.sample(range(len(DEVICES)), count)
    devices = tuple(
        Device(
            fingerprint=f"fp-{rng.getrandbits(64):016x}",
            info=dict(DEVICES[i][1]),
            app_version=rng.choice(APP_VERSIONS),
        )
        for i in picked
    )
    weights = tuple(sorted((rng.uniform(0.2, 1.0) for _ in devices), reverse=True))
    churn_at = None
    if rng.random() < 0.12:
        churn_at = start + (now - start) * rng.uniform(0.2, 0.85)
    return LearnerProfile(
        student_id=student_id,
        ability=rng.betavariate(2.2, 1.8),
        diligence=rng.betavariate(2.6, 1.6),
        focus=rng.betavariate(2.5, 1.5),
        playback_rate=_weighted(rng, RATES),
        skipper=rng.betavariate(1.2, 4.0),
        rewatcher=rng.betavariate(1.5, 3.5),
        procrastination=rng.betavariate(2.0, 2.0),
        evening=rng.uniform(0.45, 0.9),
        churn_at=churn_at,
        devices=devices,
        device_weights=weights,
        variants={key: assign_variant(key, bucket or student_id, variants) for key, variants in experiments},
        captions=rng.random() < 0.3,
    )


def p_correct(
    profile: LearnerProfile, difficulty: float, *, attempt: int, remediated: bool, hinted: bool
) -> float:
    """Chance that the learner's next answer earns full marks."""
    logit = 4.0 * (profile.ability - difficulty) + 0.4 + 0.9 * (attempt - 1)
    if remediated:
        logit += 0.8
    if hinted and attempt > 1:
        logit += 0.6
    return 1 / (1 + math.exp(-logit))


# --------------------------------------------------------------------------------------------- time
def _study_moment(rng: random.Random, profile: LearnerProfile, day: datetime) -> datetime:
    weekday = day.weekday()
    evening = weekday >= 5 or rng.random() < profile.evening
    hours = EVENING_HOURS if evening else SCHOOL_HOURS
    if weekday >= 5 and rng.random() < 0.4:
        hours = ((11, 0.8), (13, 1.0), (14, 1.0), (15, 0.9))
    hour = _weighted(rng, hours)
    return day.replace(hour=hour, minute=rng.randrange(60), second=rng.randrange(60), microsecond=0)


def _pick_day(rng: random.Random, low: datetime, high: datetime, skew: float) -> datetime:
    """A day in [low, high], Beta-skewed towards the end when ``skew`` is high, by weekday weight."""
    span = max((high - low).total_seconds(), 3600.0)
    a, b = 1.0 + 2.5 * (1 - skew), 1.0 + 2.5 * skew
    for _ in range(12):
        moment = low + timedelta(seconds=span * rng.betavariate(b, a))
        if rng.random() < WEEKDAY_WEIGHTS[moment.weekday()]:
            return moment
    return moment


def plan_sittings(
    rng: random.Random,
    profile: LearnerProfile,
    assignments: Sequence[tuple[uuid.UUID, datetime, datetime, float]],
    *,
    now: datetime,
) -> list[Sitting]:
    """The learner's study sessions, in time order, for assignments ``(lesson, assigned, due, minutes)``
    (``minutes``: the lesson's running time). Sessions lie before ``now`` and before the learner churns."""
    sittings: list[Sitting] = []
    horizon = now - timedelta(hours=2)
    if profile.churn_at is not None:
        horizon = min(horizon, profile.churn_at)
    for lesson_id, assigned, due, minutes in assignments:
        if assigned >= horizon or rng.random() > 0.35 + 0.65 * profile.diligence:
            continue
        window_end = min(due + timedelta(days=rng.uniform(0, 4)), horizon)
        if window_end <= assigned:
            continue
        budget = 12 + 30 * profile.focus * rng.uniform(0.6, 1.2)
        needed = minutes * (1.15 + 0.4 * profile.rewatcher) / max(profile.playback_rate, 0.75)
        count = max(1, min(10, math.ceil(needed / budget) + (1 if rng.random() < profile.rewatcher else 0)))
        first = _pick_day(rng, assigned, window_end, profile.procrastination)
        for number in range(count):
            day = first if number == 0 else _pick_day(rng, first, window_end, 0.5)
            moment = _study_moment(rng, profile, day)
            if not assigned <= moment < horizon:
                continue
            device = rng.choices(range(len(profile.devices)), weights=profile.device_weights)[0]
            minutes_here = budget * rng.uniform(0.6, 1.4)
            sittings.append(Sitting(moment, lesson_id, minutes_here, device))
    sittings.sort(key=lambda s: (s.start, s.lesson_id))
    return sittings
