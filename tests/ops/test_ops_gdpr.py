"""GDPR: export everything about a person; erase them so that no personal field remains in any table (audit
and archived files included) while class aggregates stay exactly the same."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from platform_core.cli.main import app
from platform_core.db.session import tenant_session, unscoped_session
from platform_core.gdpr import GdprError, erase_person, export_person
from platform_core.models import (
    AuditLog,
    Enrollment,
    Grade,
    StudentSession,
    User,
)
from platform_core.ops import duck
from platform_core.ops.archive import InjectedCrash, archive_partitions, archived_events_relation
from platform_core.ops.archive_store import ArchiveStore
from platform_core.tenancy.users import create_user
from tests.factories import TenantData, new_tenant, populate_tenant
from tests.ops.conftest import Learner, insert_events, month, partition_name

EMAIL = "Zeb.Quixote+{slug}@Example.test"
NAME = "Zebulon Quixote-Erasure {slug}"
QUARANTINE = text(
    "INSERT INTO event_quarantine (tenant_id, payload, reason) VALUES (:t, CAST(:p AS jsonb), 'bad')"
)
OLD_AUDIT = text(
    """
    INSERT INTO audit_logs (tenant_id, occurred_at, actor_id, action, table_name, record_id,
                            old_data, new_data, changed_fields, context)
    VALUES (:t, :at, :u, 'UPDATE', 'users', :r, CAST(:o AS jsonb), CAST(:n AS jsonb), ARRAY['email'], '{}'),
           (:t, :at, NULL, 'LOGIN_FAILED', 'users', NULL, NULL, CAST(:f AS jsonb), NULL, '{}')
    """
)
AGGREGATES = {
    "grades": "SELECT lesson_id, count(*), avg(percentage), sum(earned_points) FROM grades GROUP BY 1",
    "attempts": "SELECT question_id, count(*), avg(fraction) FROM question_attempts GROUP BY 1 ORDER BY 1",
    "progress": "SELECT count(*), sum(coverage), count(*) FILTER (WHERE is_completed) FROM student_progress",
    "enrolled": "SELECT class_id, count(*) FROM enrollments GROUP BY 1 ORDER BY 1",
}
EVENT_FIGURES = """
    SELECT type, count(*), count(DISTINCT user_id), min(epoch_us(occurred_at)) FROM analytics_events
    GROUP BY 1 ORDER BY 1
"""


@dataclass
class Person:
    tenant: TenantData
    user_id: uuid.UUID
    email: str
    name: str
    admin_id: uuid.UUID
    old: datetime


def _person(archive_dir: Path, year: int) -> Person:
    """A populated tenant whose student carries a distinctive identity into every kind of storage."""
    data = populate_tenant(new_tenant("gdpr"))
    tid, student = data.tenant_id, data.ids["student"]
    email, name = EMAIL.format(slug=data.slug), NAME.format(slug=data.slug)
    with tenant_session(tid) as s:
        admin = create_user(s, email=f"admin@{data.slug}.test", display_name="Ada", role="admin")
        classmate = create_user(s, email=f"mate@{data.slug}.test", display_name="Mate", role="student")
        grade = Grade(
            tenant_id=tid, student_id=classmate.id, lesson_id=data.ids["lesson"], letter="B",
            grading_method="penalized", percentage=84, earned_points=8.4, possible_points=10,
        )  # fmt: skip
        s.add_all([Enrollment(tenant_id=tid, class_id=data.ids["klass"], student_id=classmate.id), grade])
    with tenant_session(tid, user_id=admin.id) as s:  # audited changes carry the identity into audit_logs
        user = s.get(User, (tid, student))
        user.email, user.display_name = email, name
        user.preferences = {"language": "fr"}
        row = s.scalars(select(StudentSession).where(StudentSession.student_id == student)).one()
        row.device_fingerprint, row.device_info = (
            f"fp-{data.slug}",
            {"userAgent": f"UA {name}", "os": "linux"},
        )
        payload = {"user_id": str(student), "type": "oops", "context": {"user_agent": "UA", "note": email}}
        s.execute(QUARANTINE, {"t": tid, "p": json.dumps(payload)})
    learner = Learner(data, student)
    old = month(year, 6)
    insert_events(learner, old, 40)
    insert_events(learner, datetime.now(UTC).replace(day=1, hour=1), 10)
    with tenant_session(tid) as s:  # an event whose data mentions the email
        s.execute(
            text("INSERT INTO analytics_events (tenant_id, id, occurred_at, user_id, type, data) "
                 "VALUES (:t, gen_random_uuid(), :at, :u, 'page_view', CAST(:d AS jsonb))"),
            {"t": tid, "at": old, "u": student, "d": json.dumps({"path": f"/profile/{email.lower()}"})},
        )  # fmt: skip
    with Session(database_owner()) as s, s.begin():  # old audit rows, archived below
        s.execute(text("SELECT ilp_ensure_month_partitions('audit_logs', :m, :m)"), {"m": old})
        s.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(tid)})
        s.execute(
            OLD_AUDIT,
            {"t": tid, "at": old, "u": student, "r": str(student),
             "o": json.dumps({"email": email, "display_name": name, "preferences": {"x": 1}}),
             "n": json.dumps({"email": email.upper(), "display_name": name}),
             "f": json.dumps({"attempt": f"{email} typed wrongly"})},
        )  # fmt: skip
    report = archive_partitions(
        archive_dir=str(archive_dir),
        only={partition_name("analytics_events", old), partition_name("audit_logs", old)},
        move_tiers=False,
    )
    assert report.ok, report.as_json()
    return Person(data, student, email, name, admin.id, old)


def database_owner():
    from platform_core.db.engine import owner_engine

    return owner_engine()


def _aggregates(person: Person, archive_dir: Path) -> dict:
    tid = person.tenant.tenant_id
    with tenant_session(tid) as s:
        figures = {name: s.execute(text(sql)).all() for name, sql in AGGREGATES.items()}
    con = duck.connect()
    try:
        archived_events_relation(con, tenant_id=tid, archive_dir=str(archive_dir))
        figures["events"] = con.execute(EVENT_FIGURES).fetchall()
    finally:
        con.close()
    return figures


def _everywhere(needles: list[str]) -> list[str]:
    """Every column of every table (all tenants, as the owner) that still contains one of ``needles``."""
    found = []
    with database_owner().connect() as conn:
        columns = conn.execute(
            text(
                """
                SELECT n.nspname, c.relname, a.attname FROM pg_class c
                JOIN pg_namespace n ON n.oid = c.relnamespace
                 AND n.nspname IN (current_schema(), 'ilp_archive')
                JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
                  AND a.atttypid IN ('text'::regtype, 'varchar'::regtype, 'jsonb'::regtype, 'json'::regtype,
                                     'text[]'::regtype)
                """
            )
        ).all()
        for schema, table, column in columns:
            for needle in needles:
                where = f'strpos(lower("{column}"::text), :n) > 0'
                hit = conn.execute(
                    text(f'SELECT count(*) FROM "{schema}"."{table}" WHERE {where}'), {"n": needle.lower()}
                ).scalar()
                if hit:
                    found.append(f"{schema}.{table}.{column} contains {needle!r}")
    return found


def _in_parquet(person: Person, archive_dir: Path, needles: list[str]) -> list[str]:
    store = ArchiveStore(archive_dir)
    with Session(database_owner()) as s, s.begin():
        s.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(person.tenant.tenant_id)})
        files = [f for row in s.execute(text("SELECT files FROM archive_files WHERE tenant_id = :t"),
                                        {"t": person.tenant.tenant_id}).scalars() for f in row]  # fmt: skip
    assert files
    con = duck.connect()
    try:
        found = []
        for f in files:
            text_of_rows = con.execute(
                "SELECT string_agg(CAST(r AS VARCHAR), ' ') FROM read_parquet($f) r",
                {"f": str(store.path(f))},
            ).fetchone()[0]
            found += [f"{f}: {n}" for n in needles if n.lower() in (text_of_rows or "").lower()]
        return found
    finally:
        con.close()


@pytest.mark.slow
def test_export_contains_the_person_hot_and_archived(database, tmp_path) -> None:
    person = _person(tmp_path, 2008)
    with tenant_session(person.tenant.tenant_id, user_id=person.admin_id) as s:
        export = export_person(s, user_id=person.user_id, archive_dir=str(tmp_path))
    assert export["format"] == "ilp-gdpr-export/1" and export["user"]["email"] == person.email
    assert "password_hash" not in export["user"]
    tables = export["tables"]
    assert len(tables["analytics_events"]) == 52  # archived: 40 + 1 page view; hot: 10 + 1 (populate_tenant)
    assert len(tables["grades"]) == 1 and len(tables["question_attempts"]) == 1
    assert len(tables["enrollments"]) == 1 and len(tables["student_sessions"]) == 1
    assert len(tables["event_quarantine"]) == 1
    assert any(r["table_name"] == "users" for r in tables["audit_logs"])
    assert [r["action"] for r in tables["archived_audit_logs"]] == ["UPDATE"]
    assert all(r["user_id"] == str(person.user_id) for r in tables["analytics_events"])
    with tenant_session(person.tenant.tenant_id) as s:  # the export itself is audited
        assert s.scalar(select(AuditLog.actor_id).where(AuditLog.action == "GDPR_EXPORT")) == person.admin_id


@pytest.mark.slow
def test_erase_leaves_no_personal_field_and_keeps_aggregates(database, tmp_path) -> None:
    person = _person(tmp_path, 2009)
    needles = [person.email, person.name, f"fp-{person.tenant.slug}"]
    assert _everywhere(needles) and _in_parquet(person, tmp_path, [person.email, person.name])
    before = _aggregates(person, tmp_path)

    report = erase_person(tenant_id=person.tenant.tenant_id, user_id=person.user_id,
                          acting_user_id=person.admin_id, archive_dir=str(tmp_path))  # fmt: skip

    assert report.remaining == []
    assert report.archived_files_rewritten == 2 and report.audit_rows_redacted >= 2
    assert report.rows_updated["users"] == 1 and report.rows_updated["student_sessions"] == 1
    assert _everywhere(needles) == []
    assert _in_parquet(person, tmp_path, [person.email, person.name]) == []
    assert _aggregates(person, tmp_path) == before
    with tenant_session(person.tenant.tenant_id) as s:
        user = s.get(User, (person.tenant.tenant_id, person.user_id))
        assert user.email == f"erased+{person.user_id}@erased.invalid" and user.display_name == "Erased user"
        assert user.password_hash is None and not user.is_active and user.preferences == {}
        erasure = s.scalars(select(AuditLog).where(AuditLog.action == "GDPR_ERASE")).one()
        assert erasure.actor_id == person.admin_id and erasure.record_id == str(person.user_id)
        contexts = text("SELECT context FROM analytics_events WHERE user_id = :u AND context IS NOT NULL")
        events = s.execute(contexts, {"u": person.user_id}).scalars().all()
        assert events and all(set(c) <= {"experiment", "app_version"} for c in events)
        assert all("experiment" in c for c in events)  # A/B analysis keeps its variant
        export = export_person(s, user_id=person.user_id, archive_dir=str(tmp_path))
    assert person.name not in json.dumps(export) and person.email.lower() not in json.dumps(export).lower()
    again = erase_person(tenant_id=person.tenant.tenant_id, user_id=person.user_id, archive_dir=str(tmp_path))
    assert again.remaining == [] and again.archived_files_rewritten == 0
    assert _aggregates(person, tmp_path) == before


def test_redaction_functions_are_restricted(database, tmp_path) -> None:
    data = populate_tenant(new_tenant("gdpr-guard"))
    live = data.ids["student"]
    with pytest.raises(DBAPIError, match="has not been pseudonymised"), tenant_session(data.tenant_id) as s:
        s.execute(text("SELECT ilp_gdpr_redact_audit(:u)"), {"u": live})
    with pytest.raises(DBAPIError, match="needs a tenant"), unscoped_session() as s:
        s.execute(text("SELECT ilp_gdpr_redact_activity(:u)"), {"u": live})
    with pytest.raises(DBAPIError, match="permission denied"), tenant_session(data.tenant_id) as s:
        s.execute(text("SELECT ilp_gdpr_personal_values(:t, :u, 'email')"), {"t": data.tenant_id, "u": live})
    other = populate_tenant(new_tenant("gdpr-other"))
    erase_person(tenant_id=other.tenant_id, user_id=other.ids["student"], archive_dir=str(tmp_path))
    # Erased in tenant "other"; from tenant "data" the function finds no such pseudonymised user.
    with pytest.raises(DBAPIError, match="has not been pseudonymised"), tenant_session(data.tenant_id) as s:
        s.execute(text("SELECT ilp_gdpr_redact_audit(:u)"), {"u": other.ids["student"]})


def test_erase_waits_for_archives_in_flight_and_rejects_bad_input(database, tmp_path) -> None:
    data = populate_tenant(new_tenant("gdpr-flight"))
    learner = Learner(data, data.ids["student"])
    old = month(2010, 2)
    insert_events(learner, old, 5)
    name = partition_name("analytics_events", old)

    def crash(point, outcome):
        if point == "moved":
            raise InjectedCrash(point)

    with pytest.raises(InjectedCrash):
        archive_partitions(archive_dir=str(tmp_path), only={name}, move_tiers=False, on_step=crash)
    try:
        with pytest.raises(GdprError, match="being archived"):
            erase_person(tenant_id=data.tenant_id, user_id=learner.student_id, archive_dir=str(tmp_path))
    finally:
        assert archive_partitions(archive_dir=str(tmp_path), only={name}, move_tiers=False).ok
    from platform_core.validation import InvalidInput

    with pytest.raises(InvalidInput, match="user"):
        erase_person(tenant_id=data.tenant_id, user_id="nope", archive_dir=str(tmp_path))
    with pytest.raises(InvalidInput, match="no user"):
        erase_person(tenant_id=data.tenant_id, user_id=uuid.uuid4(), archive_dir=str(tmp_path))


def test_cli_export_and_erase(database, tmp_path) -> None:
    data = populate_tenant(new_tenant("gdpr-cli"))
    student = str(data.ids["student"])
    out = tmp_path / "export.json"
    runner = CliRunner()
    exported = runner.invoke(app, ["gdpr", "export", "--tenant", data.slug, "--user", student, "-o", str(out),
                                   "--archive-dir", str(tmp_path / "a")])  # fmt: skip
    assert exported.exit_code == 0, exported.output
    assert json.loads(out.read_text())["user"]["id"] == student
    erased = runner.invoke(app, ["gdpr", "erase", "--tenant", data.slug, "--user", student, "--yes", "--json",
                                 "--archive-dir", str(tmp_path / "a")])  # fmt: skip
    assert erased.exit_code == 0, erased.output
    assert json.loads(erased.output)["remaining"] == []
    unknown = runner.invoke(app, ["gdpr", "erase", "--tenant", "no-such-tenant", "--user", student, "--yes"])
    assert unknown.exit_code == 1
