"""`ilp grade recompute` and `ilp grade letter`, through the real command against the test database."""

from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import delete, select, update
from typer.testing import CliRunner

from platform_core.cli.grading import recompute_grades
from platform_core.cli.main import app
from platform_core.grading.attempts import submit_attempt
from platform_core.grading.lesson_grades import compute_lesson_grade
from platform_core.models import Grade

from .conftest import World

runner = CliRunner()


def _invoke(*args: str):
    return runner.invoke(app, list(args))


def _graded_world(world: World) -> tuple[list[uuid.UUID], list[uuid.UUID]]:
    """Two lessons sharing a video, three students with attempts: six grade rows."""
    shared, own = world.video(), world.video()
    lessons = [world.lesson([[shared, own]]), world.lesson([[shared]], grading_method="highest")]
    questions = [world.question(shared, points=2), world.question(own, max_attempts=2)]
    students = [world.student() for _ in range(3)]
    for index, student in enumerate(students):
        for question in questions:
            for answer in (False, index % 2 == 0):
                with world.session() as s:
                    submit_attempt(s, student_id=student, question_id=question, response=answer)
    return lessons, students


def test_recompute_reports_what_changed(world: World) -> None:
    lessons, students = _graded_world(world)
    with world.session() as s:
        s.execute(update(Grade).where(Grade.student_id == students[0]).values(earned_points=0, letter="F"))
        s.execute(delete(Grade).where(Grade.student_id == students[1], Grade.lesson_id == lessons[1]))
    result = _invoke("grade", "recompute", "--tenant", world.slug, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["examined"], report["created"], report["changed"], report["unchanged"]) == (6, 1, 2, 3)
    again = json.loads(_invoke("grade", "recompute", "--tenant", world.slug, "--json").stdout)
    assert (again["examined"], again["changed"], again["created"], again["unchanged"]) == (6, 0, 0, 6)
    with world.session() as s:
        rows = s.scalars(select(Grade)).all()
        assert len(rows) == 6
        for grade in rows:  # repaired, recreated and untouched rows all equal a fresh computation
            fresh = compute_lesson_grade(s, student_id=grade.student_id, lesson_id=grade.lesson_id)
            assert fresh.same_as(grade)

    one_lesson = _invoke("grade", "recompute", "--tenant", world.slug, "--lesson", str(lessons[1]), "--json")
    assert json.loads(one_lesson.stdout)["examined"] == 3
    table = _invoke("grade", "recompute", "--tenant", world.slug)
    assert table.exit_code == 0 and "unchanged" in table.stdout


def test_recompute_streams_in_batches(world: World) -> None:
    _graded_world(world)
    totals: list[int] = []
    batches: list[int] = []
    report = recompute_grades(world.tenant_id, batch_size=4, on_total=totals.append, on_batch=batches.append)
    assert totals == [6] and batches == [4, 2]
    assert report.examined == 6 and report.unchanged == 6


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--tenant", "no-such-school"], "no active tenant"),
        (["--lesson", "not-a-uuid"], "not a lesson id"),
        (["--lesson", "00000000-0000-0000-0000-000000000001"], "no lesson"),
    ],
)
def test_recompute_errors(world: World, args: list[str], message: str) -> None:
    if "--tenant" not in args:
        args = ["--tenant", world.slug, *args]
    result = _invoke("grade", "recompute", *args)
    assert result.exit_code == 1
    assert message in result.stderr


def test_letter_on_default_and_tenant_scales(make_world) -> None:
    assert _invoke("grade", "letter", "92.99").stdout.strip() == "A-"
    assert _invoke("grade", "letter", "93").stdout.strip() == "A"
    world = make_world(
        {"letterScale": [{"letter": "Pass", "minPercent": 50}, {"letter": "Fail", "minPercent": 0}]}
    )
    assert _invoke("grade", "letter", "50", "--tenant", world.slug).stdout.strip() == "Pass"
    payload = json.loads(_invoke("grade", "letter", "49.9", "--tenant", world.slug, "--json").stdout)
    assert payload["letter"] == "Fail"
    assert payload["scale"] == [{"letter": "Pass", "minPercent": 50}, {"letter": "Fail", "minPercent": 0}]
    out_of_range = _invoke("grade", "letter", "120")
    assert out_of_range.exit_code == 1 and "between 0 and 100" in out_of_range.stderr
