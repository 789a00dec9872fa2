"""xAPI export and import against the database, the export checked by the independent validator ralph."""

from __future__ import annotations

import importlib.util
import io
import json
import os
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from platform_core.activity.ingest import ingest_events
from platform_core.activity.progress import get_progress
from platform_core.activity.segments import Segment, parse_played_segments
from platform_core.activity.xapi import (
    ACTIVITY_VIDEO,
    EXT_PLAYED_SEGMENTS,
    EXT_PROGRESS,
    EXT_SESSION_ID,
    VERB_ANSWERED,
    VERB_COMPLETED,
)
from platform_core.activity.xapi_checks import check_statement
from platform_core.activity.xapi_io import DEFAULT_BASE_IRI, export_statements, import_statements
from platform_core.models import Question, QuestionAttempt
from platform_core.validation import InvalidInput
from tests.activity.test_xapi import ralph_validate, requires_ralph
from tests.activity_db.conftest import T0, School, make_school, scripted_viewing


def add_attempts(school: School, student: int = 0) -> list[uuid.UUID]:
    """A question at the milestone and two graded attempts at it (as grading writes them)."""
    with school.session() as s:
        question = Question(
            id=uuid.uuid4(),
            tenant_id=school.tenant_id,
            video_id=school.video_id,
            milestone_id=school.milestone_id,
            type="multiple_choice",
            prompt="Which is a vector?",
            data={
                "options": [{"id": "a", "text": "velocity", "isCorrect": True}, {"id": "b", "text": "speed"}]
            },
            points=2,
            status="published",
        )
        s.add(question)
        s.flush()
        attempts = [
            QuestionAttempt(
                id=uuid.uuid4(),
                tenant_id=school.tenant_id,
                student_id=school.students[student],
                question_id=question.id,
                attempt_number=n,
                response=response,
                fraction=fraction,
                points_awarded=2 * fraction,
                points_possible=2,
                is_correct=fraction == 1,
                time_spent_ms=4200,
                submitted_at=T0 + timedelta(seconds=50 + n),
            )
            for n, (response, fraction) in enumerate([("b", 0.0), ("a", 1.0)], start=1)
        ]
        s.add_all(attempts)
    return [a.id for a in attempts]


def export(school: School, **kwargs: Any) -> list[dict[str, Any]]:
    out = io.StringIO()
    with school.session() as s:
        export_statements(s, out=out, **kwargs)
    return [json.loads(line) for line in out.getvalue().splitlines()]


@pytest.fixture
def viewed(school: School) -> School:
    phone, laptop = scripted_viewing(school)
    ingest_events(school.tenant_id, events=[*phone.events, *laptop.events])
    add_attempts(school)
    return school


@requires_ralph
def test_export_is_valid_xapi_for_ralph_and_the_video_profile(viewed: School, tmp_path: Path) -> None:
    statements = export(viewed)
    video = [s for s in statements if s["verb"]["id"] != VERB_ANSWERED]
    answered = [s for s in statements if s["verb"]["id"] == VERB_ANSWERED]
    assert len(video) == 12 and len(answered) == 2  # 18 events minus 6 heartbeats; 2 attempts
    proc = ralph_validate(video, tmp_path / "video.jsonl")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert len(proc.stdout.strip().splitlines()) == len(video)  # every one matched a Video Profile model

    from ralph.models.xapi.base.statements import BaseXapiStatement

    for stmt in answered:  # ralph -F takes these for virtual-classroom poll answers: the generic model
        BaseXapiStatement.model_validate(stmt)
    # what ralph does not check: played-segments grammar, progress in [0, 1], session ids
    assert all(check_statement(s) == [] for s in statements)
    with viewed.session() as s:
        session_ids = {
            str(r) for r in s.execute(text("SELECT DISTINCT session_id FROM analytics_events")).scalars()
        }
    assert {s["context"]["extensions"][EXT_SESSION_ID] for s in video} == session_ids
    for stmt in video:
        assert stmt["object"]["definition"]["type"] == ACTIVITY_VIDEO
        result = stmt.get("result", {}).get("extensions", {})
        if EXT_PROGRESS in result:
            assert 0 <= result[EXT_PROGRESS] <= 1
        if EXT_PLAYED_SEGMENTS in result:
            parse_played_segments(result[EXT_PLAYED_SEGMENTS])
    completed = next(s for s in video if s["verb"]["id"] == VERB_COMPLETED)
    assert completed["result"]["extensions"][EXT_PROGRESS] == 0.75
    assert parse_played_segments(completed["result"]["extensions"][EXT_PLAYED_SEGMENTS]) == [
        Segment(0, 30),
        Segment(60, 90),
        Segment(10, 20),
        Segment(90, 120),
    ]
    assert answered[1]["result"]["score"] == {"scaled": 1.0, "raw": 2.0, "min": 0, "max": 2.0}
    assert answered[1]["result"]["success"] is True and answered[1]["result"]["duration"] == "PT4.200S"
    assert export(viewed) == statements  # stable: statement ids are event and attempt ids


def test_export_picks_the_kinds_of_statements(viewed: School) -> None:
    assert len(export(viewed, kinds=("video",))) == 12
    only_answered = export(viewed, kinds=("answered",))
    assert [s["verb"]["id"] for s in only_answered] == [VERB_ANSWERED] * 2
    with pytest.raises(InvalidInput, match="choose among video, answered"):
        export(viewed, kinds=("videos",))


def test_another_tenants_events_never_appear_in_an_export(viewed: School) -> None:
    other = make_school("xapi-b")
    phone, _ = scripted_viewing(other)
    ingest_events(other.tenant_id, events=phone.events)
    mine, theirs = export(viewed), export(other)
    assert len(theirs) == len([e for e in phone.events if e["type"] != "video_progress"])
    assert not {s["id"] for s in mine} & {s["id"] for s in theirs}
    actors = {s["actor"]["account"]["name"] for s in theirs}
    assert actors == {str(other.students[0])}
    assert all(str(viewed.video_id) not in json.dumps(s) for s in theirs)


def test_export_window_keeps_progress_of_earlier_viewing(viewed: School) -> None:
    late = export(viewed, since=T0 + timedelta(seconds=600))
    assert [s["verb"]["display"]["en-US"] for s in late] == ["initialized", "played", "completed"]
    assert late[-1]["result"]["extensions"][EXT_PROGRESS] == 0.75  # the phone's viewing still counts


def test_importing_an_export_back_stores_nothing_new(viewed: School) -> None:
    statements = export(viewed)
    report = import_statements(viewed.tenant_id, lines=[json.dumps(s) for s in statements])
    assert (report.stored, report.duplicates, report.quarantined) == (0, len(statements), 0)


def test_statements_from_another_system_are_imported_through_ingest(school: School) -> None:
    source = make_school("xapi-src")
    phone, laptop = scripted_viewing(source)
    ingest_events(source.tenant_id, events=[*phone.events, *laptop.events])
    foreign = []
    for stmt in export(source):  # another LRS: actors by e-mail, videos by their own URL
        stmt["actor"] = {"objectType": "Agent", "mbox": "mailto:S1@" + school.slug + ".test"}
        stmt["object"]["id"] = stmt["object"]["id"].replace(str(source.video_id), str(school.video_id))
        foreign.append(stmt)
    by_url = dict(foreign[1], id=str(uuid.uuid4()))  # a video known by its source URL
    by_url["object"] = {**by_url["object"], "id": "https://videos.example/speed.mp4"}
    foreign.append(by_url)
    broken = dict(foreign[0], verb={"id": "http://adlnet.gov/expapi/verbs/experienced"})
    unknown_answer = {"id": str(uuid.uuid4()), "verb": {"id": VERB_ANSWERED}, "actor": foreign[0]["actor"]}
    lines = [json.dumps(s) for s in [*foreign, broken, unknown_answer]] + ["{oops"]
    report = import_statements(school.tenant_id, lines=lines, source="lrs.jsonl", batch_size=4)
    assert (report.stored, report.quarantined) == (len(foreign), 3)
    assert any(reason.startswith("verb.id: no event type") for reason in report.reasons)
    assert any(reason.startswith("id: no graded attempt") for reason in report.reasons)
    assert any("not JSON" in reason for reason in report.reasons)
    with school.session() as s:
        view = get_progress(s, student_id=school.students[1], video_id=school.video_id)
    assert view is not None
    # heartbeats are not in an export, so the import knows played, paused, seeked, completed only
    assert view.watched_segments == [Segment(0, 30), Segment(60, 120)]
    with school.session() as s:
        assert get_progress(s, student_id=school.students[1], video_id=school.short_video_id) is not None
    again = import_statements(school.tenant_id, lines=lines)
    assert (again.stored, again.duplicates) == (0, len(foreign))


def _ilp(*args: str, url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "platform_core.cli.main", *args],
        env={**os.environ, "DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.slow
def test_cli_export_and_import(viewed: School, database, tmp_path: Path) -> None:
    out = tmp_path / "statements.jsonl"
    done = _ilp(
        "xapi", "export", "--tenant", viewed.slug, "--out", str(out), "--json", url=database.url_string
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["statements"] == 14
    assert len(out.read_text().splitlines()) == 14
    assert not (tmp_path / "statements.jsonl.partial").exists()
    imported = _ilp("xapi", "import", str(out), "--tenant", viewed.slug, "--json", url=database.url_string)
    assert imported.returncode == 0, imported.stderr
    assert json.loads(imported.stdout)["duplicates"] == 14
    args = ("xapi", "export", "--tenant", viewed.slug, "--out", str(out), "--since", "2025-01-01T00:00:00")
    naive = _ilp(*args, url=database.url_string)
    assert naive.returncode == 1 and "timezone" in naive.stderr
    assert DEFAULT_BASE_IRI in out.read_text() and len(out.read_text().splitlines()) == 14  # left as it was
    args = ("xapi", "export", "--tenant", viewed.slug, "--out", str(out), "--json")
    late = _ilp(*args, "--since", "2025-03-01T09:10:00+00:00", url=database.url_string)
    assert late.returncode == 0, late.stderr
    assert json.loads(late.stdout)["video_statements"] == 3
    video = _ilp(*args, "--only", "video", url=database.url_string)
    assert video.returncode == 0, video.stderr
    assert (
        json.loads(video.stdout)["video_statements"],
        json.loads(video.stdout)["answered_statements"],
    ) == (12, 0)
    if importlib.util.find_spec("ralph") is not None:  # the file as written passes `ralph validate -F`
        proc = ralph_validate(
            [json.loads(line) for line in out.read_text().splitlines()], tmp_path / "r.jsonl"
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
