"""Lesson grades: grading methods, overrides, letter scales, breakdown, incremental == recompute."""

from __future__ import annotations

import math
import random
import threading
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select, update

from platform_core.cli.grading import recompute_grades
from platform_core.grading import InvalidResponse, final_fraction
from platform_core.grading.attempts import AttemptLimitReached, submit_attempt
from platform_core.grading.breakdown import GradeBreakdown
from platform_core.grading.lesson_grades import (
    compute_lesson_grade,
    effective_grading_method,
    recompute_lesson_grade,
    refresh_lesson_grade,
)
from platform_core.grading.lesson_structure import lesson_structure
from platform_core.models import Lesson, Question, QuestionAttempt, Tenant
from platform_core.validation import InvalidInput

from .conftest import CHOICE, SHORT, World

# Responses to CHOICE and their fractions: c = 0, b = 0.5, a = 1.
SEQUENCE = ["c", "b", "a", "c"]
EXPECTED = {"penalized": 1 / 3, "highest": 1.0, "average": 0.375, "first": 0.0, "last": 0.0}


def _submit(world: World, student, question, response):
    with world.session() as s:
        return submit_attempt(s, student_id=student, question_id=question, response=response)


@pytest.mark.parametrize("method", sorted(EXPECTED))
def test_each_grading_method_end_to_end(make_world, method: str) -> None:
    world = make_world({"gradingMethod": method})
    video = world.video()
    lesson = world.lesson([[video]])
    question = world.question(video, type="multiple_choice", data=CHOICE, points=2, position=0)
    world.question(video, points=2, position=1)  # never answered: 0 of 2
    student = world.student()
    for response in SEQUENCE:
        outcome = _submit(world, student, question, response)
    assert outcome.grading_method == method
    assert outcome.question_final_fraction == pytest.approx(EXPECTED[method])
    [lesson_update] = outcome.lessons
    assert lesson_update.lesson_id == lesson and lesson_update.grading_method == method

    grade = world.grade(student, lesson)
    assert grade is not None
    assert grade.grading_method == method
    assert grade.possible_points == 4.0
    assert grade.earned_points == pytest.approx(2 * EXPECTED[method])
    assert grade.percentage == pytest.approx(EXPECTED[method] * 50)
    assert grade.attempts_count == 4
    breakdown = GradeBreakdown.model_validate(grade.breakdown)
    assert breakdown.method == method
    [entry, unanswered] = breakdown.videos[0].questions
    assert (entry.question_id, entry.attempts) == (question, 4)
    assert entry.fraction == pytest.approx(EXPECTED[method])
    assert (unanswered.attempts, unanswered.points_earned, unanswered.points_possible) == (0, 0.0, 2.0)


def test_lesson_override_of_the_method(make_world) -> None:
    world = make_world({"gradingMethod": "highest"})
    video = world.video()
    plain = world.lesson([[video]], title="uses the tenant default")
    strict = world.lesson([[video]], grading_method="first", title="override")
    question = world.question(video, type="multiple_choice", data=CHOICE)
    student = world.student()
    for response in SEQUENCE:
        outcome = _submit(world, student, question, response)
    by_lesson = {u.lesson_id: u for u in outcome.lessons}
    assert (by_lesson[plain].grading_method, by_lesson[plain].question_final_fraction) == ("highest", 1.0)
    assert (by_lesson[strict].grading_method, by_lesson[strict].question_final_fraction) == ("first", 0.0)
    # The lessons disagree, so the outcome reports the tenant's default.
    assert (outcome.grading_method, outcome.question_final_fraction) == ("highest", 1.0)
    assert (world.grade(student, plain).percentage, world.grade(student, strict).percentage) == (100.0, 0.0)
    with world.session() as s:
        assert effective_grading_method(s, lesson_id=strict) == "first"
        assert effective_grading_method(s, lesson_id=plain) == "highest"
        with pytest.raises(InvalidInput, match="no lesson"):
            effective_grading_method(s, lesson_id=uuid.uuid4())


def test_tenant_letter_scale(make_world) -> None:
    scale = [
        {"letter": "Merit", "minPercent": 75},
        {"letter": "Pass", "minPercent": 50},
        {"letter": "Fail", "minPercent": 0},
    ]
    world = make_world({"letterScale": scale})
    video = world.video()
    lesson = world.lesson([[video]])
    questions = [world.question(video, position=i) for i in range(4)]
    student = world.student()
    letters = []
    for question in questions:
        _submit(world, student, question, True)
        letters.append(world.grade(student, lesson).letter)
    assert letters == ["Fail", "Pass", "Merit", "Merit"]  # 25, 50, 75, 100 percent
    default_world = make_world()
    v = default_world.video()
    default_lesson = default_world.lesson([[v]])
    qs = [default_world.question(v, position=i) for i in range(4)]
    other = default_world.student()
    for q in qs[:3]:
        _submit(default_world, other, q, True)
    assert default_world.grade(other, default_lesson).letter == "C"  # 75 % on the default scale (C from 73)


def test_breakdown_follows_the_lesson_structure(world: World) -> None:
    first, second, third = world.video("one"), world.video("two"), world.video("three")
    # Two groups; the first video appears again in the second group and counts once, at its first place.
    lesson = world.lesson([[second, first], [third, first]])
    q_second = world.question(second, points=3)
    q_first_b = world.question(first, points=1, position=2)
    q_first_a = world.question(first, points=2, position=1)
    world.question(first, status="draft")  # not gradable: not in the grade
    world.question(third, status="pending_review")
    student = world.student()
    _submit(world, student, q_first_a, True)
    grade = world.grade(student, lesson)
    breakdown = GradeBreakdown.model_validate(grade.breakdown)
    assert [v.video_id for v in breakdown.videos] == [second, first, third]
    assert [[q.question_id for q in v.questions] for v in breakdown.videos] == [
        [q_second],
        [q_first_a, q_first_b],
        [],
    ]
    assert [(v.points_possible, v.points_earned) for v in breakdown.videos] == [(3, 0), (3, 2), (0, 0)]
    assert (grade.earned_points, grade.possible_points, grade.attempts_count) == (2.0, 6.0, 1)
    with world.session() as s:
        structure = lesson_structure(s, lesson)
    assert [v for v, _ in structure.videos] == [second, first, third]


def test_patch_and_fallbacks(make_world) -> None:
    world = make_world({"gradingMethod": "penalized"})
    video = world.video()
    lesson = world.lesson([[video]])
    q1 = world.question(video, position=0)
    student = world.student()
    assert _submit(world, student, q1, False).lessons[0].recomputed  # no row yet
    assert not _submit(world, student, q1, False).lessons[0].recomputed  # patched

    # Content changes: a newly published question must count at once, even for an attempt at another one.
    q2 = world.question(video, points=3, position=1)
    outcome = _submit(world, student, q1, True)
    assert outcome.lessons[0].recomputed
    assert outcome.lessons[0].possible_points == 4.0
    # Points edited: the breakdown no longer matches, so the next attempt recomputes.
    with world.session() as s:
        s.execute(update(Question).where(Question.id == q2).values(points=5))
    assert _submit(world, student, q1, True).lessons[0].possible_points == 6.0
    # The tenant changes its default method: recomputed with the new one.
    with world.session() as s:
        s.execute(
            update(Tenant).where(Tenant.id == world.tenant_id).values(settings={"gradingMethod": "last"})
        )
    outcome = _submit(world, student, q1, False)
    assert outcome.lessons[0].recomputed and outcome.lessons[0].grading_method == "last"
    grade = world.grade(student, lesson)
    assert (grade.grading_method, grade.earned_points, grade.attempts_count) == ("last", 0.0, 5)
    with world.session() as s:
        assert compute_lesson_grade(s, student_id=student, lesson_id=lesson).same_as(grade)


def test_recompute_creates_and_reports_changes(world: World) -> None:
    video = world.video()
    lesson = world.lesson([[video]])
    question = world.question(video, points=2)
    student = world.student()
    with world.session() as s:
        grade = recompute_lesson_grade(s, student_id=student, lesson_id=lesson)
    assert (grade.earned_points, grade.possible_points, grade.percentage, grade.letter) == (
        0.0,
        2.0,
        0.0,
        "F",
    )
    for answer in (False, True):
        _submit(world, student, question, answer)
    with world.session() as s:
        assert refresh_lesson_grade(s, student_id=student, lesson_id=lesson)[1] == "unchanged"
    # A penalty edit is invisible in the breakdown: only a recompute picks it up.
    with world.session() as s:
        s.execute(update(Question).where(Question.id == question).values(penalty=0.5))
    with world.session() as s:
        grade, change = refresh_lesson_grade(s, student_id=student, lesson_id=lesson)
    assert change == "changed" and grade.earned_points == 1.0
    with world.session() as s:
        assert refresh_lesson_grade(s, student_id=student, lesson_id=lesson)[1] == "unchanged"
    with world.session() as s, pytest.raises(InvalidInput, match="no lesson"):
        recompute_lesson_grade(s, student_id=student, lesson_id=uuid.uuid4())


# --- incremental == recompute, under concurrent submissions ------------------------------------------

RESPONSES = {
    "true_false": [True, False],
    "multiple_choice": ["a", "b", "c", "zz"],  # "zz" is malformed: refused, nothing stored
    "short_answer": ["Paris", "paris", "Parma", "Lyon"],
    "numeric": ["3.14", "3,2", 3, "x"],
    "matching": [{"p1": "A", "p2": "B"}, {"p1": "B", "p2": "A"}, {"p1": "A"}],
    "ordering": [["i1", "i2", "i3"], ["i3", "i2", "i1"], ["i2", "i1", "i3"]],
}
DATA = {
    "true_false": {"correctAnswer": True},
    "multiple_choice": CHOICE,
    "short_answer": SHORT,
    "numeric": {
        "answers": [{"value": 3.14, "tolerance": 0.01}, {"value": 3.14, "tolerance": 0.1, "fraction": 0.5}]
    },
    "matching": {
        "pairs": [{"id": "p1", "prompt": "1", "answer": "A"}, {"id": "p2", "prompt": "2", "answer": "B"}]
    },
    "ordering": {"items": [{"id": f"i{k}", "text": str(k)} for k in (1, 2, 3)]},
}


@pytest.mark.slow
@pytest.mark.parametrize("seed", [20260301, 7])
def test_incremental_grades_equal_recomputed_ones(make_world, seed: int) -> None:
    rng = random.Random(seed)
    world = make_world({"gradingMethod": "penalized"})
    v = [world.video(f"v{i}") for i in range(6)]
    lessons = [
        world.lesson([[v[0], v[1]], [v[2]]]),
        world.lesson([[v[1], v[3]]]),  # shares v1 with the first lesson
        world.lesson([[v[2], v[0]], [v[3], v[0]]], grading_method="average"),  # v0 listed twice
        world.lesson([[v[4]]], grading_method="highest"),
        world.lesson([[v[4], v[1]]], grading_method="first"),
    ]
    milestone = world.milestone(v[1], {"requireCorrect": True, "onWrong": {"action": "seek", "to": 3}})
    questions = []
    types = list(DATA)
    for index in range(16):
        kind = types[index % len(types)]
        video = v[index % 6]  # v5 is in no lesson
        questions.append(
            (
                world.question(
                    video,
                    type=kind,
                    data=DATA[kind],
                    points=rng.choice([1, 2, 2.5, 5]),
                    penalty=rng.choice([0, 0.25, 1 / 3, 0.5]),
                    max_attempts=rng.choice([None, 1, 2, 3]),
                    position=rng.randrange(3),
                    milestone_id=milestone if video == v[1] and index % 2 else None,
                ),
                kind,
            )
        )
    world.question(v[0], status="draft")
    students = [world.student() for _ in range(4)]
    plan = [(rng.choice(students), *rng.choice(questions)) for _ in range(160)]

    def one(step):
        student, question, kind = step
        try:
            outcome = _submit(world, student, question, rng.choice(RESPONSES[kind]))
        except (AttemptLimitReached, InvalidResponse) as exc:
            return type(exc).__name__
        return outcome

    # Recomputes of the whole tenant run alongside the submissions: same locks, same order, no deadlock.
    done = threading.Event()

    def recompute_meanwhile() -> int:
        rounds = 0
        while not done.is_set():
            recompute_grades(world.tenant_id, batch_size=3)
            rounds += 1
        return rounds

    with ThreadPoolExecutor(max_workers=5) as pool:
        recomputing = pool.submit(recompute_meanwhile)
        try:
            results = list(pool.map(one, plan))
        finally:
            done.set()
        assert recomputing.result() >= 1
    outcomes = [r for r in results if not isinstance(r, str)]
    flags = {u.recomputed for o in outcomes for u in o.lessons}
    assert flags == {True, False}  # both the patch and the fallback ran
    assert "AttemptLimitReached" in results and "InvalidResponse" in results

    with world.session() as s:
        attempts = defaultdict(list)
        for row in s.scalars(select(QuestionAttempt).order_by(QuestionAttempt.attempt_number)):
            attempts[row.student_id, row.question_id].append(row.fraction)
        question_rows = {q.id: q for q in s.scalars(select(Question))}
        methods = {lesson.id: lesson.grading_method for lesson in s.scalars(select(Lesson))}
        compared = 0
        for student in students:
            for lesson in lessons:
                structure = lesson_structure(s, lesson)
                answered = [q for q in structure.questions if attempts.get((student, q.id))]
                stored = world.grade(student, lesson)
                if not answered:
                    assert stored is None
                    continue
                assert stored is not None
                values = compute_lesson_grade(s, student_id=student, lesson_id=lesson)
                assert values.same_as(stored), (values, stored.breakdown)
                method = methods[lesson] or "penalized"
                expected = math.fsum(
                    final_fraction(
                        attempts.get((student, q.id), []), method=method, penalty=question_rows[q.id].penalty
                    )
                    * question_rows[q.id].points
                    for q in structure.questions
                )
                assert stored.earned_points == pytest.approx(expected)
                assert stored.attempts_count == sum(
                    len(attempts.get((student, q.id), [])) for q in structure.questions
                )
                assert refresh_lesson_grade(s, student_id=student, lesson_id=lesson)[1] == "unchanged"
                compared += 1
    assert compared >= 12
    for (_student, question), fractions in attempts.items():
        limit = question_rows[question].max_attempts
        assert limit is None or len(fractions) <= limit
