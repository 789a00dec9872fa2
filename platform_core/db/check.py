"""`ilp db check`: schema drift plus the invariants autogenerate cannot see.

Each check returns the violations it found; an empty list means it holds. The checks read only the system
catalogs, so they are cheap enough to run after every migration and in CI.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, text

from platform_core.db import migrate
from platform_core.db.engine import owner_engine
from platform_core.ops.privileges import check_least_privilege
from platform_core.settings import APP_ROLE

NAMED_INDEXES = (
    "idx_milestones_video_timestamp",
    "idx_student_progress_student_completion",
    "idx_student_sessions_student_active",
    "idx_teacher_content_analytics",
)
PARTIAL_INDEXES = ("idx_student_sessions_student_active",)
SEARCH_TABLES = ("lessons", "videos", "questions")
PARTITIONED_TABLES = ("analytics_events", "audit_logs")
AUDITED_TABLES = (
    "tenants", "users", "classes", "enrollments", "lessons", "class_lessons", "video_groups", "videos",
    "video_group_videos", "milestones", "questions", "question_attempts", "grades", "ai_configs",
    "question_reviews", "experiments",
    "ai_budgets",
)  # fmt: skip


@dataclass
class CheckResult:
    name: str
    description: str
    violations: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.violations


def _rows(conn: Connection, sql: str, **params: object) -> list[tuple]:
    return [tuple(r) for r in conn.execute(text(sql), params)]


def tenant_tables(conn: Connection) -> list[str]:
    """Tables (not partitions) of the current schema that have a ``tenant_id`` column."""
    return [
        name
        for (name,) in _rows(
            conn,
            """
            SELECT c.relname FROM pg_class c
            JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = current_schema()
            JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
            WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition ORDER BY 1
            """,
        )
    ]


def check_migrations(conn: Connection, engine: Engine) -> list[str]:
    current, head = migrate.current_revision(engine=engine), migrate.head_revision()
    problems = [] if current == head else [f"database is at revision {current}, head is {head}"]
    problems += [f"drift: {diff}" for diff in migrate.schema_drift(engine=engine)]
    return problems


def check_app_role(conn: Connection, engine: Engine) -> list[str]:
    row = conn.execute(
        text("SELECT rolsuper, rolbypassrls, rolcanlogin, oid FROM pg_roles WHERE rolname = :r"),
        {"r": APP_ROLE},
    ).first()
    if row is None:
        return [f"role {APP_ROLE} does not exist (run `ilp db migrate`)"]
    problems = []
    if row.rolsuper:
        problems.append(f"{APP_ROLE} is a superuser")
    if row.rolbypassrls:
        problems.append(f"{APP_ROLE} has BYPASSRLS")
    if not row.rolcanlogin:
        problems.append(f"{APP_ROLE} cannot log in")
    owned = _rows(
        conn,
        "SELECT relname FROM pg_class WHERE relowner = :oid AND relkind IN ('r','p','v','m')",
        oid=row.oid,
    )
    problems += [f"{APP_ROLE} owns {name}" for (name,) in owned]
    members = _rows(
        conn,
        "SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid WHERE m.member = :oid",
        oid=row.oid,
    )
    problems += [f"{APP_ROLE} is a member of {name}" for (name,) in members]
    truncatable = _rows(
        conn,
        """SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = current_schema() AND c.relkind IN ('r','p')
             AND has_table_privilege(:role, c.oid, 'TRUNCATE')""",
        role=APP_ROLE,
    )
    problems += [f"{APP_ROLE} may TRUNCATE {name}" for (name,) in truncatable]
    return problems


def check_row_level_security(conn: Connection, engine: Engine) -> list[str]:
    problems = []
    for table in tenant_tables(conn):
        enabled, forced = conn.execute(
            text("SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE oid = to_regclass(:t)"),
            {"t": table},
        ).one()
        if not enabled:
            problems.append(f"{table}: row-level security is not enabled")
        if not forced:
            problems.append(f"{table}: row-level security is not forced")
        policies = _rows(
            conn,
            "SELECT polname, pg_get_expr(polqual, polrelid), pg_get_expr(polwithcheck, polrelid), "
            "polpermissive FROM pg_policy WHERE polrelid = to_regclass(:t)",
            t=table,
        )
        if not policies:
            problems.append(f"{table}: no policy (every row would be invisible, or the table unprotected)")
        for name, qual, check, _permissive in policies:
            for kind, expr in (("USING", qual), ("WITH CHECK", check)):
                if expr is None or "app.tenant_id" not in expr or "tenant_id" not in expr.split("=")[0]:
                    problems.append(
                        f"{table}: policy {name} {kind} does not compare tenant_id to app.tenant_id"
                    )
    return problems


def check_citus_keys(conn: Connection, engine: Engine) -> list[str]:
    """Every PK, unique key and FK (to another tenant table) of a tenant table leads with tenant_id."""
    tables = set(tenant_tables(conn))
    problems = []
    for table, name, kind, first_col, ref_table in _rows(
        conn,
        """
        SELECT c.conrelid::regclass::text, c.conname, c.contype,
               (SELECT attname FROM pg_attribute WHERE attrelid = c.conrelid AND attnum = c.conkey[1]),
               CASE WHEN c.contype = 'f' THEN c.confrelid::regclass::text END
        FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
        WHERE c.contype IN ('p', 'u', 'f') AND NOT t.relispartition AND c.conparentid = 0
          AND t.relnamespace = current_schema()::regnamespace
        """,
    ):
        if table not in tables or (kind == "f" and ref_table not in tables and ref_table != "tenants"):
            continue
        if first_col != "tenant_id":
            problems.append(f"{table}: constraint {name} does not lead with tenant_id")
    for table, index in _rows(
        conn,
        """SELECT t.relname, i.relname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
           JOIN pg_class t ON t.oid = x.indrelid
           JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = x.indkey[0]
           WHERE x.indisunique AND a.attname <> 'tenant_id'
             AND t.relnamespace = current_schema()::regnamespace AND NOT t.relispartition""",
    ):
        if table in tables:
            problems.append(f"{table}: unique index {index} does not lead with tenant_id")
    return problems


def check_partitions(conn: Connection, engine: Engine) -> list[str]:
    problems = []
    now = datetime.now(UTC)
    next_month = datetime(now.year + now.month // 12, now.month % 12 + 1, 1, tzinfo=UTC)
    for parent in PARTITIONED_TABLES:
        kind = conn.execute(
            text("SELECT relkind FROM pg_class WHERE oid = to_regclass(:t)"), {"t": parent}
        ).scalar()
        if kind != "p":
            problems.append(f"{parent} is not partitioned")
            continue
        for moment in (now, next_month):
            part = f"{parent}_p{moment:%Y_%m}"
            if conn.execute(text("SELECT to_regclass(:p)"), {"p": part}).scalar() is None:
                problems.append(f"{parent}: partition {part} is missing (run `ilp ops partitions`)")
        granted = _rows(
            conn,
            """SELECT c.relname, p.privilege FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
               CROSS JOIN unnest(ARRAY['SELECT','INSERT','UPDATE','DELETE','TRUNCATE']) AS p(privilege)
               WHERE i.inhparent = to_regclass(:t) AND has_table_privilege(:role, c.oid, p.privilege)""",
            t=parent,
            role=APP_ROLE,
        )
        problems += [f"{APP_ROLE} has {priv} on partition {name}" for name, priv in granted]
    return problems


def check_audit(conn: Connection, engine: Engine) -> list[str]:
    problems = [
        f"{APP_ROLE} may {priv} audit_logs"
        for (priv,) in _rows(
            conn,
            "SELECT p FROM unnest(ARRAY['INSERT','UPDATE','DELETE','TRUNCATE']) AS p "
            "WHERE has_table_privilege(:role, 'audit_logs', p)",
            role=APP_ROLE,
        )
    ]
    triggered = {
        name
        for (name,) in _rows(
            conn,
            "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE t.tgname = 'audit_row' AND NOT t.tgisinternal",
        )
    }
    problems += [f"{table}: no audit trigger" for table in AUDITED_TABLES if table not in triggered]
    if "analytics_events" in triggered:
        problems.append("analytics_events must not be row-audited")
    return problems


def check_indexes(conn: Connection, engine: Engine) -> list[str]:
    problems = []
    for index in NAMED_INDEXES:
        row = conn.execute(
            text("SELECT indpred IS NOT NULL FROM pg_index WHERE indexrelid = to_regclass(:i)"), {"i": index}
        ).first()
        if row is None:
            problems.append(f"index {index} is missing")
        elif index in PARTIAL_INDEXES and not row[0]:
            problems.append(f"index {index} is not partial")
    for table in SEARCH_TABLES:
        generated = conn.execute(
            text(
                "SELECT attgenerated FROM pg_attribute WHERE attrelid = to_regclass(:t) "
                "AND attname = 'search' AND atttypid = 'tsvector'::regtype"
            ),
            {"t": table},
        ).scalar()
        if generated != "s":
            problems.append(f"{table}.search is not a stored generated tsvector")
        gin = conn.execute(
            text(
                "SELECT count(*) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
                "JOIN pg_am a ON a.oid = i.relam "
                "JOIN pg_attribute att ON att.attrelid = x.indrelid AND att.attnum = x.indkey[0] "
                "WHERE x.indrelid = to_regclass(:t) AND a.amname = 'gin' AND att.attname = 'search'"
            ),
            {"t": table},
        ).scalar()
        if not gin:
            problems.append(f"{table}.search has no GIN index")
    return problems


CHECKS: tuple[tuple[str, str, Callable[[Connection, Engine], list[str]]], ...] = (
    ("migrations", "at head revision, no drift between models and database", check_migrations),
    (
        "app_role",
        f"{APP_ROLE}: login, not superuser, no BYPASSRLS, owns nothing, cannot TRUNCATE",
        check_app_role,
    ),
    (
        "row_level_security",
        "RLS enabled and forced with tenant policies on every tenant table",
        check_row_level_security,
    ),
    ("citus_keys", "primary, unique and foreign keys of tenant tables lead with tenant_id", check_citus_keys),
    (
        "partitions",
        "monthly partitions exist for this and next month; app role has no partition grants",
        check_partitions,
    ),
    ("audit", "audit triggers in place; audit rows cannot be changed by the app role", check_audit),
    ("indexes", "named seed indexes, partial active-session index, full-text search columns", check_indexes),
    (
        "least_privilege",
        "SECURITY DEFINER functions pinned and not public; no PUBLIC table grants; app role creates nothing "
        "and cannot write operations tables",
        check_least_privilege,
    ),
)


def run_checks(engine: Engine | None = None) -> list[CheckResult]:
    engine = engine or owner_engine()
    results = []
    with engine.connect() as conn:
        for name, description, check in CHECKS:
            try:
                violations = check(conn, engine)
            except Exception as exc:  # a check that cannot run is itself a violation
                conn.rollback()
                violations = [f"check failed to run: {exc}"]
            results.append(CheckResult(name, description, violations))
    return results
