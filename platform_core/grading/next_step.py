"""What the player does after a graded answer at a milestone (EVENTS.md, after H5P adaptivity).

Pure: milestone settings + whether the answer was fully correct + attempts left -> :class:`NextStep`.

- A fully correct answer follows ``onCorrect``.
- A wrong (or partly right) answer at a milestone with ``requireCorrect`` asks for a ``retry`` while the
  question has attempts left (``None`` = unlimited); the ``onWrong`` message, if any, is shown with it.
- Otherwise (no ``requireCorrect``, or no attempts left) the answer follows ``onWrong``, so a learner who
  used up every attempt is never stuck at the milestone.

A ``seek`` or ``jump`` taken on the ``onWrong`` branch is a *remedial detour*; progress counts them. The
branch an attempt took can always be derived again from the stored attempt (``is_correct``,
``attempt_number``, the question's ``maxAttempts``) and the milestone's settings with this function, which
is what branch analytics use.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from platform_core.content.schemas import Branch, MilestoneSettings
from platform_core.validation import validate_as

__all__ = ["BranchName", "NextAction", "NextStep", "decide_next_step", "milestone_settings"]

NextAction = Literal["continue", "seek", "jump", "retry"]
BranchName = Literal["onCorrect", "onWrong"]


class NextStep(BaseModel):
    """The player's next move. ``target`` is seconds for ``seek``, a video id for ``jump``, else None."""

    model_config = ConfigDict(frozen=True)

    action: NextAction
    target: float | uuid.UUID | None = None
    message: str | None = None
    branch: BranchName | None = None

    @property
    def is_detour(self) -> bool:
        """A remedial detour: the wrong-answer branch sends the learner elsewhere (seek back or jump)."""
        return self.branch == "onWrong" and self.action in ("seek", "jump")


def milestone_settings(settings: MilestoneSettings | Mapping[str, Any] | None) -> MilestoneSettings:
    """Validated settings; stored JSONB is checked again (a bad document names its field)."""
    if isinstance(settings, MilestoneSettings):
        return settings
    return validate_as(MilestoneSettings, dict(settings or {}), root="milestone.settings")


def _follow(branch: Branch, name: BranchName) -> NextStep:
    return NextStep(action=branch.action, target=branch.to, message=branch.message, branch=name)


def _retry_message(branch: Branch, attempts_left: int | None) -> str:
    if branch.message:
        return branch.message
    if attempts_left is None:
        return "Not quite right: try again."
    plural = "attempt" if attempts_left == 1 else "attempts"
    return f"Not quite right: try again ({attempts_left} {plural} left)."


def decide_next_step(
    settings: MilestoneSettings | Mapping[str, Any] | None,
    *,
    is_correct: bool,
    attempts_left: int | None,
) -> NextStep:
    """The next step after an answer; ``attempts_left`` counts the tries still allowed after this one."""
    if attempts_left is not None and attempts_left < 0:
        raise ValueError("attempts_left: must be >= 0 or None (unlimited)")
    rules = milestone_settings(settings)
    if is_correct:
        return _follow(rules.on_correct, "onCorrect")
    if rules.require_correct and (attempts_left is None or attempts_left > 0):
        return NextStep(action="retry", message=_retry_message(rules.on_wrong, attempts_left))
    return _follow(rules.on_wrong, "onWrong")
