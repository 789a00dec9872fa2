"""xAPI export/import mapping, checked by the independent validator ralph (pure, no database)."""

from __future__ import annotations

import copy
import importlib.util
import json
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from platform_core.activity.event_parsing import parse_event
from platform_core.activity.events import EventBase, InvalidEvent
from platform_core.activity.segments import track
from platform_core.activity.xapi import (
    ACTIVITY_INTERACTION,
    ACTIVITY_VIDEO,
    EXT_COMPLETION_THRESHOLD,
    EXT_LENGTH,
    EXT_PLAYED_SEGMENTS,
    EXT_PROGRESS,
    EXT_SESSION_ID,
    EXT_TIME,
    EXT_TIME_FROM,
    EXT_TIME_TO,
    EXT_USER_AGENT,
    INTERACTION_TYPES,
    VERB_ANSWERED,
    VERB_COMPLETED,
    VERB_INITIALIZED,
    VERB_PAUSED,
    VERB_PLAYED,
    VERB_SEEKED,
    VIDEO_PROFILE,
    attempt_to_statement,
    derived_session_id,
    event_to_statement,
    format_response,
    terminated_statement,
)
from platform_core.activity.xapi_checks import check_statement
from platform_core.activity.xapi_import import statement_to_event

HOME = "https://ilp.example"
BASE = "https://ilp.example/xapi"
VIDEO = uuid.uuid4()
USER = uuid.uuid4()
SESSION = uuid.uuid4()
T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
LENGTH = 120.0


def event(kind: str, second: float, *, session: uuid.UUID | None = SESSION, **data: Any) -> EventBase:
    return parse_event(
        {
            "id": str(uuid.uuid4()),
            "type": kind,
            "occurred_at": (T0 + timedelta(seconds=second)).isoformat(),
            "user_id": str(USER),
            "session_id": str(session) if session else None,
            "data": {"video_id": str(VIDEO), **data},
            "context": {"user_agent": "Mozilla/5.0 (X11; Linux x86_64)", "app_version": "1.4.0"},
        }
    )


def viewing_session() -> list[EventBase]:
    seek: dict[str, Any] = {"from": 30, "to": 60}
    return [
        event("video_start", 0),
        event("video_play", 1, position=0),
        event("video_pause", 31, position=30),
        event("video_seek", 32, **seek),
        event("video_play", 33, position=60),
        event("video_progress", 43, position=70, playback_rate=1.0),
        event("video_complete", 93, position=120),
    ]


def export(events: list[EventBase]) -> list[dict[str, Any]]:
    """What an exporter does: fold progress as it goes and map the exportable events."""
    statements: list[dict[str, Any]] = []
    done: list[EventBase] = []
    for e in events:
        done.append(e)
        if e.type == "video_progress":
            continue
        tracker = track(done)
        statements.append(
            event_to_statement(
                e,
                actor_home_page=HOME,
                base_iri=BASE,
                video_length=LENGTH,
                played_segments=tracker.played_segments(),
                progress=tracker.coverage(LENGTH),
                completion_threshold=0.95,
            )
        )
    return statements


def attempts() -> list[dict[str, Any]]:
    responses = {
        "multiple_choice": "opt-b",
        "true_false": True,
        "short_answer": "photosynthesis",
        "numeric": "3.14",
        "matching": {"p1": "Paris", "p2": "Rome"},
        "ordering": ["i3", "i1", "i2"],
        "fill_in_blanks": {"b1": "mitochondria", "b2": "ATP"},
    }
    return [
        attempt_to_statement(
            attempt_id=uuid.uuid4(),
            user_id=USER,
            question_id=uuid.uuid4(),
            question_type=qtype,
            fraction=fraction,
            points=fraction * 2,
            max_points=2,
            response=response,
            occurred_at=T0 + timedelta(minutes=5),
            actor_home_page=HOME,
            base_iri=BASE,
            prompt="Which one?",
            attempt_number=1,
            video_id=VIDEO,
        )
        for (qtype, response), fraction in zip(responses.items(), [1, 0, 0.5, 1, 0.5, 1 / 3, 1], strict=True)
    ]


# ------------------------------------------------------------------------------------------ export
def test_video_events_map_to_video_profile_statements() -> None:
    events = viewing_session()
    statements = export(events)
    assert [s["verb"]["id"] for s in statements] == [
        VERB_INITIALIZED,
        VERB_PLAYED,
        VERB_PAUSED,
        VERB_SEEKED,
        VERB_PLAYED,
        VERB_COMPLETED,
    ]
    exported = [e for e in events if e.type != "video_progress"]
    for stmt, e in zip(statements, exported, strict=True):
        assert stmt["id"] == str(e.id)  # stable: exporting twice gives the same statements
        assert stmt["timestamp"] == e.occurred_at.isoformat()
        assert stmt["actor"] == {"objectType": "Agent", "account": {"homePage": HOME, "name": str(USER)}}
        assert stmt["object"]["id"] == f"{BASE}/videos/{VIDEO}"
        assert stmt["object"]["definition"]["type"] == ACTIVITY_VIDEO
        assert stmt["context"]["contextActivities"]["category"][0]["id"] == VIDEO_PROFILE
        assert stmt["context"]["extensions"][EXT_SESSION_ID] == str(SESSION)
        assert stmt["version"] == "1.0.3"
        assert check_statement(stmt) == []
    initialized, _, paused, seeked, _, completed = statements
    assert initialized["context"]["extensions"][EXT_LENGTH] == LENGTH
    assert initialized["context"]["extensions"][EXT_USER_AGENT].startswith("Mozilla")
    assert paused["result"]["extensions"] == {
        EXT_TIME: 30.0,
        EXT_PROGRESS: 0.25,
        EXT_PLAYED_SEGMENTS: "0.000[.]30.000",
    }
    assert seeked["result"]["extensions"] == {EXT_TIME_FROM: 30.0, EXT_TIME_TO: 60.0}
    assert completed["result"]["completion"] is True
    assert completed["result"]["extensions"][EXT_PROGRESS] == 0.75
    assert completed["result"]["extensions"][EXT_PLAYED_SEGMENTS] == "0.000[.]30.000[,]60.000[.]120.000"
    assert completed["context"]["extensions"][EXT_COMPLETION_THRESHOLD] == 0.95
    assert export(events) == statements


def test_session_id_falls_back_to_a_stable_derived_id_and_pseudonyms_replace_the_user() -> None:
    e = event("video_play", 1, session=None, position=3)
    stmt = event_to_statement(e, actor_home_page=HOME, base_iri=BASE, actor_name="learner-42")
    assert stmt["context"]["extensions"][EXT_SESSION_ID] == str(derived_session_id(USER, VIDEO))
    assert stmt["actor"]["account"]["name"] == "learner-42"
    explicit = uuid.uuid4()
    stmt = event_to_statement(e, actor_home_page=HOME, base_iri=BASE + "/", session_id=explicit)
    assert stmt["context"]["extensions"][EXT_SESSION_ID] == str(explicit)
    assert stmt["object"]["id"] == f"{BASE}/videos/{VIDEO}"


def test_export_refuses_what_the_profile_cannot_express() -> None:
    with pytest.raises(ValueError, match="video_length is required"):
        event_to_statement(event("video_pause", 5, position=5), actor_home_page=HOME, base_iri=BASE)
    with pytest.raises(ValueError, match="progress is required"):
        event_to_statement(
            event("video_complete", 5, position=120), actor_home_page=HOME, base_iri=BASE, video_length=120
        )
    with pytest.raises(ValueError, match="no xAPI"):
        progress = event("video_progress", 5, position=5, playback_rate=1.0)
        event_to_statement(progress, actor_home_page=HOME, base_iri=BASE)
    with pytest.raises(ValueError, match="played-segments"):
        event_to_statement(
            event("video_play", 5, position=5), actor_home_page=HOME, base_iri=BASE, played_segments="0-5"
        )


def test_attempts_map_to_answered_cmi_interactions() -> None:
    statements = attempts()
    assert [s["object"]["definition"]["interactionType"] for s in statements] == list(
        INTERACTION_TYPES.values()
    )
    first = statements[0]
    assert first["verb"]["id"] == VERB_ANSWERED
    assert first["object"]["definition"]["type"] == ACTIVITY_INTERACTION
    assert first["object"]["id"].startswith(f"{BASE}/questions/")
    assert first["result"] == {
        "score": {"scaled": 1, "raw": 2, "min": 0, "max": 2},
        "success": True,
        "response": "opt-b",
    }
    assert first["context"]["contextActivities"]["parent"][0]["id"] == f"{BASE}/videos/{VIDEO}"
    assert all(check_statement(s) == [] for s in statements)  # not video statements: no session-id needed
    assert [s["result"]["success"] for s in statements] == [True, False, False, True, False, False, True]
    assert [s["result"]["response"] for s in statements] == [
        "opt-b",
        "true",
        "photosynthesis",
        "3.14",
        "p1[.]Paris[,]p2[.]Rome",
        "i3[,]i1[,]i2",
        "mitochondria[,]ATP",
    ]


def test_attempt_arguments_are_checked() -> None:
    kwargs: dict[str, Any] = dict(
        attempt_id=uuid.uuid4(),
        user_id=USER,
        question_id=uuid.uuid4(),
        question_type="numeric",
        fraction=0.5,
        points=1,
        max_points=2,
        response=3,
        occurred_at=T0,
        actor_home_page=HOME,
        base_iri=BASE,
    )
    assert "response" in attempt_to_statement(**kwargs)["result"]
    assert "response" not in attempt_to_statement(**{**kwargs, "response": ""})["result"]
    for bad in (
        {"fraction": 1.2},
        {"points": 3},
        {"question_type": "essay"},
        {"occurred_at": T0.replace(tzinfo=None)},
    ):
        with pytest.raises(ValueError):
            attempt_to_statement(**{**kwargs, **bad})


def test_format_response_falls_back_to_json() -> None:
    assert format_response("choice", ["a", "b"]) == "a[,]b"
    assert format_response("numeric", 2.5) == "2.5"
    assert format_response("choice", [1, {"x": 2}]) == '[1,{"x":2}]'
    assert format_response("fill-in", None) is None


# ------------------------------------------------------------------------------------------ import
def test_statements_import_back_to_the_same_events() -> None:
    events = [e for e in viewing_session() if e.type != "video_progress"]
    for original, stmt in zip(events, export(events), strict=True):
        raw = statement_to_event(stmt, base_iri=BASE)
        back = parse_event(raw)
        assert (back.id, back.type, back.user_id, back.session_id) == (
            original.id,
            original.type,
            original.user_id,
            original.session_id,
        )
        assert back.occurred_at == original.occurred_at
        for key, value in original.data_json().items():
            assert back.data_json()[key] == value


def test_import_uses_resolvers_for_foreign_statements() -> None:
    stmt = export([event("video_play", 1, position=12.5)])[0]
    foreign = copy.deepcopy(stmt)
    foreign["actor"] = {"objectType": "Agent", "mbox": "mailto:someone@example.org"}
    foreign["object"]["id"] = "https://lms.example/v/abc"
    raw = statement_to_event(
        foreign,
        base_iri=BASE,
        resolve_user=lambda actor: USER if actor.get("mbox") else None,
        resolve_video=lambda iri: VIDEO if iri.endswith("/abc") else None,
    )
    assert raw["user_id"] == str(USER) and raw["data"]["video_id"] == str(VIDEO)
    assert raw["data"]["position"] == 12.5
    no_id = {k: v for k, v in stmt.items() if k != "id"}
    assert statement_to_event(no_id, base_iri=BASE)["id"] == statement_to_event(no_id, base_iri=BASE)["id"]


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda s: s["verb"].update(id="http://adlnet.gov/expapi/verbs/experienced"), "verb.id"),
        (lambda s: s["object"].update(id="https://elsewhere.example/v/1"), "object.id"),
        (
            lambda s: s["object"]["definition"].update(type="http://adlnet.gov/expapi/activities/media"),
            "object.definition.type",
        ),
        (lambda s: s["actor"]["account"].update(name="alice"), "actor.account.name"),
        (lambda s: s.pop("timestamp"), "timestamp"),
        (lambda s: s["result"]["extensions"].update({EXT_TIME: -4}), f"result.extensions[{EXT_TIME}]"),
        (lambda s: s["result"]["extensions"].pop(EXT_TIME), f"result.extensions[{EXT_TIME}]"),
        (
            lambda s: s["context"]["extensions"].update({EXT_SESSION_ID: "x"}),
            f"context.extensions[{EXT_SESSION_ID}]",
        ),
        (lambda s: s.update(timestamp="2025-03-01T09:00:00"), "occurred_at"),
    ],
)
def test_import_rejects_what_it_cannot_map(mutate: Any, field: str) -> None:
    stmt = export([event("video_play", 1, position=3)])[0]
    mutate(stmt)
    with pytest.raises(InvalidEvent) as info:
        statement_to_event(stmt, base_iri=BASE)
    assert info.value.field == field


def test_answered_statements_are_not_imported_as_events() -> None:
    with pytest.raises(InvalidEvent, match="no event type for verb"):
        statement_to_event(attempts()[0], base_iri=BASE)


# ---------------------------------------------------------------------------------- profile checks
@pytest.mark.parametrize(
    ("where", "key", "value", "needle"),
    [
        ("result", EXT_PLAYED_SEGMENTS, "0[.]5[,]12", "played-segments"),
        ("result", EXT_PLAYED_SEGMENTS, "9.000[.]3.000", "ends before it starts"),
        ("result", EXT_PROGRESS, 1.2, "must be in [0, 1]"),
        ("result", EXT_TIME, -0.5, "non-negative"),
        ("result", EXT_TIME_FROM, "10", "non-negative"),
        ("context", EXT_LENGTH, -1, "non-negative"),
        ("context", EXT_COMPLETION_THRESHOLD, 95, "must be in [0, 1]"),
        ("context", EXT_SESSION_ID, None, "required on video statements"),
        ("context", EXT_SESSION_ID, "session-7", "must be a UUID"),
    ],
)
def test_check_statement_reports_profile_violations(where: str, key: str, value: Any, needle: str) -> None:
    stmt = export(viewing_session())[2]  # paused
    extensions = stmt[where]["extensions"]
    if value is None:
        extensions.pop(key)
    else:
        extensions[key] = value
    problems = check_statement(stmt)
    assert len(problems) == 1 and needle in problems[0] and key in problems[0]


# ---------------------------------------------------------------------------- independent validator
requires_ralph = pytest.mark.skipif(
    importlib.util.find_spec("ralph") is None,
    reason="the xAPI validator ralph (PyPI: ralph-malph) is not installed in this environment",
)
RALPH_CLI = Path(sys.executable).parent / "ralph"
# What `ralph validate -f xapi -F` runs (ralph.cli.validate), for when the CLI extra is not installed:
# statements are read from stdin and the first invalid or unknown statement raises (exit code != 0).
RALPH_VALIDATE_SNIPPET = """
import sys
from ralph.models.selector import ModelSelector
from ralph.models.validator import Validator
for line in Validator(ModelSelector("ralph.models.xapi")).validate(sys.stdin, False, True):
    print(line)
"""


@cache
def ralph_command() -> list[str]:
    if RALPH_CLI.exists():
        probe = subprocess.run(
            [str(RALPH_CLI), "validate", "--help"], capture_output=True, text=True, check=False
        )
        if probe.returncode == 0 and "--fail-on-unknown" in probe.stdout:
            return [str(RALPH_CLI), "validate", "-f", "xapi", "-F"]
    return [sys.executable, "-c", RALPH_VALIDATE_SNIPPET]


def ralph_validate(statements: list[dict[str, Any]], path: Path) -> subprocess.CompletedProcess[str]:
    path.write_text("".join(json.dumps(s) + "\n" for s in statements), encoding="utf-8")
    with path.open(encoding="utf-8") as stdin:
        return subprocess.run(
            ralph_command(), stdin=stdin, capture_output=True, text=True, timeout=120, check=False
        )


def full_export() -> list[dict[str, Any]]:
    statements = export(viewing_session())
    statements.append(
        terminated_statement(
            statement_id=uuid.uuid4(),
            user_id=USER,
            video_id=VIDEO,
            occurred_at=T0 + timedelta(seconds=120),
            position=120,
            progress=0.75,
            video_length=LENGTH,
            played_segments="0.000[.]30.000[,]60.000[.]120.000",
            session_id=SESSION,
            actor_home_page=HOME,
            base_iri=BASE,
        )
    )
    return statements


@requires_ralph
def test_ralph_accepts_the_exported_video_statements(tmp_path: Path) -> None:
    statements = full_export()
    proc = ralph_validate(statements, tmp_path / "statements.jsonl")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert len(proc.stdout.strip().splitlines()) == len(statements)  # every one matched a video model


@requires_ralph
@pytest.mark.parametrize(
    "break_it",
    [
        lambda s: s["context"]["extensions"].pop(EXT_LENGTH),  # paused without the required length
        lambda s: s["verb"].update(id="https://w3id.org/xapi/video/verbs/pawsed"),  # unknown: -F fails
        lambda s: s["context"]["contextActivities"].update(category=[{"id": "https://example.org/other"}]),
        lambda s: s["actor"].update(mbox="not-an-email"),
    ],
)
def test_ralph_rejects_a_broken_statement(tmp_path: Path, break_it: Any) -> None:
    statements = full_export()
    break_it(statements[2])
    proc = ralph_validate(statements, tmp_path / "statements.jsonl")
    assert proc.returncode != 0


@requires_ralph
def test_answered_statements_are_valid_xapi_for_ralph() -> None:
    from pydantic import ValidationError
    from ralph.models.xapi.base.statements import BaseXapiStatement

    # ralph's selector sends any `answered` + cmi.interaction statement to its Virtual Classroom "answered
    # poll" model (registration, profile category...), which a graded answer to a video question is not;
    # they are checked against its generic xAPI 1.0.3 statement model instead.
    for stmt in attempts():
        BaseXapiStatement.model_validate(stmt)
    broken = attempts()[0]
    broken["result"]["score"]["scaled"] = 1.5
    with pytest.raises(ValidationError):
        BaseXapiStatement.model_validate(broken)
    broken = attempts()[0]
    broken["object"]["definition"]["interactionType"] = "multiple_choice"
    with pytest.raises(ValidationError):
        BaseXapiStatement.model_validate(broken)
