"""Writing a :class:`TenantPlan` into the platform through its own services.

People through ``tenancy.users.create_user`` (one account per role gets a password: argon2 is slow on
purpose), content through ``platform_core.content`` (acting as the lesson's author), classes,
enrollments and assignments through ``content.classes``, and the A/B experiments with their assignments.
Each step is one transaction (people in chunks), so a failure leaves at most whole steps behind and
``--replace`` clears them.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from platform_core.content import classes as class_service
from platform_core.content import lessons as lesson_service
from platform_core.content import milestones as milestone_service
from platform_core.content import questions as question_service
from platform_core.content import videos as video_service
from platform_core.db.session import tenant_session
from platform_core.models import Experiment, ExperimentAssignment, ExperimentStatus, User
from platform_core.simulation.content_plan import LessonPlan, PersonPlan, TenantPlan
from platform_core.tenancy.users import create_user

Progress = Callable[[str, int, int], None]
PEOPLE_PER_TRANSACTION = 500


@dataclass
class WrittenTenant:
    tenant_id: uuid.UUID
    slug: str
    #: plan person id -> the user id the platform gave them
    user_ids: dict[uuid.UUID, uuid.UUID] = field(default_factory=dict)
    #: accounts with a password: role, email, password
    accounts: list[dict[str, str]] = field(default_factory=list)


def password_for(person: PersonPlan, seed: int) -> str:
    return f"sim-{person.role}-{seed}"


def write_people(
    written: WrittenTenant, plan: TenantPlan, *, seed: int, progress: Progress | None = None
) -> None:
    """Create every person of the plan (existing accounts are looked up by email instead)."""
    people = [*plan.admins, *plan.teachers, *plan.students]
    # argon2 is slow on purpose: one account per role gets a password, the others none.
    with_password = {p.id for p in [*plan.admins, plan.teachers[0], plan.students[0]]}
    for start in range(0, len(people), PEOPLE_PER_TRANSACTION):
        chunk = people[start : start + PEOPLE_PER_TRANSACTION]
        with tenant_session(written.tenant_id) as session:
            for person in chunk:
                if person.existing:
                    user_id = session.scalar(
                        select(User.id).where(func.lower(User.email) == person.email.lower())
                    )
                    if user_id is None:
                        raise LookupError(f"existing account {person.email} not found")
                    written.user_ids[person.id] = user_id
                    continue
                password = password_for(person, seed) if person.id in with_password else None
                user = create_user(
                    session, email=person.email, display_name=person.name, role=person.role, password=password
                )
                written.user_ids[person.id] = user.id
                if password is not None:
                    written.accounts.append(
                        {"role": person.role, "email": person.email, "password": password}
                    )
        if progress is not None:
            progress("people", min(start + PEOPLE_PER_TRANSACTION, len(people)), len(people))


def _write_lesson(session: Any, lesson: LessonPlan, *, publish: bool) -> None:
    lesson_service.create_lesson(
        session,
        id=lesson.id,
        title=lesson.title,
        description=lesson.description,
        grading_method=lesson.grading_method,
        settings=lesson.settings,
    )
    for group in lesson.groups:
        lesson_service.create_video_group(session, lesson_id=lesson.id, title=group.title, id=group.id)
        for video_id in group.video_ids:
            video_service.add_video_to_group(session, group_id=group.id, video_id=video_id)
    if publish:
        lesson_service.publish_lesson(session, lesson_id=lesson.id, now=None)


def write_content(written: WrittenTenant, plan: TenantPlan, *, progress: Progress | None = None) -> None:
    """Videos (with transcripts and metadata), lessons, groups, milestones and published questions, written
    by the lessons' authors; remedial videos first, since milestones jump to them."""
    authors = {lesson.id: plan.teachers[lesson.author_index] for lesson in plan.lessons}
    lesson_of: dict[uuid.UUID, uuid.UUID] = {}
    for lesson in plan.lessons:
        for video_id in lesson.video_ids:
            lesson_of.setdefault(video_id, lesson.id)
    first_author = written.user_ids[plan.teachers[0].id]
    ordered = sorted(plan.videos.values(), key=lambda v: not v.remedial)
    for number, video in enumerate(ordered, start=1):
        lesson_id = lesson_of.get(video.id)
        author = written.user_ids[authors[lesson_id].id] if lesson_id else first_author
        with tenant_session(written.tenant_id, user_id=author) as session:
            video_service.create_video(
                session,
                id=video.id,
                title=video.title,
                description=video.description,
                duration_seconds=video.duration,
                transcript=video.transcript,
                metadata=video.metadata,
                source_url=video.source_url,
                prevent_skipping=video.prevent_skipping,
                completion_threshold=video.completion_threshold,
            )
            for milestone in video.milestones:
                milestone_service.create_milestone(
                    session,
                    id=milestone.id,
                    video_id=video.id,
                    timestamp_seconds=milestone.timestamp,
                    title=milestone.title,
                    settings=milestone.settings,
                )
                for question in milestone.questions:
                    question_service.create_question(
                        session,
                        id=question.id,
                        video_id=video.id,
                        milestone_id=milestone.id,
                        type=question.type,
                        prompt=question.prompt,
                        data=question.data,
                        explanation=question.explanation,
                        points=question.points,
                        max_attempts=question.max_attempts,
                        penalty=question.penalty,
                        publish=True,
                    )
        if progress is not None:
            progress("videos", number, len(ordered))
    for lesson in [*plan.lessons, plan.extra_lesson]:
        author = written.user_ids[authors[lesson.id].id] if lesson.id in authors else first_author
        with tenant_session(written.tenant_id, user_id=author) as session:
            _write_lesson(session, lesson, publish=True)


def write_classes(written: WrittenTenant, plan: TenantPlan) -> None:
    """Classes with their teacher, students and assigned lessons (due dates across the simulated weeks)."""
    for klass in plan.classes:
        teacher = written.user_ids[plan.teachers[klass.teacher_index].id]
        with tenant_session(written.tenant_id, user_id=teacher) as session:
            class_service.create_class(
                session, id=klass.id, name=klass.name, code=klass.code, teacher_id=teacher
            )
            class_service.enroll_students(
                session,
                class_id=klass.id,
                student_ids=[written.user_ids[plan.students[i].id] for i in klass.student_indexes],
                enrolled_at=plan.start,
            )
            for assignment in klass.assignments:
                class_service.assign_lesson(
                    session,
                    class_id=klass.id,
                    lesson_id=assignment.lesson_id,
                    due_at=assignment.due_at,
                    assigned_at=assignment.assigned_at,
                )


def write_experiments(
    written: WrittenTenant, plan: TenantPlan, variants: dict[uuid.UUID, dict[str, str]]
) -> None:
    """The running A/B experiments and each student's variant (plan student id -> key -> variant)."""
    admin = written.user_ids[plan.admins[0].id]
    with tenant_session(written.tenant_id, user_id=admin) as session:
        for experiment in plan.experiments:
            session.add(
                Experiment(
                    id=experiment.id,
                    tenant_id=written.tenant_id,
                    key=experiment.key,
                    name=experiment.name,
                    description=experiment.description,
                    variants=experiment.variants,
                    status=ExperimentStatus.RUNNING,
                    started_at=experiment.started_at,
                )
            )
        session.flush()
        for student in plan.students:
            for experiment in plan.experiments:
                variant = variants.get(student.id, {}).get(experiment.key)
                if variant is None:
                    continue
                session.add(
                    ExperimentAssignment(
                        tenant_id=written.tenant_id,
                        experiment_id=experiment.id,
                        user_id=written.user_ids[student.id],
                        variant=variant,
                        assigned_at=experiment.started_at,
                    )
                )
