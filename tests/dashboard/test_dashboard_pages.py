"""Every page for every role through the real app script (Streamlit AppTest) on the real database:
no exception anywhere, and a page not registered for a role cannot be reached."""

from __future__ import annotations

import uuid

import pytest

from dashboard.registry import PAGES, pages_for
from platform_core.ai import review
from platform_core.db.session import tenant_session
from platform_core.models import Question, QuestionStatus, UserRole
from platform_core.tenancy.users import authenticate
from tests.dashboard.conftest import app_as


@pytest.mark.parametrize("role", list(UserRole), ids=lambda r: r.value)
def test_every_registered_page_renders_without_error(school, role: UserRole) -> None:
    at = app_as(school.users[role])
    assert not at.exception, at.exception
    for spec in pages_for(role):
        if spec.file == "sign_out.py":
            continue
        at.switch_page(f"pages/{spec.file}").run()
        assert not at.exception, f"{spec.file} as {role.value}: {at.exception}"
        assert not at.error, f"{spec.file} as {role.value}: {[e.value for e in at.error]}"
        assert at.title[0].value == spec.title


@pytest.mark.parametrize("role", list(UserRole), ids=lambda r: r.value)
def test_pages_outside_a_role_are_not_registered(school, role: UserRole) -> None:
    at = app_as(school.users[role])
    allowed = {spec.file for spec in pages_for(role)}
    forbidden = [spec for spec in PAGES if spec.file not in allowed]
    for spec in forbidden:
        with pytest.raises(ValueError, match="navigation page"):
            at.switch_page(f"pages/{spec.file}")
    if role is UserRole.TEACHER:
        assert {"users.py", "audit_log.py", "ai_usage.py", "db_health.py"} <= {s.file for s in forbidden}


def test_signed_out_visitors_reach_only_the_sign_in_page(school) -> None:
    at = app_as(None)
    assert at.title[0].value == "Interactive Learning Platform"
    for spec in PAGES:
        with pytest.raises(ValueError):
            at.switch_page(f"pages/{spec.file}")


@pytest.mark.slow
@pytest.mark.parametrize("role", list(UserRole), ids=lambda r: r.value)
def test_every_page_renders_the_demo_data_without_error(demo_data, role: UserRole) -> None:
    account = demo_data.accounts[role]
    at = app_as(authenticate(tenant_slug="demo", email=account.email, password=account.password))
    for spec in pages_for(role):
        if spec.file == "sign_out.py":
            continue
        at.query_params.clear()  # as after a click in the sidebar: the page's default filters
        at.switch_page(f"pages/{spec.file}").run()
        assert not at.exception, f"{spec.file} as {role.value}: {at.exception}"
        assert not at.error, f"{spec.file} as {role.value}: {[e.value for e in at.error]}"
        if spec.file in CHARTED:
            assert at.get("plotly_chart"), f"{spec.file} as {role.value} draws no chart"


CHARTED = {"class_overview.py", "video_engagement.py", "question_analysis.py", "student_drilldown.py",
           "ai_usage.py", "db_health.py", "audit_log.py"}  # fmt: skip


@pytest.mark.slow
def test_reviewing_rejects_only_with_a_reason_and_keeps_a_history(demo_data) -> None:
    account = demo_data.accounts[UserRole.TEACHER]
    at = app_as(authenticate(tenant_slug="demo", email=account.email, password=account.password))
    target = str(demo_data.generated_question_ids[-1])
    at.switch_page("pages/review_queue.py")
    at.query_params["question"] = target
    at.run()
    assert not at.exception, at.exception
    next(b for b in at.button if b.label == "Reject").click().run()
    assert any("reason" in e.value for e in at.error)
    next(t for t in at.text_input if t.label == "Reason for rejecting").input("not what the video says")
    next(b for b in at.button if b.label == "Reject").click().run()
    assert not at.exception, at.exception
    with tenant_session(demo_data.tenant_id) as s:
        question = s.get(Question, (demo_data.tenant_id, uuid.UUID(target)))
        history = review.review_history(s, question_id=uuid.UUID(target))
    assert question is not None and question.status is QuestionStatus.REJECTED
    assert [(h.action.value, h.reason) for h in history][-1] == ("reject", "not what the video says")
