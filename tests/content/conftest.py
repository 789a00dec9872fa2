"""Fixtures for the content service tests: a tenant with a teacher, a student and an admin."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass

import pytest
from sqlalchemy.orm import Session

from platform_core.db.session import tenant_session
from platform_core.tenancy.users import create_user
from tests.factories import new_tenant


@dataclass
class School:
    tenant_id: uuid.UUID
    teacher_id: uuid.UUID
    student_ids: list[uuid.UUID]
    admin_id: uuid.UUID

    def session(self, user_id: uuid.UUID | None = None) -> AbstractContextManager[Session]:
        """A unit of work as the teacher (or ``user_id``)."""
        return tenant_session(self.tenant_id, user_id=user_id or self.teacher_id)


@pytest.fixture
def school(database) -> Iterator[School]:
    tenant = new_tenant("content")
    with tenant_session(tenant.tenant_id) as s:
        teacher = create_user(
            s, email=f"teacher@{tenant.slug}.test", display_name="Tess Teacher", role="teacher"
        )
        admin = create_user(s, email=f"admin@{tenant.slug}.test", display_name="Adam Admin", role="admin")
        students = [
            create_user(s, email=f"s{i}@{tenant.slug}.test", display_name=f"Student {i}", role="student")
            for i in range(3)
        ]
        ids = (teacher.id, admin.id, [st.id for st in students])
    yield School(tenant.tenant_id, ids[0], ids[2], ids[1])


@pytest.fixture
def make_school(database) -> Callable[[], School]:
    """Another, independent tenant (for isolation tests)."""

    def build() -> School:
        tenant = new_tenant("other")
        with tenant_session(tenant.tenant_id) as s:
            teacher = create_user(s, email=f"t@{tenant.slug}.test", display_name="Other", role="teacher")
            return School(tenant.tenant_id, teacher.id, [], teacher.id)

    return build
