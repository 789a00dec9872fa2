"""What a researcher export contains: its tables, their columns, and how each column is treated.

Tables are an allow-list (new tables are not exported until added here); ``users`` and ``tenants`` also
have column allow-lists. Secrets never leave; PII columns only with ``pii=True``; every column that
references ``users`` (and ``users.id``) is a user id to pseudonymise; JSONB and free-text columns are
scrubbed of user ids, e-mails and names (see :class:`Scrubber`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import polars as pl
import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy import text
from sqlalchemy.dialects.postgresql import JSONB, TSVECTOR
from sqlalchemy.orm import Session

from platform_core.analytics.pseudonym import UUID_TEXT, Pseudonymizer
from platform_core.models import metadata

#: Tables a researcher export contains, in this order. Not exported: audit logs, quarantined raw payloads,
#: operations tables, roll-up bookkeeping.
EXPORT_TABLES = (
    "tenants",
    "users",
    "classes",
    "enrollments",
    "lessons",
    "class_lessons",
    "video_groups",
    "videos",
    "video_group_videos",
    "milestones",
    "questions",
    "student_sessions",
    "student_progress",
    "lesson_progress",
    "question_attempts",
    "grades",
    "analytics_events",
    "experiments",
    "experiment_assignments",
    "ai_configs",
    "ai_budgets",
    "ai_generation_jobs",
    "ai_usage",
    "ai_rejected_candidates",
    "question_reviews",
    "ai_model_prices",
    "analytics_daily_video_activity",
    "analytics_daily_user_activity",
)
#: Per-table column allow-lists (other tables export every column except the never-exported ones).
ALLOWED_COLUMNS = {
    "tenants": ("id", "slug", "name", "settings", "created_at"),
    "users": (
        "tenant_id",
        "id",
        "role",
        "is_active",
        "created_at",
        "updated_at",
        "last_login_at",
        "email",
        "display_name",
    ),
}
PII_COLUMNS = {("users", "email"), ("users", "display_name"), ("student_sessions", "device_fingerprint")}
NEVER_EXPORTED = {
    ("ai_configs", "api_key_ciphertext"),
    ("ai_configs", "api_key_hint"),
    ("users", "password_hash"),
}
REDACTED = "[redacted]"
EMAIL_PATTERN = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"


@dataclass
class Column:
    name: str
    arrow: pa.DataType
    kind: str  # "user" (id to pseudonymise), "json", "text" (free text), "time", "plain"

    @property
    def select(self) -> str:
        quoted = f'"{self.name}"'
        return f"({quoted} AT TIME ZONE 'UTC')" if self.kind == "time" else quoted


@dataclass
class TablePlan:
    name: str
    columns: list[Column]
    tenant_column: str

    @property
    def schema(self) -> pa.Schema:
        return pa.schema(
            [
                pa.field(c.name, pa.timestamp("us", tz="UTC") if c.kind == "time" else c.arrow)
                for c in self.columns
            ]
        )


def _arrow_type(column: sa.Column) -> tuple[pa.DataType, str] | None:
    kind = column.type
    if isinstance(kind, TSVECTOR | sa.LargeBinary):
        return None
    if isinstance(kind, JSONB | sa.JSON):
        return pa.string(), "json"
    if isinstance(kind, sa.Uuid):
        return pa.string(), "plain"
    if isinstance(kind, sa.DateTime):
        return pa.timestamp("us"), "time"
    if isinstance(kind, sa.Date):
        return pa.date32(), "plain"
    if isinstance(kind, sa.Boolean):
        return pa.bool_(), "plain"
    if isinstance(kind, sa.BigInteger):
        return pa.int64(), "plain"
    if isinstance(kind, sa.SmallInteger):
        return pa.int16(), "plain"
    if isinstance(kind, sa.Integer):
        return pa.int32(), "plain"
    if isinstance(kind, sa.Numeric) and not isinstance(kind, sa.Float):
        return pa.decimal128(kind.precision or 38, kind.scale or 0), "plain"
    if isinstance(kind, sa.Float | sa.Double):
        return pa.float64(), "plain"
    if isinstance(kind, sa.Text):
        return pa.string(), "text"
    if isinstance(kind, sa.String | sa.Enum):
        return pa.string(), "plain"
    return None


def _references_users(table: sa.Table, column: sa.Column) -> bool:
    if table.name == "users" and column.name == "id":
        return True
    for fk in table.foreign_keys:
        if fk.parent is column and fk.column.table.name == "users" and fk.column.name == "id":
            return True
    return table.name.startswith("analytics_daily_") and column.name == "user_id"


def plan_tables(*, pii: bool) -> list[TablePlan]:
    """What each exported table holds: its columns, their Arrow types and how they are treated."""
    plans = []
    for name in EXPORT_TABLES:
        table = metadata.tables.get(name)
        if table is None:  # a table another part of the platform has not shipped yet
            continue
        allowed = ALLOWED_COLUMNS.get(name)
        columns = []
        for column in table.columns:
            if (name, column.name) in NEVER_EXPORTED or (allowed and column.name not in allowed):
                continue
            if (name, column.name) in PII_COLUMNS and not pii:
                continue
            mapped = _arrow_type(column)
            if mapped is None:
                continue
            arrow, kind = mapped
            if _references_users(table, column):
                kind = "user"
            columns.append(Column(column.name, arrow, kind))
        tenant_column = "id" if name == "tenants" else "tenant_id"
        if name != "ai_model_prices" and tenant_column not in table.c:
            continue
        plans.append(TablePlan(name, columns, tenant_column if name != "ai_model_prices" else ""))
    return plans


@dataclass
class Scrubber:
    """Replaces user ids, e-mails and names in one tenant's rows (pseudonymised exports only)."""

    ids: dict[str, str]
    names: list[str]  # e-mails and display names, each as a whole JSON string value

    @classmethod
    def load(cls, session: Session, pseudonymizer: Pseudonymizer) -> Scrubber:
        ids: dict[str, str] = {}
        names: set[str] = set()
        for user_id, email, name in session.execute(
            text("SELECT CAST(id AS text), email, display_name FROM users")
        ):
            ids[user_id] = pseudonymizer.user(user_id)
            names.update(json.dumps(v.strip(), ensure_ascii=False) for v in (email, name) if v and v.strip())
        return cls(ids, sorted(names))

    def _text(self, column: pl.Series, *, json_values: bool) -> pl.Series:
        # user ids: only the UUIDs actually present in this block are looked up and replaced
        found = set(
            column.str.extract_all(UUID_TEXT.pattern).explode().drop_nulls().str.to_lowercase().unique()
        )
        hits = sorted(found & self.ids.keys())
        if hits:
            column = column.str.replace_many(hits, [self.ids[h] for h in hits], ascii_case_insensitive=True)
        if json_values and self.names and column.str.contains_any(self.names).any():
            column = column.str.replace_many(
                self.names, [json.dumps(REDACTED)] * len(self.names), leftmost=True
            )
        if column.str.contains(EMAIL_PATTERN).any():
            column = column.str.replace_all(EMAIL_PATTERN, REDACTED)
        return column

    def apply(self, frame: pl.DataFrame, plan: TablePlan) -> pl.DataFrame:
        columns = []
        for column in plan.columns:
            if column.kind == "user":
                columns.append(
                    frame.get_column(column.name).replace_strict(
                        self.ids, default=None, return_dtype=pl.String
                    )
                )
            elif column.kind in ("json", "text"):
                columns.append(self._text(frame.get_column(column.name), json_values=column.kind == "json"))
        return frame.with_columns(columns) if columns else frame
