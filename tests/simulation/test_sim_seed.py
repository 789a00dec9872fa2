"""`ilp seed` end to end on the embedded PostgreSQL: a small school written through the platform's APIs,
refusing or replacing existing tenants, deterministic content and event ids; and the seeded demo tenant."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from platform_core.db.session import tenant_session
from platform_core.models import (
    AnalyticsEvent,
    Enrollment,
    ExperimentAssignment,
    Lesson,
    LessonStatus,
    Milestone,
    Question,
    QuestionAttempt,
    QuestionStatus,
    SchoolClass,
    StudentProgress,
    StudentSession,
    User,
    Video,
)
from platform_core.tenancy.tenants import tenant_id_for_slug
from platform_core.tenancy.users import authenticate

pytestmark = pytest.mark.slow

ILP = [sys.executable, "-m", "platform_core.cli.main"]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def embedded(database):
    if database.server != "embedded":
        pytest.skip("the end-to-end seed runs on the embedded server")
    return database


def _anchor() -> datetime:
    return (datetime.now(UTC) - timedelta(hours=3)).replace(minute=0, second=0, microsecond=0)


def _ilp(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*ILP, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=dict(os.environ),
        timeout=1200,
        check=False,
    )


def test_ilp_seed_small_end_to_end(embedded) -> None:
    now = _anchor()
    done = _ilp("seed", "--scale", "small", "--seed", "4", "--now", now.isoformat(), "--json")
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    (tenant,) = report["tenants"]
    counts, ingest, activity = tenant["counts"], tenant["ingest"], tenant["activity"]
    assert tenant["slug"] == "sim-small-4-1"
    assert (counts["students"], counts["teachers"], counts["classes"]) == (60, 2, 3)
    assert counts["lessons"] == 4 and 12 <= counts["videos"] <= 20 and counts["question_types"] == 7
    assert counts["experiments"] == 2
    assert ingest["quarantined"] == 0 and ingest["duplicates"] == 0
    assert ingest["stored"] == ingest["received"] == activity["events"] == counts["events"] > 5000
    assert counts["attempts"] == activity["attempts"] > 200
    assert activity["jump_detours"] + activity["seek_detours"] > 0 and activity["device_switches"] > 0
    assert sorted(a["role"] for a in tenant["accounts"]) == ["admin", "researcher", "student", "teacher"]

    tenant_id = uuid.UUID(tenant["tenant_id"])
    with tenant_session(tenant_id) as s:
        assert (
            s.scalar(
                select(func.count()).select_from(Question).where(Question.status != QuestionStatus.PUBLISHED)
            )
            == 0
        )
        assert set(s.scalars(select(Lesson.status))) == {LessonStatus.PUBLISHED}
        assert s.scalar(select(func.count()).select_from(Enrollment)) == 60
        assert s.scalar(select(func.count()).select_from(ExperimentAssignment)) == 120
        teachers = set(s.scalars(select(SchoolClass.teacher_id)))
        assert {u.role.value for u in s.scalars(select(User).where(User.id.in_(teachers)))} == {"teacher"}
        first, last = s.execute(
            select(func.min(AnalyticsEvent.occurred_at), func.max(AnalyticsEvent.occurred_at))
        ).one()
        assert now - timedelta(weeks=8) <= first and last <= now
        assert s.scalar(select(func.count(func.distinct(StudentSession.device_fingerprint)))) > 40
        assert s.scalar(select(func.sum(StudentProgress.remedial_detours))) > 0
        assert (
            s.scalar(select(func.count()).select_from(StudentProgress).where(StudentProgress.is_completed))
            > 50
        )
        wrong = s.scalar(
            select(func.count()).select_from(QuestionAttempt).where(QuestionAttempt.is_correct.is_(False))
        )
        assert 0 < wrong < counts["attempts"]
        hour = func.extract("hour", AnalyticsEvent.occurred_at).label("hour")
        hours = s.execute(
            select(hour, func.count()).where(AnalyticsEvent.type == "login").group_by(hour)
        ).all()
        assert sum(n for h, n in hours if 8 <= h <= 23) / sum(n for _, n in hours) > 0.95
    account = next(a for a in tenant["accounts"] if a["role"] == "teacher")
    assert authenticate(tenant_slug="sim-small-4-1", email=account["email"], password=account["password"])

    refused = _ilp("seed", "--scale", "small", "--seed", "4", "--now", now.isoformat())
    assert refused.returncode == 1
    assert "sim-small-4-1" in refused.stderr and "--replace" in refused.stderr

    # --replace drops the tenant and recreates it; the same seed gives the same content and event ids.
    ids_before = _ids(tenant_id)
    again = _ilp("seed", "--scale", "small", "--seed", "4", "--now", now.isoformat(), "--json", "--replace")
    assert again.returncode == 0, again.stderr[-3000:]
    after = tenant_id_for_slug("sim-small-4-1")
    assert after != tenant_id
    with tenant_session(tenant_id) as s:
        assert s.scalar(select(func.count()).select_from(Lesson)) == 0, "the old tenant is gone"
    assert _ids(after) == ids_before


def _ids(tenant_id: uuid.UUID) -> dict[str, list]:
    with tenant_session(tenant_id) as s:
        return {
            "lessons": sorted(s.scalars(select(Lesson.id))),
            "videos": sorted(s.scalars(select(Video.id))),
            "milestones": sorted(s.scalars(select(Milestone.id))),
            "questions": sorted(s.scalars(select(Question.id))),
            "classes": sorted(s.scalars(select(SchoolClass.id))),
            "events": sorted(s.scalars(select(AnalyticsEvent.id))),
            "event_times": sorted(s.scalars(select(AnalyticsEvent.occurred_at))),
        }


@pytest.fixture
def empty_embedded(fresh_database):
    """A migrated database of its own: other suites seed the demo tenant into the shared one."""
    if fresh_database.server != "embedded":
        pytest.skip("the demo seed runs on the embedded server")
    from platform_core.db import migrate

    migrate.upgrade("heads")
    return fresh_database


def test_demo_tenant_is_seeded_once_with_the_demo_accounts(empty_embedded) -> None:
    from platform_core.demo import DEMO_ACCOUNTS, DEMO_TENANT, ensure_demo_tenant

    created = ensure_demo_tenant(now=_anchor())
    assert created is not None
    tenant_id = tenant_id_for_slug(DEMO_TENANT)
    with tenant_session(tenant_id) as s:
        users = {u.email: u for u in s.scalars(select(User))}
        teacher, student = users["teacher@demo.school"], users["student@demo.school"]
        assert set(s.scalars(select(SchoolClass.teacher_id))) == {teacher.id}
        assert (
            s.scalar(select(func.count()).select_from(Enrollment).where(Enrollment.student_id == student.id))
            == 1
        )
        counts = (
            s.scalar(select(func.count()).select_from(Lesson)),
            s.scalar(select(func.count()).select_from(AnalyticsEvent)),
            len(users),
        )
        assert counts[0] == 4 and counts[1] > 5000 and counts[2] == 64
    assert ensure_demo_tenant() is None
    with tenant_session(tenant_id) as s:
        assert s.scalar(select(func.count()).select_from(AnalyticsEvent)) == counts[1], "seeded only once"
    for account in DEMO_ACCOUNTS:
        signed_in = authenticate(tenant_slug=DEMO_TENANT, email=account.email, password=account.password)
        assert signed_in.role == account.role
