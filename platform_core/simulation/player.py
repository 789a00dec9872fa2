"""One learner playing lessons the way the learner-facing player reports it.

The player walks a learner's sittings in time order. For each video it emits the EVENTS.md stream (start,
play, heartbeats every few seconds of wall time at the learner's playback rate, pauses, seeks, buffering,
milestones, completion), syncs the session now and then (and on every pause, so another device resumes
where this one stopped), answers milestone questions through the backend and follows the platform's next
step: retry, seek back, jump to the remedial video and come back, or continue. Learners drop off, rewind,
skip ahead (where the video allows it), switch devices between sittings and come back days later.

Clock discipline: every event of a learner gets a strictly later ``occurred_at`` than the one before (at
least 1 ms), so the fold order ``(occurred_at, id)`` is the order the player meant, and every sync carries a
newer client time than the last.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, Final

from platform_core.simulation.answers import respond
from platform_core.simulation.backends import AttemptResult, Backend
from platform_core.simulation.content_plan import MilestonePlan, QuestionPlan, VideoPlan, new_id
from platform_core.simulation.learners import LearnerProfile, Sitting, p_correct
from platform_core.simulation.player_state import PlayerStats, QuestionState, Viewing

HEARTBEAT_SECONDS: Final = 10.0
SYNC_EVERY_TICKS: Final = 6
MAX_ENCOUNTERS: Final = 3
MAX_TRIES_WITHOUT_LIMIT: Final = 6
_TICK: Final = timedelta(milliseconds=1)
#: which experiment's variant an event carries in its context
_EXPERIMENT_OF: Final = {"question_attempt": "retry-hints", "milestone_reached": "retry-hints"}


class Player:
    """Simulates one learner; ``sink`` receives each event as a JSON-ready dict."""

    def __init__(
        self,
        *,
        profile: LearnerProfile,
        videos: dict[uuid.UUID, VideoPlan],
        lessons: dict[uuid.UUID, Sequence[uuid.UUID]],
        backend: Backend,
        sink: Callable[[dict[str, Any]], None],
        rng: random.Random,
        now: datetime,
        heartbeat_seconds: float = HEARTBEAT_SECONDS,
    ) -> None:
        self.profile = profile
        self.videos = videos
        self.lessons = lessons
        self.backend = backend
        self.sink = sink
        self.rng = rng
        self.now = now
        self.heartbeat = heartbeat_seconds
        self.stats = PlayerStats()
        self.clock = datetime.min.replace(tzinfo=now.tzinfo)
        self._last = self.clock
        self.questions: dict[uuid.UUID, QuestionState] = {}
        self.completed: set[uuid.UUID] = set()
        self.lessons_done: set[uuid.UUID] = set()
        self._device = profile.devices[0]
        self._last_device: dict[uuid.UUID, str] = {}
        self._context: dict[str, Any] = {}

    # ------------------------------------------------------------------------------------ plumbing
    def _emit(self, kind: str, data: dict[str, Any], session_id: uuid.UUID | None = None) -> None:
        at = max(self.clock, self._last + _TICK)
        self.clock = self._last = at
        context = dict(self._context)
        experiment = _EXPERIMENT_OF.get(kind, "speed-nudge" if kind.startswith("video_") else None)
        if experiment is not None and experiment in self.profile.variants:
            context["experiment"] = {"key": experiment, "variant": self.profile.variants[experiment]}
        event: dict[str, Any] = {
            "id": str(new_id(self.rng)),
            "type": kind,
            "occurred_at": at.isoformat(),
            "user_id": str(self.profile.student_id),
            "data": data,
            "context": context,
        }
        if session_id is not None:
            event["session_id"] = str(session_id)
        self.stats.events += 1
        self.sink(event)

    def _wait(self, seconds: float) -> None:
        self.clock += timedelta(seconds=seconds)

    def _sync(self, viewing: Viewing | None, video: VideoPlan, position: float, *, paused: bool) -> uuid.UUID:
        at = max(self.clock, self._last + _TICK)
        self.clock = self._last = at
        self.stats.syncs += 1
        self._last_device[video.id] = self._device.fingerprint
        state = {
            "playbackRate": viewing.rate if viewing else self.profile.playback_rate,
            "paused": paused,
            "captions": self.profile.captions,
        }
        return self.backend.sync(
            student_id=self.profile.student_id,
            video_id=video.id,
            position=round(min(position, video.duration), 3),
            client_at=at,
            device_fingerprint=self._device.fingerprint,
            device_info=self._device.info,
            state=state,
        )

    def _position(self, viewing: Viewing, kind: str, **extra: Any) -> None:
        data = {"video_id": str(viewing.video.id), "position": round(viewing.pos, 3), **extra}
        self._emit(kind, data, viewing.session_id)

    # ------------------------------------------------------------------------------------- sittings
    def run(self, sittings: Sequence[Sitting]) -> PlayerStats:
        """Play every sitting, each in its own backend unit of work (one transaction on the platform)."""
        for sitting in sittings:
            start = max(sitting.start, self.clock + timedelta(minutes=10))
            deadline = min(start + timedelta(minutes=sitting.minutes), self.now - timedelta(minutes=30))
            if deadline <= start + timedelta(minutes=2):
                continue
            with self.backend.sitting():
                self._sitting(sitting, start, deadline)
        return self.stats

    def _sitting(self, sitting: Sitting, start: datetime, deadline: datetime) -> None:
        self.stats.sittings += 1
        self.clock = start
        self._device = self.profile.devices[sitting.device]
        self._context = {
            "user_agent": self._device.user_agent,
            "app_version": self._device.app_version,
            "device": {"kind": self._device.kind, "fingerprint": self._device.fingerprint},
        }
        self._emit("login", {})
        self._emit("page_view", {"path": "/dashboard"})
        self._wait(self.rng.uniform(2, 20))
        lesson_path = f"/lessons/{sitting.lesson_id}"
        self._emit("click", {"target": "lesson-card", "path": "/dashboard"})
        self._emit("page_view", {"path": lesson_path, "referrer": "/dashboard"})
        order = list(self.lessons[sitting.lesson_id])
        todo = [v for v in order if v not in self.completed]
        revision = not todo
        if revision:
            todo = [self.rng.choice(order)]
        outcome = "completed"
        while todo and self.clock < deadline:
            self._wait(self.rng.uniform(2, 15))
            outcome = self._watch(self.videos[todo.pop(0)], sitting.lesson_id, deadline, from_start=revision)
            if outcome != "completed":
                break
            if todo:
                self._emit("click", {"target": "next-video", "path": lesson_path})
        if sitting.lesson_id not in self.lessons_done and all(v in self.completed for v in order):
            self.lessons_done.add(sitting.lesson_id)
            self.stats.lessons_completed += 1
            self._emit("lesson_complete", {"lesson_id": str(sitting.lesson_id)})
        if outcome == "dropped" and self.rng.random() < 0.5:
            timeout = self.clock + timedelta(minutes=30)
            if timeout < self.now:
                self.clock = timeout
                self._emit("session_timeout", {})
                return
        self._wait(self.rng.uniform(3, 60))
        if self.clock < self.now:
            self._emit("logout", {})

    # --------------------------------------------------------------------------------------- videos
    def _watch(
        self, video: VideoPlan, lesson_id: uuid.UUID, deadline: datetime, *, from_start: bool = False
    ) -> str:
        """Watch one video from where the platform says to resume; returns completed or dropped."""
        path = f"/lessons/{lesson_id}/videos/{video.id}"
        self._emit("page_view", {"path": path, "referrer": f"/lessons/{lesson_id}"})
        if self.rng.random() < 0.01:
            self._emit(
                "error_occurred",
                {
                    "code": self.rng.choice(["MEDIA_ERR_NETWORK", "503"]),
                    "message": "The video could not be loaded; retrying.",
                },
            )
            self._wait(self.rng.uniform(3, 10))
        load_ms = round(self.rng.lognormvariate(6.2 if self._device.kind == "desktop" else 6.8, 0.5), 1)
        self._emit("load_time", {"resource": f"/videos/{video.id}/master.m3u8", "ms": load_ms})
        self._wait(load_ms / 1000)
        resume = (
            0.0
            if from_start
            else self.backend.resume_position(student_id=self.profile.student_id, video_id=video.id)
        )
        if resume >= video.duration - 2:
            resume = 0.0
        previous_device = self._last_device.get(video.id)
        if resume > 0 and previous_device is not None and previous_device != self._device.fingerprint:
            self.stats.device_switches += 1
        session_id = self._sync(None, video, resume, paused=True)
        self._emit("video_start", {"video_id": str(video.id)}, session_id)
        rate = self.profile.playback_rate
        viewing = Viewing(video, path, session_id, resume, rate, resume)
        viewing.passed = {m.id for m in video.milestones if m.timestamp < resume - 1e-6}
        self._position(viewing, "video_play")
        drop_at = self._dropoff_point(viewing)
        while True:
            milestone = next(
                (
                    m
                    for m in video.milestones
                    if m.id not in viewing.passed and m.timestamp >= viewing.pos - 1e-6
                ),
                None,
            )
            stop = milestone.timestamp if milestone is not None else video.duration
            dropping = drop_at is not None and viewing.pos < drop_at < stop
            reason = self._play_until(viewing, drop_at if dropping else stop, deadline)
            if reason == "seeked":
                continue
            if reason == "deadline" or dropping:
                return self._drop(viewing)
            if milestone is None:
                viewing.pos = video.duration
                self._position(viewing, "video_complete")
                self._sync(viewing, video, video.duration, paused=True)
                self.completed.add(video.id)
                self.stats.videos_completed += 1
                return "completed"
            step = self._milestone(viewing, milestone)
            if step is not None and step.action == "jump" and isinstance(step.target, uuid.UUID):
                self.stats.jump_detours += 1
                remedial = self.videos.get(step.target)
                if (
                    remedial is not None
                    and self._watch(remedial, lesson_id, deadline + timedelta(minutes=5), from_start=True)
                    != "completed"
                ):
                    return "dropped"
                for question in milestone.questions:
                    self.questions.setdefault(question.id, QuestionState()).remediated = True
                self._emit(
                    "page_view", {"path": path, "referrer": f"/lessons/{lesson_id}/videos/{step.target}"}
                )
                self._emit("video_start", {"video_id": str(video.id)}, session_id)
                self._sync(viewing, video, viewing.pos, paused=False)
                self._position(viewing, "video_play")
                viewing.paused = False
                continue
            viewing.passed.add(milestone.id)
            if step is not None and step.action == "seek" and isinstance(step.target, float | int):
                self.stats.seek_detours += 1
                self._seek(viewing, float(step.target))
                self._sync(viewing, video, viewing.pos, paused=False)
            if viewing.paused:
                self._position(viewing, "video_play")
                viewing.paused = False

    def _dropoff_point(self, viewing: Viewing) -> float | None:
        p = 0.05 + 0.2 * (1 - self.profile.focus) + 0.08 * (1 - self.profile.diligence)
        remaining = viewing.video.duration - viewing.pos
        if remaining < 20 or self.rng.random() > p:
            return None
        return viewing.pos + remaining * self.rng.betavariate(1.3, 2.0) * 0.95

    def _drop(self, viewing: Viewing) -> str:
        self._position(viewing, "video_pause")
        self._sync(viewing, viewing.video, viewing.pos, paused=True)
        self.stats.dropoffs += 1
        return "dropped"

    def _seek(self, viewing: Viewing, target: float) -> None:
        target = max(0.0, min(target, viewing.video.duration))
        self._emit(
            "video_seek",
            {"video_id": str(viewing.video.id), "from": round(viewing.pos, 3), "to": round(target, 3)},
            viewing.session_id,
        )
        viewing.pos = target
        viewing.passed = {m for m in viewing.passed if self._milestone_at(viewing.video, m) < target - 1e-6}

    @staticmethod
    def _milestone_at(video: VideoPlan, milestone_id: uuid.UUID) -> float:
        return next(m.timestamp for m in video.milestones if m.id == milestone_id)

    def _play_until(self, viewing: Viewing, stop: float, deadline: datetime) -> str:
        """Play to ``stop`` in heartbeats; may end early at the deadline or after a rewind/skip."""
        video, rng, profile = viewing.video, self.rng, self.profile
        while viewing.pos < stop - 1e-9:
            if self.clock >= deadline and (video.duration - viewing.pos) > 45:
                return "deadline"
            target = min(stop, viewing.pos + self.heartbeat * viewing.rate)
            self._wait((target - viewing.pos) / viewing.rate)
            viewing.pos = target
            viewing.furthest = max(viewing.furthest, target)
            if target >= stop - 1e-9:
                return "reached"
            self._position(viewing, "video_progress", playback_rate=viewing.rate)
            viewing.ticks += 1
            if viewing.ticks % SYNC_EVERY_TICKS == 0:
                self._sync(viewing, video, viewing.pos, paused=False)
            roll = rng.random()
            if roll < (0.004 if self._device.kind == "desktop" else 0.015):
                ms = round(rng.lognormvariate(7.0, 0.6), 1)
                self._emit("buffering", {"video_id": str(video.id), "ms": ms}, viewing.session_id)
                self._wait(ms / 1000)
            elif roll < 0.02 + 0.012 * (1 - profile.focus):
                self._pause_break(viewing)
            elif roll < 0.03 + 0.01 * profile.rewatcher and viewing.pos > 20:
                self.stats.rewinds += 1
                self._seek(viewing, viewing.pos - rng.uniform(10, 45))
                self._position(viewing, "video_play")
                return "seeked"
            elif roll > 1 - 0.006 * profile.skipper and video.prevent_skipping != "both":
                limit = min(stop - 2, video.duration - 5)
                if video.prevent_skipping == "forward":
                    limit = min(limit, viewing.furthest)
                jump_to = min(viewing.pos + rng.uniform(15, 90), limit)
                if jump_to > viewing.pos + 5:
                    self.stats.skips += 1
                    self._seek(viewing, jump_to)
                    self._position(viewing, "video_play")
                    return "seeked"
        return "reached"

    def _pause_break(self, viewing: Viewing) -> None:
        viewing.pauses += 1
        self._position(viewing, "video_pause")
        self._sync(viewing, viewing.video, viewing.pos, paused=True)
        self._wait(self.rng.uniform(8, 240))
        nudged = self.profile.variants.get("speed-nudge") == "nudge"
        if nudged and viewing.pauses >= 2 and viewing.rate < 1.25 and self.rng.random() < 0.5:
            viewing.rate = 1.25
            self._emit("click", {"target": "speed-1.25x", "path": viewing.path})
        self._position(viewing, "video_play")

    # ----------------------------------------------------------------------------------- milestones
    def _resolved(self, question: QuestionPlan) -> bool:
        state = self.questions.get(question.id)
        if state is None:
            return False
        limit = question.max_attempts or MAX_TRIES_WITHOUT_LIMIT
        return state.correct or state.attempts >= limit

    def _milestone(self, viewing: Viewing, milestone: MilestonePlan) -> AttemptResult | None:
        """Reach a milestone and answer its open questions; returns the step that leaves it (or None)."""
        video = viewing.video
        viewing.pos = milestone.timestamp
        self._emit(
            "milestone_reached",
            {
                "video_id": str(video.id),
                "milestone_id": str(milestone.id),
                "position": round(milestone.timestamp, 3),
            },
            viewing.session_id,
        )
        open_questions = [q for q in milestone.questions if not self._resolved(q)]
        count = viewing.encounters.get(milestone.id, 0)
        overlay = not milestone.settings.get("pause", True)
        if not open_questions or count >= MAX_ENCOUNTERS or (overlay and self.rng.random() < 0.4):
            return None
        viewing.encounters[milestone.id] = count + 1
        if not overlay:
            self._position(viewing, "video_pause")
            self._sync(viewing, video, viewing.pos, paused=True)
            viewing.paused = True
        for question in open_questions:
            result = self._answer(viewing, milestone, question)
            if result is not None and result.action in ("seek", "jump"):
                return result
        return None

    def _answer(
        self, viewing: Viewing, milestone: MilestonePlan, question: QuestionPlan
    ) -> AttemptResult | None:
        state = self.questions.setdefault(question.id, QuestionState())
        hinted = self.profile.variants.get("retry-hints") == "hints"
        result: AttemptResult | None = None
        while not self._resolved(question):
            think = (
                self.rng.uniform(6, 40) * (1 + question.difficulty)
                if state.attempts == 0
                else self.rng.uniform(4, 20)
            )
            self._wait(think)
            chance = p_correct(
                self.profile,
                question.difficulty,
                attempt=state.attempts + 1,
                remediated=state.remediated,
                hinted=hinted,
            )
            response = respond(self.rng, question.type, question.data, correct=self.rng.random() < chance)
            at = max(self.clock, self._last + _TICK)
            self.clock = self._last = at
            result = self.backend.submit(
                student_id=self.profile.student_id,
                question=question,
                milestone=milestone,
                response=response,
                time_spent_ms=int(think * 1000),
                session_id=viewing.session_id,
                submitted_at=at,
            )
            state.attempts += 1
            state.correct = state.correct or result.is_correct
            self.stats.attempts += 1
            self.stats.correct_attempts += int(result.is_correct)
            self._emit(
                "question_attempt",
                {"question_id": str(question.id), "attempt_id": str(result.attempt_id)},
                viewing.session_id,
            )
            self._wait(self.rng.uniform(2, 8))
            if result.action != "retry":
                return result
        return result
