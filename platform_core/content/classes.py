"""Classes, enrollments and lesson assignments (what a teacher's dashboard is organised by)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from platform_core.content.common import (
    UNSET,
    _Unset,
    as_uuid,
    check_permutation,
    fetch,
    optional_text,
    required_text,
    tenant_of,
)
from platform_core.models import ClassLesson, Enrollment, Lesson, SchoolClass, User, UserRole
from platform_core.validation import InvalidInput

#: Roles that may teach a class.
TEACHING_ROLES = frozenset({UserRole.TEACHER, UserRole.ADMIN})


def _teacher(session: Session, teacher_id: uuid.UUID | str | None) -> uuid.UUID | None:
    if teacher_id is None:
        return None
    user = fetch(session, User, teacher_id, "teacher_id")
    if user.role not in TEACHING_ROLES:
        raise InvalidInput("teacher_id", f"user {user.id} is a {user.role.value}, not a teacher")
    return user.id


def _code(value: Any) -> str | None:
    code = optional_text(value, "code", max_length=64)
    if code is not None and any(ch.isspace() for ch in code):
        raise InvalidInput("code", "must not contain spaces")
    return code


def _aware(value: datetime | None, field: str) -> datetime | None:
    if value is not None and (not isinstance(value, datetime) or value.tzinfo is None):
        raise InvalidInput(field, "must be a datetime with a time zone")
    return value


# ------------------------------------------------------------------------------------------ classes
def create_class(
    session: Session,
    *,
    name: str,
    teacher_id: uuid.UUID | str | None = None,
    code: str | None = None,
    description: str | None = None,
    id: uuid.UUID | None = None,
) -> SchoolClass:
    klass = SchoolClass(
        id=id or uuid.uuid4(),
        tenant_id=tenant_of(session),
        name=required_text(name, "name"),
        teacher_id=_teacher(session, teacher_id),
        code=_code(code),
        description=optional_text(description, "description"),
    )
    session.add(klass)
    session.flush()
    return klass


def get_class(session: Session, *, class_id: uuid.UUID | str) -> SchoolClass:
    return fetch(session, SchoolClass, class_id, "class_id")


def update_class(
    session: Session,
    *,
    class_id: uuid.UUID | str,
    name: str | _Unset = UNSET,
    teacher_id: uuid.UUID | str | _Unset | None = UNSET,
    code: str | _Unset | None = UNSET,
    description: str | _Unset | None = UNSET,
) -> SchoolClass:
    klass = fetch(session, SchoolClass, class_id, "class_id", lock=True)
    if name is not UNSET:
        klass.name = required_text(name, "name")
    if teacher_id is not UNSET:
        klass.teacher_id = _teacher(session, teacher_id)
    if code is not UNSET:
        klass.code = _code(code)
    if description is not UNSET:
        klass.description = optional_text(description, "description")
    session.flush()
    return klass


def archive_class(session: Session, *, class_id: uuid.UUID | str, archived: bool = True) -> SchoolClass:
    """Archive (or with ``archived=False`` restore) a class; archived classes drop out of default lists."""
    klass = fetch(session, SchoolClass, class_id, "class_id", lock=True)
    klass.archived_at = func.now() if archived else None  # type: ignore[assignment]
    session.flush()
    session.refresh(klass, ["archived_at"])
    return klass


def delete_class(session: Session, *, class_id: uuid.UUID | str) -> None:
    """Delete a class with its enrollments and assignments (students and lessons stay)."""
    session.delete(fetch(session, SchoolClass, class_id, "class_id", lock=True))
    session.flush()


def list_classes(
    session: Session,
    *,
    teacher_id: uuid.UUID | str | None = None,
    student_id: uuid.UUID | str | None = None,
    include_archived: bool = False,
) -> list[SchoolClass]:
    """Classes by name, optionally of one teacher or of one enrolled student."""
    tenant_id = tenant_of(session)
    query = select(SchoolClass).where(SchoolClass.tenant_id == tenant_id)
    if teacher_id is not None:
        query = query.where(SchoolClass.teacher_id == as_uuid(teacher_id, "teacher_id"))
    if student_id is not None:
        enrolled = select(Enrollment.class_id).where(
            Enrollment.tenant_id == tenant_id, Enrollment.student_id == as_uuid(student_id, "student_id")
        )
        query = query.where(SchoolClass.id.in_(enrolled))
    if not include_archived:
        query = query.where(SchoolClass.archived_at.is_(None))
    return list(session.scalars(query.order_by(SchoolClass.name, SchoolClass.id)))


# -------------------------------------------------------------------------------------- enrollments
def enroll_students(
    session: Session,
    *,
    class_id: uuid.UUID | str,
    student_ids: Iterable[uuid.UUID | str],
    enrolled_at: datetime | None = None,
) -> int:
    """Enroll students in a class (idempotent); returns how many were newly enrolled. Every id must be an
    active student of the tenant."""
    klass = fetch(session, SchoolClass, class_id, "class_id")
    wanted = list(dict.fromkeys(as_uuid(s, f"student_ids[{i}]") for i, s in enumerate(student_ids)))
    if not wanted:
        return 0
    found = {
        row.id: row
        for row in session.execute(
            select(User.id, User.role, User.is_active).where(
                User.tenant_id == klass.tenant_id, User.id.in_(wanted)
            )
        )
    }
    for index, ident in enumerate(wanted):
        row = found.get(ident)
        if row is None:
            raise InvalidInput(f"student_ids[{index}]", f"no user {ident} in this tenant")
        if row.role is not UserRole.STUDENT:
            raise InvalidInput(f"student_ids[{index}]", f"user {ident} is a {row.role.value}, not a student")
        if not row.is_active:
            raise InvalidInput(f"student_ids[{index}]", f"user {ident} is deactivated")
    values = [{"tenant_id": klass.tenant_id, "class_id": klass.id, "student_id": ident} for ident in wanted]
    if enrolled_at is not None:
        for value in values:
            value["enrolled_at"] = _aware(enrolled_at, "enrolled_at")
    result = session.execute(
        insert(Enrollment).values(values).on_conflict_do_nothing().returning(Enrollment.student_id)
    )
    return len(result.all())


def unenroll_student(session: Session, *, class_id: uuid.UUID | str, student_id: uuid.UUID | str) -> bool:
    klass = fetch(session, SchoolClass, class_id, "class_id")
    removed = session.execute(
        delete(Enrollment).where(
            Enrollment.tenant_id == klass.tenant_id,
            Enrollment.class_id == klass.id,
            Enrollment.student_id == as_uuid(student_id, "student_id"),
        )
    ).rowcount
    return bool(removed)


def list_class_students(session: Session, *, class_id: uuid.UUID | str) -> list[User]:
    klass = fetch(session, SchoolClass, class_id, "class_id")
    query = (
        select(User)
        .join(Enrollment, (Enrollment.tenant_id == User.tenant_id) & (Enrollment.student_id == User.id))
        .where(Enrollment.tenant_id == klass.tenant_id, Enrollment.class_id == klass.id)
        .order_by(User.display_name, User.id)
    )
    return list(session.scalars(query))


# ------------------------------------------------------------------------------------- assignments
def assign_lesson(
    session: Session,
    *,
    class_id: uuid.UUID | str,
    lesson_id: uuid.UUID | str,
    due_at: datetime | None = None,
    position: int | None = None,
    assigned_at: datetime | None = None,
) -> ClassLesson:
    """Assign a lesson to a class (default: last in the class's order). Assigning it again updates the due
    date and, when given, moves it to ``position``."""
    klass = fetch(session, SchoolClass, class_id, "class_id", lock=True)
    lesson = fetch(session, Lesson, lesson_id, "lesson_id")
    if position is not None and (isinstance(position, bool) or not isinstance(position, int) or position < 0):
        raise InvalidInput("position", "must be an integer >= 0")
    rows = _assignments(session, klass)
    current = next((row for row in rows if row.lesson_id == lesson.id), None)
    if current is None:
        current = ClassLesson(
            tenant_id=klass.tenant_id, class_id=klass.id, lesson_id=lesson.id, position=len(rows)
        )
        if assigned_at is not None:
            current.assigned_at = _aware(assigned_at, "assigned_at")  # type: ignore[assignment]
        session.add(current)
    else:
        rows.remove(current)
    current.due_at = _aware(due_at, "due_at")
    rows.insert(len(rows) if position is None else min(position, len(rows)), current)
    for index, row in enumerate(rows):
        if row.position != index:
            row.position = index
    session.flush()
    return current


def unassign_lesson(session: Session, *, class_id: uuid.UUID | str, lesson_id: uuid.UUID | str) -> bool:
    klass = fetch(session, SchoolClass, class_id, "class_id", lock=True)
    key = as_uuid(lesson_id, "lesson_id")
    rows = _assignments(session, klass)
    target = next((row for row in rows if row.lesson_id == key), None)
    if target is None:
        return False
    session.delete(target)
    for index, row in enumerate(r for r in rows if r is not target):
        row.position = index
    session.flush()
    return True


def list_class_lessons(session: Session, *, class_id: uuid.UUID | str) -> list[tuple[ClassLesson, Lesson]]:
    """The class's lessons in its order, with the assignment (due date, position)."""
    klass = fetch(session, SchoolClass, class_id, "class_id")
    query = (
        select(ClassLesson, Lesson)
        .join(Lesson, (Lesson.tenant_id == ClassLesson.tenant_id) & (Lesson.id == ClassLesson.lesson_id))
        .where(ClassLesson.tenant_id == klass.tenant_id, ClassLesson.class_id == klass.id)
        .order_by(ClassLesson.position, Lesson.title)
    )
    return [(row[0], row[1]) for row in session.execute(query)]


def reorder_class_lessons(
    session: Session, *, class_id: uuid.UUID | str, lesson_ids: Sequence[uuid.UUID | str]
) -> list[ClassLesson]:
    klass = fetch(session, SchoolClass, class_id, "class_id", lock=True)
    rows = {row.lesson_id: row for row in _assignments(session, klass)}
    ordered = [rows[ident] for ident in check_permutation(list(rows), lesson_ids, "lesson_ids")]
    for index, row in enumerate(ordered):
        row.position = index
    session.flush()
    return ordered


def _assignments(session: Session, klass: SchoolClass) -> list[ClassLesson]:
    query = (
        select(ClassLesson)
        .where(ClassLesson.tenant_id == klass.tenant_id, ClassLesson.class_id == klass.id)
        .order_by(ClassLesson.position, ClassLesson.assigned_at, ClassLesson.lesson_id)
    )
    return list(session.scalars(query))


__all__ = [
    "TEACHING_ROLES",
    "archive_class",
    "assign_lesson",
    "create_class",
    "delete_class",
    "enroll_students",
    "get_class",
    "list_class_lessons",
    "list_class_students",
    "list_classes",
    "reorder_class_lessons",
    "unassign_lesson",
    "unenroll_student",
    "update_class",
]
