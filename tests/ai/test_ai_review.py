"""Review workflow: approve, reject, edit (then approve), history rows, audit, and the student-side guard."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from platform_core.ai import jobs, review
from platform_core.db.session import tenant_session
from platform_core.models import Question, QuestionAttempt, QuestionReview, QuestionStatus, ReviewAction
from platform_core.tenancy.users import create_user
from platform_core.validation import InvalidInput
from tests.ai.conftest import AITenant, owner_rows


@pytest.fixture
def generated(ai_tenant: AITenant) -> tuple[AITenant, list[uuid.UUID], dict[str, uuid.UUID]]:
    """Offline-generated questions awaiting review, and a teacher and a student of the tenant."""
    result = jobs.generate_questions(
        ai_tenant.tenant_id, video_id=ai_tenant.video_id, params={"windowSeconds": 30}
    )
    assert result.status.value == "succeeded" and result.questions_created >= 4
    with tenant_session(ai_tenant.tenant_id) as session:
        teacher = create_user(
            session, email=f"t-{uuid.uuid4().hex[:6]}@x.test", display_name="T", role="teacher"
        )
        student = create_user(
            session, email=f"s-{uuid.uuid4().hex[:6]}@x.test", display_name="S", role="student"
        )
    return ai_tenant, result.question_ids, {"teacher": teacher.id, "student": student.id}


def status_of(tenant: AITenant, question_id: uuid.UUID) -> QuestionStatus:
    with tenant_session(tenant.tenant_id) as session:
        return session.scalar(select(Question.status).where(Question.id == question_id))


def answer(tenant: AITenant, question_id: uuid.UUID, student_id: uuid.UUID) -> None:
    with tenant_session(tenant.tenant_id, user_id=student_id) as session:
        session.add(
            QuestionAttempt(
                tenant_id=tenant.tenant_id,
                student_id=student_id,
                question_id=question_id,
                attempt_number=1,
                response=True,
                fraction=1.0,
                points_awarded=1.0,
                points_possible=1.0,
                is_correct=True,
            )
        )


def test_students_cannot_answer_an_ai_question_until_a_person_approves_it(generated):
    tenant, ids, users = generated
    with pytest.raises(DBAPIError, match="only approved or published questions can be answered"):
        answer(tenant, ids[0], users["student"])
    with tenant_session(tenant.tenant_id, user_id=users["teacher"]) as session:
        review.approve_questions(session, question_ids=[ids[0]])
    answer(tenant, ids[0], users["student"])  # now it may be answered


def test_approve_reject_and_history_with_before_after_and_audit(generated, database):
    tenant, ids, users = generated
    with tenant_session(tenant.tenant_id, user_id=users["teacher"]) as session:
        approved = review.approve_questions(session, question_ids=ids[:2], reason="checked against the video")
        rejected = review.reject_questions(session, question_ids=[ids[2]], reason="ambiguous wording")
    assert [o.status_after for o in approved] == [QuestionStatus.APPROVED] * 2
    assert status_of(tenant, ids[2]) is QuestionStatus.REJECTED
    with tenant_session(tenant.tenant_id) as session:
        [row] = review.review_history(session, question_id=ids[2])
    assert row.action is ReviewAction.REJECT and row.reason == "ambiguous wording"
    assert row.reviewer_id == users["teacher"]
    assert row.before["status"] == "pending_review" and row.after["status"] == "rejected"
    events = owner_rows(
        database,
        "SELECT record_id, actor_id, new_data->>'action' FROM audit_logs "
        "WHERE tenant_id = :t AND action = 'REVIEW' ORDER BY occurred_at",
        t=tenant.tenant_id,
    )
    assert {(r[0], r[2]) for r in events} == {
        (str(ids[0]), "approve"),
        (str(ids[1]), "approve"),
        (str(rejected[0].question_id), "reject"),
    }
    assert {r[1] for r in events} == {users["teacher"]}


def test_reject_needs_a_reason_and_bulk_actions_are_all_or_nothing(generated):
    tenant, ids, _users = generated
    with pytest.raises(InvalidInput, match="reason"), tenant_session(tenant.tenant_id) as session:
        review.reject_questions(session, question_ids=[ids[0]], reason="  ")
    with tenant_session(tenant.tenant_id) as session:
        review.approve_questions(session, question_ids=[ids[0]])
    with (
        pytest.raises(InvalidInput, match=f"{ids[0]} is approved"),
        tenant_session(tenant.tenant_id) as session,
    ):
        review.approve_questions(session, question_ids=[ids[1], ids[0]])
    assert status_of(tenant, ids[1]) is QuestionStatus.PENDING_REVIEW  # nothing changed


def test_students_may_not_review(generated):
    tenant, ids, users = generated
    with (
        pytest.raises(InvalidInput, match="teachers and admins"),
        tenant_session(tenant.tenant_id, user_id=users["student"]) as session,
    ):
        review.approve_questions(session, question_ids=[ids[0]])


def test_edit_then_approve_and_editing_an_approved_question_sends_it_back(generated):
    tenant, ids, users = generated
    with tenant_session(tenant.tenant_id) as session:
        question = session.get(Question, (tenant.tenant_id, ids[0]))
        kind, data = question.type.value, question.data
    new_prompt = "Rewritten by the teacher: " + uuid.uuid4().hex[:6]
    with tenant_session(tenant.tenant_id, user_id=users["teacher"]) as session:
        [edited] = review.edit_questions(
            session, edits=[{"id": str(ids[0]), "prompt": new_prompt}], approve=True
        )
    assert edited.action is ReviewAction.EDIT_APPROVE and status_of(tenant, ids[0]) is QuestionStatus.APPROVED
    with tenant_session(tenant.tenant_id, user_id=users["teacher"]) as session:
        [back] = review.edit_questions(session, edits=[{"id": str(ids[0]), "prompt": new_prompt + "!"}])
    assert back.action is ReviewAction.RETURN_TO_REVIEW
    assert status_of(tenant, ids[0]) is QuestionStatus.PENDING_REVIEW
    with tenant_session(tenant.tenant_id) as session:
        history = review.review_history(session, question_id=ids[0])
        version = session.scalar(select(Question.version).where(Question.id == ids[0]))
    assert [h.action for h in history] == [ReviewAction.EDIT_APPROVE, ReviewAction.RETURN_TO_REVIEW]
    assert history[0].before["prompt"] != history[0].after["prompt"] == new_prompt
    assert version == 3
    with pytest.raises(InvalidInput, match="data"), tenant_session(tenant.tenant_id) as session:
        bad = {"id": str(ids[1]), "type": kind, "data": {**data, "options": []} if "options" in data else {}}
        review.edit_questions(session, edits=[bad], approve=True)


def test_pending_listing_pages_and_filters(generated):
    tenant, ids, _ = generated
    with tenant_session(tenant.tenant_id) as session:
        first = review.pending_questions(session, limit=2)
        rest = review.pending_questions(session, limit=100, after=first[-1].id)
        other_video = review.pending_questions(session, video_id=uuid.uuid4())
        rows = session.scalar(select(QuestionReview.id).limit(1))
    assert {q.id for q in first + rest} == set(ids) and other_video == [] and rows is None
