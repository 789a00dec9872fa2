"""The seed plan (pure): valid content of every type, plausible transcripts, deterministic ids."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime

import pytest

from platform_core.content.schemas import MilestoneSettings
from platform_core.content.videos import normalise_transcript
from platform_core.grading import QUESTION_TYPES as GRADED_TYPES
from platform_core.grading import grade_response, validate_question_data
from platform_core.simulation.answers import respond
from platform_core.simulation.content_plan import SCALES, plan_tenant
from platform_core.simulation.questions import QUESTION_TYPES, build_question
from platform_core.simulation.topics import TOPICS
from platform_core.validation import validate_as

NOW = datetime(2026, 3, 2, 18, 0, tzinfo=UTC)


def _plan(seed: int = 5, scale: str = "small", index: int = 0):
    return plan_tenant(seed, SCALES[scale], index, now=NOW, slug="t")


@pytest.mark.parametrize("topic", TOPICS, ids=lambda t: t.key)
@pytest.mark.parametrize("kind", QUESTION_TYPES)
def test_every_topic_builds_answerable_questions_of_every_type(topic, kind) -> None:
    rng = random.Random(f"{topic.key}:{kind}")
    counters: dict[str, int] = {}
    for _ in range(3):
        question = build_question(rng, topic, kind, counters)
        validate_question_data(kind, question.data)
        for _ in range(6):
            right = respond(rng, kind, question.data, correct=True)
            assert grade_response(kind, question.data, right).fraction == 1.0, right
            wrong = respond(rng, kind, question.data, correct=False)
            assert grade_response(kind, question.data, wrong).fraction < 1.0, wrong


def test_the_simulator_covers_every_gradable_type() -> None:
    assert set(QUESTION_TYPES) == set(GRADED_TYPES)


def test_small_plan_has_the_promised_shape() -> None:
    plan = _plan()
    assert (len(plan.teachers), len(plan.classes), len(plan.students), len(plan.lessons)) == (2, 3, 60, 3)
    assert {lesson.subject for lesson in plan.lessons} == {"science", "maths", "history"}
    for lesson in plan.lessons:
        assert 3 <= len(lesson.video_ids) <= 4
        kinds = {q.type for v in lesson.video_ids for m in plan.videos[v].milestones for q in m.questions}
        assert kinds == set(QUESTION_TYPES), "every lesson asks every type of question"
    assert sorted(i for c in plan.classes for i in c.student_indexes) == list(range(60))
    assert len({p.email for p in [*plan.admins, *plan.teachers, *plan.students]}) == 64
    # Remedial videos are reachable: every jump goes to a recap video of the plan.
    remedial = {v.id for v in plan.videos.values() if v.remedial}
    jumps = [m.settings["onWrong"]["to"] for v in plan.videos.values() for m in v.milestones
             if m.settings.get("onWrong", {}).get("action") == "jump"]  # fmt: skip
    assert jumps and {str(r) for r in remedial} >= set(jumps)
    # The extra-help lesson reuses the first video of each lesson.
    reused = {v for g in plan.extra_lesson.groups for v in g.video_ids} - remedial
    assert reused == {lesson.video_ids[0] for lesson in plan.lessons}


def test_videos_milestones_and_settings_are_valid() -> None:
    plan = _plan(seed=11, scale="medium")
    behaviours = Counter()
    for video in plan.videos.values():
        cues = normalise_transcript(video.transcript, video.duration)
        assert cues and cues[-1]["end"] < video.duration
        assert all(len(c["text"].split()) <= 12 for c in cues)
        for milestone in video.milestones:
            assert 0 <= milestone.timestamp <= video.duration
            settings = validate_as(MilestoneSettings, milestone.settings)
            behaviours[(settings.require_correct, settings.on_wrong.action, settings.pause)] += 1
            if settings.on_wrong.action == "seek":
                assert 0 <= settings.on_wrong.to < milestone.timestamp
            assert milestone.questions
            for question in milestone.questions:
                if settings.require_correct:
                    assert question.max_attempts == 3, "requireCorrect milestones cap retries"
    assert len(behaviours) >= 4, behaviours


def test_plans_are_deterministic_and_seed_specific() -> None:
    first, again, other = _plan(seed=42), _plan(seed=42), _plan(seed=43)
    ids = lambda p: (  # noqa: E731
        [x.id for x in p.students],
        [lesson.id for lesson in p.lessons],
        sorted(p.videos),
        [m.id for v in p.videos.values() for m in v.milestones],
        [q.id for q in p.questions()],
        [c.id for c in p.classes],
    )
    assert ids(first) == ids(again)
    assert [v.transcript for v in first.videos.values()] == [v.transcript for v in again.videos.values()]
    assert ids(first)[0] != ids(other)[0]
    assert ids(first)[0] != ids(_plan(seed=42, index=1))[0], "tenants of one run differ"


def test_assignments_span_the_weeks_and_the_last_is_due_soon() -> None:
    plan = _plan()
    for klass in plan.classes:
        assigned = [a.assigned_at for a in klass.assignments]
        assert assigned == sorted(assigned) and assigned[0] >= plan.start
        assert all(a.due_at > a.assigned_at for a in klass.assignments)
        assert klass.assignments[-1].due_at > NOW, "one lesson is still open"
