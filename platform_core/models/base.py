"""Declarative base, naming conventions and the column mixins every table shares."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import DateTime, Enum, ForeignKey, ForeignKeyConstraint, MetaData, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dict[str, Any]: JSONB,
        list[Any]: JSONB,
        datetime: DateTime(timezone=True),
    }


def str_enum(enum_cls: type[enum.StrEnum], name: str) -> Enum:
    """A VARCHAR column with a CHECK constraint listing the enum's values (no PostgreSQL ENUM type, so
    adding a value is a one-line migration and downgrades need no type juggling)."""
    return Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class TenantScoped:
    """``tenant_id`` leads every primary key, unique key and foreign key of a tenant table.

    That keeps the schema ready for distribution by tenant (Citus) and makes ``ON CONFLICT`` on any unique
    key tenant-local. Row-Level Security policies on these tables are created by the migrations.
    """

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True, sort_order=-100
    )


class HasId:
    id: Mapped[uuid.UUID] = mapped_column(
        primary_key=True, default=uuid.uuid4, server_default=text("gen_random_uuid()"), sort_order=-90
    )


class Timestamps:
    created_at: Mapped[datetime] = mapped_column(server_default=func.now(), sort_order=90)
    updated_at: Mapped[datetime] = mapped_column(
        server_default=func.now(), onupdate=func.now(), sort_order=91
    )


def tenant_fk(columns: list[str], target: str, *, ondelete: str | None = "CASCADE") -> ForeignKeyConstraint:
    """A composite foreign key ``(tenant_id, col...) -> target(tenant_id, id...)``.

    ``columns`` are this table's referencing columns (without ``tenant_id``); the target's key is
    ``(tenant_id, id)`` unless the target is named ``table(col, ...)``.
    """
    if "(" in target:
        table, cols = target.rstrip(")").split("(")
        target_cols = [c.strip() for c in cols.split(",")]
    else:
        table, target_cols = target, ["id"]
    return ForeignKeyConstraint(
        ["tenant_id", *columns],
        [f"{table}.tenant_id", *(f"{table}.{c}" for c in target_cols)],
        ondelete=ondelete,
    )
