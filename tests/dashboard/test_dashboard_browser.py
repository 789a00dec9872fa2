"""End to end in a real browser: Debian's Chromium (Playwright) against `streamlit run` on a free port, on
the demo tenant. Sign in as each role and open every page; role boundaries by URL; deep links; edit and
approve an AI question (then grade an answer to it and find the action in the audit log); place a milestone.
A failing test leaves a full-page screenshot in test-artifacts/."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from dashboard.registry import pages_for
from platform_core.audit.log import audit_entries
from platform_core.db.session import tenant_session
from platform_core.grading.attempts import submit_attempt
from platform_core.models import Milestone, Question, QuestionStatus, User, UserRole
from tests.dashboard.browser import (
    chromium,
    errors_on,
    open_page,
    screenshot,
    sign_in,
    streamlit_server,
    wait_for_title,
    wait_ready,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="session")
def site(demo_data) -> Iterator[str]:
    with streamlit_server() as base:
        yield base


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    with chromium() as found:
        yield found


@pytest.fixture
def page(browser, request) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    tab = context.new_page()
    try:
        yield tab
    finally:
        report = getattr(request.node, "report_call", None)
        if report is not None and report.failed:
            screenshot(tab, re.sub(r"[^\w.-]+", "_", request.node.name))
        context.close()


def _sign_in(page, site, demo_data, role: UserRole, path: str = "") -> None:
    account = demo_data.accounts[role]
    sign_in(page, site, organisation="demo", email=account.email, password=account.password, path=path)


@pytest.mark.parametrize(
    "role", [UserRole.TEACHER, UserRole.ADMIN, UserRole.RESEARCHER, UserRole.STUDENT], ids=lambda r: r.value
)
def test_each_role_opens_every_page_with_data_and_no_error(page, site, demo_data, role) -> None:
    _sign_in(page, site, demo_data, role)
    nav = page.locator('[data-testid="stSidebarNav"]')
    titles = [spec.title for spec in pages_for(role) if spec.file != "sign_out.py"]
    for title in titles:
        assert nav.get_by_text(title, exact=True).count() == 1, f"{title} missing from the navigation"
        open_page(page, title)
        assert errors_on(page) == [], f"{title} as {role.value}: {errors_on(page)}"
    if role is not UserRole.ADMIN:
        assert nav.get_by_text("Audit log", exact=True).count() == 0


def test_a_teacher_cannot_reach_admin_pages_by_url(page, site, demo_data) -> None:
    _sign_in(page, site, demo_data, UserRole.TEACHER)
    for path in ("users", "audit", "db-health", "ai-usage"):
        page.goto(f"{site}/{path}")  # a typed URL is a fresh session: the sign-in page, never the admin page
        page.get_by_role("textbox", name="Organisation").wait_for()
        assert page.locator("h1", has_text=re.compile("Users|Audit|Database|AI usage")).count() == 0
    _sign_in(page, site, demo_data, UserRole.TEACHER, path="audit")  # signs in on /audit: lands on Overview
    wait_for_title(page, "Overview")
    assert page.locator("h1", has_text="Audit log").count() == 0
    assert page.locator('[data-testid="stSidebarNav"]').get_by_text("Audit log", exact=True).count() == 0


def test_a_deep_link_opens_after_signing_in_with_its_filters(page, site, demo_data) -> None:
    with tenant_session(demo_data.tenant_id) as s:
        video_id = s.scalar(select(Question.video_id).limit(1))
    _sign_in(page, site, demo_data, UserRole.TEACHER, path=f"video?video={video_id}")
    wait_for_title(page, "Video engagement")
    assert f"video={video_id}" in page.url


def test_edit_and_approve_an_ai_question_makes_it_gradable_and_audited(page, site, demo_data) -> None:
    question_id = demo_data.generated_question_ids[0]
    _sign_in(page, site, demo_data, UserRole.TEACHER, path=f"review?question={question_id}")
    wait_for_title(page, "Question review")
    prompt = page.get_by_role("textbox", name="Question", exact=True)
    edited = f"{prompt.input_value().rstrip('?')} (checked by the teacher)?"
    prompt.fill(edited)
    prompt.press("Control+Enter")
    wait_ready(page)
    page.get_by_role("button", name="Save edits and approve").click()
    page.get_by_text("Approved: students can now answer it").wait_for(timeout=60_000)
    wait_ready(page)
    assert errors_on(page) == []

    with tenant_session(demo_data.tenant_id) as s:
        question = s.get(Question, (demo_data.tenant_id, question_id))
        assert question is not None
        assert question.status is QuestionStatus.APPROVED
        assert question.prompt == " ".join(edited.split())
        student = s.scalar(select(User.id).where(User.email == demo_data.accounts[UserRole.STUDENT].email))
        answer = _some_answer(question.type.value, question.data)
    with tenant_session(demo_data.tenant_id, user_id=student) as s:
        outcome = submit_attempt(s, student_id=student, question_id=question_id, response=answer)
    assert 0.0 <= outcome.fraction <= 1.0
    with tenant_session(demo_data.tenant_id) as s:
        reviews = audit_entries(s, actions=["REVIEW"], record_id=str(question_id))
    assert reviews.height >= 1
    assert "edit_approve" in reviews["new_data"][0]


def _some_answer(kind: str, data: dict[str, Any]) -> Any:
    if kind == "multiple_choice":
        return data["options"][0]["id"]
    if kind == "true_false":
        return True
    return "an answer"


def test_create_a_milestone_on_the_timeline(page, site, demo_data) -> None:
    title = f"Check {uuid.uuid4().hex[:6]}"
    _sign_in(page, site, demo_data, UserRole.TEACHER)
    open_page(page, "Milestones")
    at = page.get_by_role("spinbutton", name="At (seconds)")
    at.fill("37")
    at.press("Enter")
    wait_ready(page)
    name = page.get_by_role("textbox", name="Title")
    name.fill(title)
    name.press("Enter")
    wait_ready(page)
    page.get_by_role("button", name="Create milestone").click()
    page.get_by_text("Milestone at 0:37 saved").wait_for(timeout=60_000)
    wait_ready(page)
    assert errors_on(page) == []
    with tenant_session(demo_data.tenant_id) as s:
        stop = s.scalar(select(Milestone).where(Milestone.title == title))
    assert stop is not None and stop.timestamp_seconds == 37.0
