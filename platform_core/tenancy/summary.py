"""What a tenant holds, in numbers (the landing page of the dashboard)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from platform_core.models import Lesson, Question, SchoolClass, User, UserRole, Video

COUNTED = {
    "students": select(func.count()).select_from(User).where(User.role == UserRole.STUDENT),
    "teachers": select(func.count()).select_from(User).where(User.role == UserRole.TEACHER),
    "classes": select(func.count()).select_from(SchoolClass),
    "lessons": select(func.count()).select_from(Lesson),
    "videos": select(func.count()).select_from(Video),
    "questions": select(func.count()).select_from(Question),
}


def tenant_counts(session: Session) -> dict[str, int]:
    """Number of students, teachers, classes, lessons, videos and questions in the session's tenant."""
    return {name: session.scalar(query) or 0 for name, query in COUNTED.items()}
