"""Tenants, users, classes and enrollments."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, Index, String, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column

from platform_core.models.base import Base, HasId, TenantScoped, Timestamps, str_enum, tenant_fk


class UserRole(enum.StrEnum):
    ADMIN = "admin"
    TEACHER = "teacher"
    RESEARCHER = "researcher"
    STUDENT = "student"


class Tenant(HasId, Timestamps, Base):
    """An organisation (school, university). Not tenant-scoped itself; RLS shows a tenant only itself."""

    __tablename__ = "tenants"

    slug: Mapped[str] = mapped_column(String(63), unique=True)
    name: Mapped[str] = mapped_column(Text)
    settings: Mapped[dict[str, Any]] = mapped_column(server_default=text("'{}'::jsonb"))
    is_active: Mapped[bool] = mapped_column(server_default=text("true"))

    __table_args__ = (CheckConstraint("slug ~ '^[a-z0-9][a-z0-9-]*$'", name="slug_format"),)


class User(TenantScoped, HasId, Timestamps, Base):
    __tablename__ = "users"

    email: Mapped[str] = mapped_column(String(320))
    display_name: Mapped[str] = mapped_column(Text)
    role: Mapped[UserRole] = mapped_column(str_enum(UserRole, "user_role"))
    password_hash: Mapped[str | None] = mapped_column(Text)
    preferences: Mapped[dict[str, Any]] = mapped_column(server_default=text("'{}'::jsonb"))
    is_active: Mapped[bool] = mapped_column(server_default=text("true"))
    failed_logins: Mapped[int] = mapped_column(server_default=text("0"))
    locked_until: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]

    __table_args__ = (
        Index("uq_users_tenant_email", "tenant_id", func.lower(text("email")), unique=True),
        Index("ix_users_tenant_role", "tenant_id", "role"),
    )


class SchoolClass(TenantScoped, HasId, Timestamps, Base):
    """A class (course section) with its teacher; teachers' dashboards are per class."""

    __tablename__ = "classes"

    name: Mapped[str] = mapped_column(Text)
    code: Mapped[str | None] = mapped_column(String(64))
    description: Mapped[str | None] = mapped_column(Text)
    teacher_id: Mapped[uuid.UUID | None]
    archived_at: Mapped[datetime | None]

    __table_args__ = (
        tenant_fk(["teacher_id"], "users", ondelete=None),
        Index("ix_classes_tenant_teacher", "tenant_id", "teacher_id"),
    )


class Enrollment(TenantScoped, Base):
    __tablename__ = "enrollments"

    class_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    student_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    enrolled_at: Mapped[datetime] = mapped_column(server_default=func.now())

    __table_args__ = (
        tenant_fk(["class_id"], "classes"),
        tenant_fk(["student_id"], "users"),
        Index("ix_enrollments_tenant_student", "tenant_id", "student_id"),
    )
