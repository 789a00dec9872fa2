"""Every JSONB shape is validated on the way in, and a bad value names its field."""

from __future__ import annotations

import uuid

import pytest

from platform_core.activity.details import DeviceInfo, ProgressDetails, SessionState
from platform_core.ai.schemas import AIParams
from platform_core.content.schemas import MilestoneSettings, Transcript, VideoMetadata
from platform_core.grading.breakdown import GradeBreakdown
from platform_core.tenancy.schemas import TenantSettings, UserPreferences
from platform_core.validation import InvalidInput, validate_as, validated_json


@pytest.mark.parametrize(
    ("model", "data", "field"),
    [
        (MilestoneSettings, {"onWrong": {"action": "seek"}}, "settings.onWrong"),
        (MilestoneSettings, {"onCorrect": {"action": "jump", "to": 12.5}}, "settings.onCorrect"),
        (MilestoneSettings, {"onWrong": {"action": "rewind"}}, "settings.onWrong.action"),
        (MilestoneSettings, {"pauze": True}, "settings.pauze"),
        (VideoMetadata, {"resolution": {"width": 0, "height": 720}}, "settings.resolution.width"),
        (Transcript, {"cues": [{"start": 5, "end": 2, "text": "x"}]}, "settings.cues[0]"),
        (
            Transcript,
            {"cues": [{"start": 5, "end": 6, "text": "b"}, {"start": 1, "end": 2, "text": "a"}]},
            "settings",
        ),
        (TenantSettings, {"letterScale": [{"letter": "A", "minPercent": 90}]}, "settings.letterScale"),
        (TenantSettings, {"gradingMethod": "best"}, "settings.gradingMethod"),
        (UserPreferences, {"playbackRate": 9}, "settings.playbackRate"),
        (SessionState, {"volume": 2}, "settings.volume"),
        (DeviceInfo, {"kind": "fridge"}, "settings.kind"),
        (ProgressDetails, {"milestones": {"not-a-uuid": {}}}, "settings.milestones.not-a-uuid"),
        (AIParams, {"temperature": 3}, "settings.temperature"),
        (GradeBreakdown, {"method": "penalized", "videos": [{"videoId": "x"}]}, "settings.videos[0].videoId"),
    ],
)
def test_bad_json_names_the_field(model, data: dict, field: str) -> None:
    with pytest.raises(InvalidInput) as info:
        validate_as(model, data, root="settings")
    assert info.value.field == field
    assert str(info.value).startswith(f"{field}: ")


def test_valid_shapes_round_trip_with_camel_case_keys() -> None:
    target = uuid.uuid4()
    settings = validated_json(
        MilestoneSettings,
        {"requireCorrect": True, "onWrong": {"action": "jump", "to": str(target), "message": "Review"}},
    )
    assert settings["requireCorrect"] is True
    assert settings["onWrong"] == {"action": "jump", "to": str(target), "message": "Review"}
    assert (
        validated_json(MilestoneSettings, {"onWrong": {"action": "seek", "to": 42}})["onWrong"]["to"] == 42.0
    )


def test_tenant_letter_scale_is_sorted_and_defaults_apply() -> None:
    custom = validate_as(
        TenantSettings,
        {
            "letterScale": [
                {"letter": "Pass", "minPercent": 50},
                {"letter": "Fail", "minPercent": 0},
                {"letter": "Merit", "minPercent": 75},
            ]
        },
    )
    assert custom.scale() == [("Merit", 75), ("Pass", 50), ("Fail", 0)]
    assert validate_as(TenantSettings, {}).scale()[0] == ("A", 93)


def test_video_metadata_keeps_unknown_keys() -> None:
    meta = validated_json(VideoMetadata, {"videoCodec": "h264", "hdr": True})
    assert meta == {"videoCodec": "h264", "hdr": True}
