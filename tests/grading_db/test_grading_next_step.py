"""Next steps after an answer (requireCorrect, onCorrect/onWrong branches) and remedial detours."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from platform_core.activity.details import ProgressDetails
from platform_core.activity.milestones import record_milestone_answer
from platform_core.grading.attempts import submit_attempt
from platform_core.grading.next_step import NextStep, decide_next_step
from platform_core.models import StudentProgress
from platform_core.validation import InvalidInput

from .conftest import World

REMEDIAL = uuid.UUID("6b1f0e7e-8f0c-4a0a-9d5d-1d2f3e4a5b6c")
BRANCHING = {
    "onCorrect": {"action": "seek", "to": 95, "message": "Well done, skipping the recap"},
    "onWrong": {"action": "jump", "to": str(REMEDIAL), "message": "Watch the remedial video"},
}


# --- the pure decision ---------------------------------------------------------------------------------


@pytest.mark.parametrize("attempts_left", [None, 0, 2])
def test_correct_answer_follows_on_correct(attempts_left) -> None:
    step = decide_next_step(BRANCHING, is_correct=True, attempts_left=attempts_left)
    assert step == NextStep(
        action="seek", target=95.0, message="Well done, skipping the recap", branch="onCorrect"
    )
    assert not step.is_detour


def test_wrong_answer_follows_on_wrong() -> None:
    step = decide_next_step(BRANCHING, is_correct=False, attempts_left=3)
    assert (step.action, step.target, step.branch) == ("jump", REMEDIAL, "onWrong")
    assert step.message == "Watch the remedial video"
    assert step.is_detour


def test_defaults_continue_both_ways() -> None:
    assert decide_next_step({}, is_correct=False, attempts_left=None) == NextStep(
        action="continue", branch="onWrong"
    )
    assert decide_next_step(None, is_correct=True, attempts_left=None) == NextStep(
        action="continue", branch="onCorrect"
    )
    assert not decide_next_step({}, is_correct=False, attempts_left=None).is_detour


@pytest.mark.parametrize(
    ("attempts_left", "message"),
    [
        (2, "Not quite right: try again (2 attempts left)."),
        (1, "Not quite right: try again (1 attempt left)."),
        (None, "Not quite right: try again."),
    ],
)
def test_require_correct_retries_while_attempts_remain(attempts_left, message) -> None:
    settings = {"requireCorrect": True, "onWrong": {"action": "seek", "to": 12.5}}
    step = decide_next_step(settings, is_correct=False, attempts_left=attempts_left)
    assert step == NextStep(action="retry", message=message)
    assert step.branch is None and not step.is_detour
    with_message = {**settings, "onWrong": {"action": "seek", "to": 12.5, "message": "Think again"}}
    assert (
        decide_next_step(with_message, is_correct=False, attempts_left=attempts_left).message == "Think again"
    )


def test_require_correct_follows_on_wrong_when_attempts_are_exhausted() -> None:
    settings = {"requireCorrect": True, "onWrong": {"action": "seek", "to": 12.5}}
    step = decide_next_step(settings, is_correct=False, attempts_left=0)
    assert (step.action, step.target, step.branch, step.is_detour) == ("seek", 12.5, "onWrong", True)


def test_bad_settings_and_arguments_are_named() -> None:
    with pytest.raises(InvalidInput) as info:
        decide_next_step({"onWrong": {"action": "seek"}}, is_correct=False, attempts_left=None)
    assert info.value.field.startswith("milestone.settings.onWrong")
    with pytest.raises(InvalidInput) as info:
        decide_next_step({"requireCorect": True}, is_correct=False, attempts_left=None)
    assert info.value.field == "milestone.settings.requireCorect"
    with pytest.raises(ValueError, match="attempts_left"):
        decide_next_step({}, is_correct=False, attempts_left=-1)


# --- through submit_attempt: progress details and detours ----------------------------------------------


def _progress(world: World, student, video) -> StudentProgress | None:
    with world.session() as s:
        return s.scalars(
            select(StudentProgress).where(
                StudentProgress.student_id == student, StudentProgress.video_id == video
            )
        ).one_or_none()


def _submit(world: World, student, question, response, **kwargs):
    with world.session() as s:
        return submit_attempt(s, student_id=student, question_id=question, response=response, **kwargs)


def test_branches_and_detours_are_recorded(world: World) -> None:
    video = world.video(completion_threshold=0.8)
    remedial = world.video("remedial")
    settings = {
        "onCorrect": {"action": "continue", "message": "Right"},
        "onWrong": {"action": "jump", "to": str(remedial), "message": "Watch this first"},
    }
    milestone = world.milestone(video, settings)
    question = world.question(video, milestone_id=milestone)
    student = world.student()
    when = datetime(2026, 2, 3, 10, 0, tzinfo=UTC)

    wrong = _submit(world, student, question, False, submitted_at=when)
    assert wrong.next_step == NextStep(
        action="jump", target=remedial, message="Watch this first", branch="onWrong"
    )
    progress = _progress(world, student, video)
    assert progress is not None
    assert progress.completion_threshold == 0.8  # created with the video's threshold
    assert progress.remedial_detours == 1
    entry = ProgressDetails.model_validate(progress.milestone_details).milestones[milestone]
    assert (entry.answered, entry.correct, entry.best_fraction, entry.branch, entry.detours) == (
        1, False, 0.0, "onWrong", 1,
    )  # fmt: skip
    assert entry.reached_at == when

    right = _submit(world, student, question, True)
    assert right.next_step == NextStep(action="continue", message="Right", branch="onCorrect")
    progress = _progress(world, student, video)
    entry = ProgressDetails.model_validate(progress.milestone_details).milestones[milestone]
    assert (entry.answered, entry.correct, entry.best_fraction, entry.branch, entry.detours) == (
        2, True, 1.0, "onCorrect", 1,
    )  # fmt: skip
    assert entry.reached_at == when  # kept
    assert progress.remedial_detours == 1


def test_require_correct_retries_then_detours(world: World) -> None:
    video = world.video()
    settings = {"requireCorrect": True, "onWrong": {"action": "seek", "to": 40, "message": "Rewatch"}}
    milestone = world.milestone(video, settings, at=60)
    question = world.question(video, milestone_id=milestone, max_attempts=3)
    student = world.student()
    steps = [_submit(world, student, question, False).next_step for _ in range(3)]
    assert [s.action for s in steps] == ["retry", "retry", "seek"]
    assert steps[0].message == "Rewatch" and steps[2].target == 40.0
    progress = _progress(world, student, video)
    entry = progress.milestone_details["milestones"][str(milestone)]
    assert (entry["answered"], entry["branch"], entry["detours"]) == (3, "onWrong", 1)
    assert progress.remedial_detours == 1


def test_only_milestone_columns_are_touched(world: World) -> None:
    video = world.video()
    first = world.milestone(video, {"onWrong": {"action": "seek", "to": 1}}, at=10)
    second = world.milestone(video, {}, at=20)
    question = world.question(video, milestone_id=first)
    student = world.student()
    reached = "2026-01-05T08:00:00Z"
    with world.session() as s:
        row = StudentProgress(
            tenant_id=world.tenant_id,
            student_id=student,
            video_id=video,
            watched_segments=[[0, 50]],
            watched_seconds=50.0,
            coverage=0.2,
            last_position_seconds=50.0,
            remedial_detours=4,
            milestone_details={
                "milestones": {
                    str(first): {"reachedAt": reached, "answered": 0},
                    str(second): {"reachedAt": reached, "answered": 1, "correct": True},
                }
            },
        )
        s.add(row)
    before = _progress(world, student, video)
    _submit(world, student, question, False)
    after = _progress(world, student, video)
    for attribute in StudentProgress.__mapper__.column_attrs:
        if attribute.key not in ("milestone_details", "remedial_detours"):
            assert getattr(after, attribute.key) == getattr(before, attribute.key), attribute.key
    assert after.remedial_detours == 5
    details = ProgressDetails.model_validate(after.milestone_details)
    assert details.milestones[second].answered == 1  # another milestone's entry is kept
    assert details.milestones[first].answered == 1
    assert details.milestones[first].reached_at == datetime(2026, 1, 5, 8, tzinfo=UTC)


def test_questions_without_milestone_leave_progress_alone(world: World) -> None:
    video = world.video()
    question = world.question(video)
    student = world.student()
    outcome = _submit(world, student, question, False)
    assert outcome.next_step == NextStep(action="continue", branch="onWrong")
    assert _progress(world, student, video) is None


def test_record_milestone_answer_validates(world: World) -> None:
    video = world.video()
    milestone = world.milestone(video)
    student = world.student()
    with world.session() as s:
        with pytest.raises(InvalidInput, match="branch"):
            record_milestone_answer(
                s, student_id=student, video_id=video, milestone_id=milestone, fraction=1, is_correct=True,
                branch="sideways",  # type: ignore[arg-type]
            )  # fmt: skip
        with pytest.raises(InvalidInput, match="between 0 and 1"):
            record_milestone_answer(
                s, student_id=student, video_id=video, milestone_id=milestone, fraction=1.5, is_correct=True,
                branch="onCorrect",
            )  # fmt: skip
        with pytest.raises(InvalidInput, match="no video"):
            record_milestone_answer(
                s,
                student_id=student,
                video_id=uuid.uuid4(),
                milestone_id=milestone,
                fraction=1,
                is_correct=True,
                branch="onCorrect",
            )
        entry = record_milestone_answer(
            s, student_id=student, video_id=video, milestone_id=milestone, fraction=0.5, is_correct=False,
            branch=None,
        )  # fmt: skip
    assert (entry.answered, entry.best_fraction, entry.branch, entry.detours) == (1, 0.5, None, 0)
