"""Researcher exports: no PII unless asked for, stable pseudonyms, streaming, manifest and DuckDB file."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest
from polars.testing import assert_frame_equal
from sqlalchemy import text
from sqlalchemy.orm import Session

from platform_core.analytics import DuckDBSource, class_overview, open_source
from platform_core.analytics.export import ExportError, export_tenant
from platform_core.analytics.pseudonym import Pseudonymizer, key_file, tenant_salt
from platform_core.db.session import tenant_session


def every_value(directory: Path) -> tuple[str, bytes]:
    """All cell values of every Parquet file as text, and the raw bytes of every file."""
    texts, raw = [], b""
    for path in sorted(directory.iterdir()):
        raw += path.read_bytes()
        if path.suffix == ".parquet":
            frame = pl.read_parquet(path)
            for column in frame.columns:
                texts += [str(v) for v in frame.get_column(column).to_list()]
    return "\n".join(texts), raw


def secrets_of(seeded) -> list[str]:
    ds = seeded.ds
    return [
        *ds.emails,
        *ds.names,
        *(str(s) for s in ds.students),
        str(ds.teacher),
        f"tess.teacher@{ds.slug}.test",
        "Tess Teacher",
    ]


def test_pseudonymised_export_has_no_email_name_or_raw_id(seeded) -> None:
    values, raw = every_value(seeded.export_pseudo)
    leaks = [s for s in secrets_of(seeded) if s.lower() in values.lower() or s.encode() in raw]
    assert leaks == []
    users = pl.read_parquet(seeded.export_pseudo / "users.parquet")
    assert {"email", "display_name", "password_hash"}.isdisjoint(users.columns)
    sessions = pl.read_parquet(seeded.export_pseudo / "student_sessions.parquet")
    assert "device_fingerprint" not in sessions.columns
    manifest = json.loads((seeded.export_pseudo / "manifest.json").read_text())
    assert manifest["pseudonymised"] is True


def test_pii_export_has_them_when_asked(seeded) -> None:
    values, _raw = every_value(seeded.export_pii)
    assert all(s.lower() in values.lower() for s in secrets_of(seeded))  # the scan finds what is there
    users = pl.read_parquet(seeded.export_pii / "users.parquet")
    assert set(seeded.ds.emails) <= set(users["email"])
    assert {str(s) for s in seeded.ds.students} <= set(users["id"])
    assert "password_hash" not in users.columns  # secrets never leave, even with --pii
    configs = pl.read_parquet(seeded.export_pii / "ai_configs.parquet")
    assert "api_key_ciphertext" not in configs.columns


def test_pseudonyms_are_stable_across_tables_and_exports(seeded, tmp_path: Path) -> None:
    ds = seeded.ds
    with tenant_session(ds.tenant_id) as s:
        alias = Pseudonymizer(tenant_salt(s, ds.tenant_id))
    users = pl.read_parquet(seeded.export_pseudo / "users.parquet")
    assert {alias.user(st) for st in ds.students} <= set(users["id"])
    for table, column in (
        ("enrollments", "student_id"),
        ("student_progress", "student_id"),
        ("question_attempts", "student_id"),
        ("analytics_events", "user_id"),
        ("experiment_assignments", "user_id"),
        ("analytics_daily_user_activity", "user_id"),
        ("classes", "teacher_id"),
    ):
        ids = set(pl.read_parquet(seeded.export_pseudo / f"{table}.parquet")[column].drop_nulls())
        assert ids and ids <= set(users["id"]), table
    # ids inside JSON take the same pseudonym; names and e-mails in JSON are redacted
    events = pl.read_parquet(seeded.export_pseudo / "analytics_events.parquet")
    page = events.filter(pl.col("data").str.contains("/students/")).row(0, named=True)
    assert json.loads(page["data"]) == {
        "path": f"/students/{alias.user(ds.students[1])}",
        "referrer": "[redacted]",
    }
    assert json.loads(page["context"]) == {"note": "[redacted]"}
    # a second export (another day, another directory) gives every student the same pseudonym
    with tenant_session(ds.tenant_id) as s:
        export_tenant(s, tmp_path / "again", tables=("users", "enrollments"), duckdb_file=False)
    again = pl.read_parquet(tmp_path / "again" / "users.parquet")
    assert_frame_equal(again.select("id", "role").sort("id"), users.select("id", "role").sort("id"))
    assert sorted(p.name for p in (tmp_path / "again").iterdir()) == [
        "enrollments.parquet",
        "manifest.json",
        "users.parquet",
    ]


def test_salt_key_file_is_private_and_salt_from_settings_wins(seeded, database) -> None:
    path = key_file(seeded.ds.tenant_id)
    assert path.exists() and stat.S_IMODE(os.stat(path).st_mode) == 0o600
    from tests.factories import new_tenant

    other = new_tenant("salted")
    with Session(database.owner()) as s:
        s.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(other.tenant_id)})
        s.execute(
            text("UPDATE tenants SET settings = settings || CAST(:s AS jsonb) WHERE id = :t"),
            {"t": other.tenant_id, "s": '{"pseudonymSalt": "a-very-long-operator-salt"}'},
        )
        s.commit()
    with tenant_session(other.tenant_id) as s:
        assert tenant_salt(s, other.tenant_id) == b"a-very-long-operator-salt"
    assert not key_file(other.tenant_id).exists()


def test_tenant_settings_are_exported_without_the_salt(database, tmp_path: Path) -> None:
    from tests.factories import new_tenant

    other = new_tenant("salted2")
    with Session(database.owner()) as s:
        s.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(other.tenant_id)})
        s.execute(
            text("UPDATE tenants SET settings = settings || CAST(:s AS jsonb) WHERE id = :t"),
            {"t": other.tenant_id, "s": '{"pseudonymSalt": "secret-salt-0123456789"}'},
        )
        s.commit()
    with tenant_session(other.tenant_id) as s:
        export_tenant(s, tmp_path / "x", tables=("tenants",))
    values, raw = every_value(tmp_path / "x")
    assert "secret-salt" not in values and b"secret-salt" not in raw


def test_export_streams_in_bounded_blocks(seeded) -> None:
    """The pseudonymised export was written with 64 KiB blocks: the events file has many row groups."""
    meta = pq.ParquetFile(seeded.export_pseudo / "analytics_events.parquet").metadata
    assert meta.num_row_groups > 3
    assert meta.num_rows == len(seeded.raw["analytics_events"])
    manifest = json.loads((seeded.export_pseudo / "manifest.json").read_text())
    for table, rows in manifest["rows"].items():
        assert pq.ParquetFile(seeded.export_pseudo / f"{table}.parquet").metadata.num_rows == rows


def test_duckdb_file_has_a_view_per_table(seeded) -> None:
    with open_source(seeded.ds.tenant_id) as pg:
        expected = class_overview(pg)
    via_file = DuckDBSource.open(seeded.export_pii / "export.duckdb")
    assert_frame_equal(class_overview(via_file), expected)
    assert via_file.has_table("analytics_events") and not via_file.has_table("audit_logs")


def test_export_refuses_a_non_empty_directory_and_unknown_formats(seeded, tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("x")
    with pytest.raises(ExportError, match="not empty"), tenant_session(seeded.ds.tenant_id) as s:
        export_tenant(s, tmp_path)
    with pytest.raises(ExportError, match="format"), tenant_session(seeded.ds.tenant_id) as s:
        export_tenant(s, tmp_path / "new", fmt="xlsx")
    assert (tmp_path / "keep.txt").read_text() == "x"


def test_an_export_holds_only_its_tenant(seeded, tmp_path: Path) -> None:
    from tests.factories import new_tenant, populate_tenant

    other = populate_tenant(new_tenant("iso"))
    with tenant_session(other.tenant_id) as s:
        export_tenant(s, tmp_path / "iso", pii=True)
    tenants = set()
    for path in (tmp_path / "iso").glob("*.parquet"):
        frame = pl.read_parquet(path)
        if "tenant_id" in frame.columns:
            tenants |= set(frame["tenant_id"])
    assert tenants == {str(other.tenant_id)}
    assert str(seeded.ds.tenant_id) not in every_value(tmp_path / "iso")[0]


def test_user_labels_show_names_only_where_the_source_has_them(seeded) -> None:
    from platform_core.analytics import user_labels

    with open_source(seeded.ds.tenant_id) as pg:
        live = dict(user_labels(pg).select("user_id", "label").iter_rows())
    assert live[str(seeded.ds.students[0])] == seeded.ds.names[0]
    assert (
        dict(user_labels(DuckDBSource.open(seeded.export_pii)).select("user_id", "label").iter_rows()) == live
    )
    pseudo = user_labels(DuckDBSource.open(seeded.export_pseudo))
    assert (pseudo["user_id"] == pseudo["label"]).all() and set(seeded.ds.names).isdisjoint(pseudo["label"])


def test_a_failed_export_leaves_nothing(seeded, tmp_path: Path) -> None:
    def interrupt(table: str, done: int, total: int) -> None:
        if table == "analytics_events":
            raise KeyboardInterrupt  # the user pressed Ctrl-C halfway

    with pytest.raises(KeyboardInterrupt), tenant_session(seeded.ds.tenant_id) as s:
        export_tenant(s, tmp_path / "out", on_progress=interrupt)
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ExportError, match="tables"), tenant_session(seeded.ds.tenant_id) as s:
        export_tenant(s, tmp_path / "out", tables=("audit_logs",))


def test_student_sessions_read_alike_from_every_source_without_devices_when_pseudonymised(seeded) -> None:
    from platform_core.analytics.student_detail import student_sessions

    student = seeded.ds.students[0]
    with open_source(seeded.ds.tenant_id) as pg:
        live = student_sessions(pg, student_id=student)
    assert live.height > 0
    assert_frame_equal(student_sessions(DuckDBSource.open(seeded.export_pii), student_id=student), live)
    pseudo_source = DuckDBSource.open(seeded.export_pseudo)
    found = pseudo_source.connection.execute("SELECT CAST(student_id AS VARCHAR) FROM student_sessions")
    found = found.fetchone()
    assert found is not None
    pseudo = student_sessions(pseudo_source, student_id=found[0])
    assert pseudo.height > 0 and pseudo["device"].is_null().all()
