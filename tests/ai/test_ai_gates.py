"""Pure parts: windows, lenient reading of answers, conversion, quality gates, the offline writer."""

from __future__ import annotations

import json
import uuid
from collections import Counter

import pytest

from platform_core.ai import gates
from platform_core.ai.candidates import (
    CandidateRejected,
    GeneratedQuestion,
    OutputInvalid,
    convert,
    parse_batch,
)
from platform_core.ai.offline import OfflineProvider
from platform_core.ai.prompts import generation_request
from platform_core.ai.schemas import GENERATABLE_TYPES, AIParams
from platform_core.ai.windows import build_windows, parse_transcript
from platform_core.grading import validate_question_data
from platform_core.validation import InvalidInput
from tests.ai.conftest import TRANSCRIPT

CUES = parse_transcript(TRANSCRIPT)
WINDOW = build_windows(CUES, milestones=[], window_seconds=60, max_windows=5)[0]


def question(**changes) -> GeneratedQuestion:
    base = {
        "type": "multiple_choice",
        "stem": "What does velocity measure according to the video?",
        "options": [
            {"text": "Rate of change of position", "correct": True},
            {"text": "Rate of change of the mass", "correct": False},
            {"text": "Total energy of the system", "correct": False},
            {"text": "Force applied by friction", "correct": False},
        ],
        "answer": "",
        "accepted_answers": [],
        "items": [],
        "rationale": "Said at the start.",
        "source_quote": "Velocity is the rate of change of position with respect to time.",
        "start_seconds": 0,
        "end_seconds": 9,
        "difficulty": "easy",
        "bloom_level": "remember",
    }
    return GeneratedQuestion.model_validate({**base, **changes})


def test_windows_end_at_milestones_or_are_evenly_spaced():
    ids = [uuid.uuid4(), uuid.uuid4()]
    at_milestones = build_windows(
        CUES, milestones=[(ids[1], 100.0), (ids[0], 40.0)], window_seconds=30, max_windows=8
    )
    assert [(w.start, w.end, w.milestone_id) for w in at_milestones] == [
        (10.0, 40.0, ids[0]),
        (70.0, 100.0, ids[1]),
    ]
    assert "Acceleration measures" in at_milestones[0].text and "Momentum is" not in at_milestones[0].text
    even = build_windows(CUES, milestones=[], window_seconds=20, max_windows=3)
    assert len(even) == 3 and [w.index for w in even] == [0, 1, 2]
    assert even[0].start < even[1].start < even[2].start and even[2].start >= 80
    assert build_windows([], milestones=[], window_seconds=20, max_windows=3) == []


def test_transcript_is_validated():
    with pytest.raises(InvalidInput, match="transcript"):
        parse_transcript([{"start": 5, "end": 1, "text": "backwards"}])


def test_lenient_reading_of_answers():
    valid = json.dumps({"questions": [question().model_dump()]})
    assert len(parse_batch(f"```json\n{valid}\n```")[0]) == 1
    assert len(parse_batch("Here you go: " + valid)[0]) == 1
    camel = {
        **question().model_dump(),
        "sourceQuote": "Velocity is the rate",
        "type": "MCQ",
        "bloomLevel": "apply",
    }
    del camel["source_quote"], camel["bloom_level"]
    [read], invalid = parse_batch(json.dumps([camel, {"type": "essay"}]))
    assert read.source_quote == "Velocity is the rate" and read.bloom_level == "apply" and len(invalid) == 1
    for bad, kind in (
        ("", "invalid_json"),
        ("nope", "invalid_json"),
        ('{"x": 1}', "schema_violation"),
        ('{"questions": [{"type": "essay"}]}', "schema_violation"),
    ):
        with pytest.raises(OutputInvalid) as info:
            parse_batch(bad)
        assert info.value.kind == kind


def test_every_converted_type_passes_the_grading_validators():
    cases = [
        question(),
        question(type="true_false", options=[], answer="False"),
        question(type="short_answer", options=[], answer="position", accepted_answers=["the position"]),
        question(
            type="fill_in_blanks",
            options=[],
            stem="Velocity is the rate of change of ____.",
            answer="position",
        ),
        question(
            type="ordering", options=[], stem="Order these.", items=["Velocity", "Acceleration", "Force"]
        ),
    ]
    assert {c.type for c in cases} == set(GENERATABLE_TYPES)
    for case in cases:
        converted = convert(case)
        validate_question_data(converted.type, converted.data)
    fill = convert(cases[3])
    assert (
        fill.data["text"] == "Velocity is the rate of change of {b1}." and fill.stem_key == fill.data["text"]
    )
    placed = convert(question(), correct_position=2).data["options"]
    assert [o["isCorrect"] for o in placed] == [False, False, True, False]


@pytest.mark.parametrize(
    ("changes", "gate"),
    [
        ({"stem": "Why?"}, "stem"),
        ({"source_quote": "Velocity is measured in furlongs per fortnight."}, "source_quote"),
        ({"source_quote": "velocity"}, "source_quote"),
        ({"start_seconds": 300, "end_seconds": 310}, "time_range"),
        ({"start_seconds": 9, "end_seconds": 1}, "time_range"),
        (
            {
                "options": [
                    {"text": "All of the above", "correct": True},
                    {"text": "Speed", "correct": False},
                    {"text": "Mass", "correct": False},
                ]
            },
            "banned_option",
        ),
        (
            {
                "options": [
                    {"text": "Position", "correct": True},
                    {"text": "position.", "correct": False},
                    {"text": "Mass", "correct": False},
                ]
            },
            "options_unique",
        ),
        (
            {
                "options": [
                    {"text": "A", "correct": True},
                    {"text": "B", "correct": True},
                    {"text": "C", "correct": False},
                ]
            },
            "options",
        ),
        ({"options": [{"text": "Speed", "correct": False}, {"text": "Mass", "correct": False}]}, "options"),
        (
            {
                "options": [
                    {"text": "The rate at which an object's position changes over time", "correct": True},
                    {"text": "Mass", "correct": False},
                    {"text": "Heat", "correct": False},
                    {"text": "Light", "correct": False},
                ]
            },
            "length_parity",
        ),
        ({"type": "true_false", "answer": "true"}, "options"),
    ],
)
def test_quality_gates_reject_with_the_gate_name(changes, gate):
    with pytest.raises(CandidateRejected) as info:
        gates.check_candidate(question(**changes), WINDOW)
    assert info.value.gate == gate


def test_quotes_survive_punctuation_case_timestamps_and_ellipses():
    gates.check_candidate(
        question(source_quote="[00:00] VELOCITY is the rate of change ... respect to time"), WINDOW
    )
    assert gates.quote_in_window(
        "Velocity is the rate of change of positon with respect to time", WINDOW.text
    )


def test_near_duplicates_are_found():
    bank = ["What does velocity measure according to the video?"]
    assert gates.nearest_duplicate("According to the video, what does velocity measure?", bank) == bank[0]
    assert gates.nearest_duplicate("What does friction oppose?", bank) is None


def test_correct_positions_are_balanced_and_reproducible():
    first, second = gates.PositionBalancer("job"), gates.PositionBalancer("job")
    positions = [first.next(4) for _ in range(40)]
    assert positions == [second.next(4) for _ in range(40)]
    assert Counter(positions) == {0: 10, 1: 10, 2: 10, 3: 10}


def test_offline_provider_is_deterministic_and_its_questions_pass_every_gate():
    params = AIParams(question_types=list(GENERATABLE_TYPES), questions_per_window=5)
    request = generation_request(WINDOW, count=5, question_types=params.question_types, structured=True)
    provider = OfflineProvider()
    first, second = provider.complete(request, params=params), provider.complete(request, params=params)
    assert first.content == second.content and first.usage.prompt_tokens > 0
    batch, invalid = parse_batch(first.content)
    assert invalid == [] and len(batch) == 5 and len({q.type for q in batch}) >= 4
    for candidate in batch:
        gates.check_candidate(candidate, WINDOW)
        converted = convert(candidate)
        validate_question_data(converted.type, converted.data)
