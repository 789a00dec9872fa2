"""The demo tenant and its sign-in credentials (idempotent: running the demo twice changes nothing).

The first run also seeds the tenant with the small simulated school (``ilp seed --scale small``): the demo
teacher teaches every seeded class, so the teacher dashboard has data, and the demo student is one of the
enrolled students, with eight weeks of activity of their own.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select

from platform_core.ai.jobs import generate_questions
from platform_core.analytics.rollups import refresh_rollups
from platform_core.db.session import tenant_session
from platform_core.models import Lesson, Tenant, User, UserRole, Video
from platform_core.ops.metrics import take_snapshot
from platform_core.simulation.content_plan import SCALES, PersonPlan, TenantPlan, plan_tenant
from platform_core.simulation.seed import TenantReport, seed_tenant
from platform_core.tenancy.tenants import TenantNotFound, create_tenant, tenant_id_for_slug
from platform_core.tenancy.users import create_user

DEMO_TENANT = "demo"
#: The seed of the demo school: every demo database holds the same lessons, videos and questions.
DEMO_SEED = 2026


@dataclass(frozen=True)
class DemoAccount:
    role: UserRole
    email: str
    password: str
    name: str


DEMO_ACCOUNTS = (
    DemoAccount(UserRole.ADMIN, "admin@demo.school", "demo-admin-2026", "Ada Admin"),
    DemoAccount(UserRole.TEACHER, "teacher@demo.school", "demo-teacher-2026", "Tom Teacher"),
    DemoAccount(UserRole.RESEARCHER, "researcher@demo.school", "demo-research-2026", "Rita Researcher"),
    DemoAccount(UserRole.STUDENT, "student@demo.school", "demo-student-2026", "Sam Student"),
)


def ensure_demo_tenant(
    *,
    seed_data: bool = True,
    now: datetime | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> Tenant | None:
    """Create the demo tenant and its accounts when missing, and seed it once (``seed_data``) with the small
    simulated school ending at ``now`` (default: the current time); returns the tenant if it was created."""
    try:
        tenant_id = tenant_id_for_slug(DEMO_TENANT)
        created = None
    except TenantNotFound:
        created = create_tenant(slug=DEMO_TENANT, name="Demo School")
        tenant_id = created.id
    with tenant_session(tenant_id) as session:
        existing = set(session.scalars(select(func.lower(User.email))))
        for account in DEMO_ACCOUNTS:
            if account.email not in existing:
                create_user(
                    session,
                    email=account.email,
                    display_name=account.name,
                    role=account.role,
                    password=account.password,
                )
        seeded = bool(session.scalar(select(func.count()).select_from(Lesson)))
    if seed_data and not seeded:
        seed_demo_school(tenant_id, now=now, progress=progress)
        prepare_demo_views(tenant_id)
    return created


def prepare_demo_views(tenant_id: uuid.UUID) -> None:
    """What a running platform would have done by now, so every dashboard page has something to show:
    roll-ups refreshed, one monitoring snapshot, and offline-generated AI questions waiting for review."""
    with tenant_session(tenant_id) as session:
        refresh_rollups(session)
        teacher = session.scalar(select(User.id).where(User.email == "teacher@demo.school"))
        video = next((v for v in session.scalars(select(Video).order_by(Video.title)) if v.transcript), None)
    take_snapshot()
    if video is not None:
        generate_questions(tenant_id, video_id=video.id, user_id=teacher)


def demo_plan(now: datetime) -> TenantPlan:
    """The small seeded school, with the demo accounts in the roles of its admin, researcher, first teacher
    (who teaches every class) and first student."""
    plan = plan_tenant(DEMO_SEED, SCALES["small"], 0, now=now, slug=DEMO_TENANT)
    plan.name = "Demo School"
    by_role = {account.role.value: account for account in DEMO_ACCOUNTS}

    def adopt(person: PersonPlan, role: str) -> None:
        account = by_role[role]
        person.email, person.name, person.existing = account.email, account.name, True

    adopt(plan.admins[0], "admin")
    adopt(plan.admins[1], "researcher")
    adopt(plan.teachers[0], "teacher")
    adopt(plan.students[0], "student")
    for klass in plan.classes:
        klass.teacher_index = 0
    return plan


def seed_demo_school(
    tenant_id: uuid.UUID,
    *,
    now: datetime | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> TenantReport:
    anchor = (now or datetime.now(UTC)).replace(microsecond=0)
    return seed_tenant(tenant_id, demo_plan(anchor), seed=DEMO_SEED, progress=progress)
