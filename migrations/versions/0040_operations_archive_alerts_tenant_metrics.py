"""operations: archive, alerts, tenant metrics, GDPR redaction functions

Revision ID: 0040
Revises: 0002
Create Date: 2026-11-25 16:59:54.924265

Tables of `platform_core/models/ops.py`, plus what autogenerate cannot see:
- the `ilp_archive` schema, where a detached partition waits (readable, RLS still on) until its Parquet
  copy is verified; it is outside the public schema so `ilp db check` sees neither drift nor an
  unprotected tenant table while an archive is in flight;
- RLS and read-only grants of the tenant tables (`archive_files`, `tenant_alert_incidents`,
  `tenant_metrics`), read-only grants of the shared ones;
- the GDPR functions. The application role may not update audit rows or raw events; these SECURITY
  DEFINER functions let it redact exactly the personal fields of ONE user of the CURRENT tenant, and only
  after that user has been pseudonymised (so they cannot be used to rewrite a live user's history).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from platform_core.db.ddl import shared_table_ddl, tenant_table_ddl

revision: str = "0040"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP_ROLE = "ilp_app"
ARCHIVE_SCHEMA = "ilp_archive"
TENANT_TABLES = ("archive_files", "tenant_alert_incidents", "tenant_metrics")
SHARED_TABLES = ("archived_partitions", "alert_rules", "alert_incidents")

FUNCTIONS_SQL = r"""
-- Overwrite the keys of `personal` that `doc` has (a JSON object), leaving every other key alone.
CREATE FUNCTION ilp_gdpr_overwrite(doc jsonb, personal jsonb)
RETURNS jsonb LANGUAGE sql IMMUTABLE SET search_path = public AS $fn$
    SELECT CASE WHEN doc IS NULL OR jsonb_typeof(doc) <> 'object' THEN doc
                ELSE doc || coalesce((SELECT jsonb_object_agg(key, value) FROM jsonb_each(personal)
                                      WHERE doc ? key), '{}'::jsonb) END
$fn$;

-- Replace every occurrence (case-insensitive) of each value inside the JSON text of `doc`.
CREATE FUNCTION ilp_gdpr_replace_values(doc jsonb, vals text[], replacement text)
RETURNS jsonb LANGUAGE plpgsql IMMUTABLE SET search_path = public AS $fn$
DECLARE
    body text;
    v text;
    inner_v text;
    inner_r text := substr(to_jsonb(replacement)::text, 2, length(to_jsonb(replacement)::text) - 2);
BEGIN
    IF doc IS NULL OR vals IS NULL THEN
        RETURN doc;
    END IF;
    body := doc::text;
    FOREACH v IN ARRAY vals LOOP
        CONTINUE WHEN v IS NULL OR length(v) < 3 OR v = replacement;
        inner_v := substr(to_jsonb(v)::text, 2, length(to_jsonb(v)::text) - 2);
        body := regexp_replace(body, regexp_replace(inner_v, '([.^$*+?()\[\]{}|\\-])', '\\\1', 'g'),
                               replace(inner_r, '\', '\\'), 'gi');
    END LOOP;
    RETURN body::jsonb;
END
$fn$;

-- The tenant of the session, after checking that `p_user` is one of its users and has been pseudonymised.
CREATE FUNCTION ilp_gdpr_erased_user_tenant(p_user uuid)
RETURNS uuid LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public AS $fn$
DECLARE
    tenant uuid := NULLIF(current_setting('app.tenant_id', true), '')::uuid;
BEGIN
    IF tenant IS NULL THEN
        RAISE EXCEPTION 'GDPR redaction needs a tenant (app.tenant_id is not set)'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NOT EXISTS (SELECT FROM users WHERE tenant_id = tenant AND id = p_user
                   AND email LIKE 'erased+%@erased.invalid' AND NOT is_active) THEN
        RAISE EXCEPTION 'user % of this tenant has not been pseudonymised: erase the users row first', p_user
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN tenant;
END
$fn$;

-- Every email and display name the person's users row ever had, from its audit history.
CREATE FUNCTION ilp_gdpr_personal_values(p_tenant uuid, p_user uuid, p_key text)
RETURNS text[] LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $fn$
    SELECT coalesce(array_agg(DISTINCT v ORDER BY v), '{}') FROM (
        SELECT old_data ->> p_key AS v FROM audit_logs
         WHERE tenant_id = p_tenant AND table_name = 'users' AND record_id = p_user::text
        UNION ALL
        SELECT new_data ->> p_key FROM audit_logs
         WHERE tenant_id = p_tenant AND table_name = 'users' AND record_id = p_user::text
    ) AS history WHERE v IS NOT NULL AND v <> ''
$fn$;

-- Redact the person's personal fields in the audit trail of the current tenant: the keys of their own
-- users rows, and their email addresses wherever they appear in old/new data or context.
CREATE FUNCTION ilp_gdpr_redact_audit(p_user uuid)
RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $fn$
DECLARE
    tenant uuid := ilp_gdpr_erased_user_tenant(p_user);
    emails text[] := ilp_gdpr_personal_values(tenant, p_user, 'email');
    pseudo_email text;
    personal jsonb;
    pattern text;
    own integer;
    elsewhere integer;
BEGIN
    SELECT email, jsonb_build_object('email', email, 'display_name', display_name,
                                     'preferences', '{}'::jsonb, 'last_login_at', NULL)
      INTO pseudo_email, personal
      FROM users WHERE tenant_id = tenant AND id = p_user;
    UPDATE audit_logs
       SET old_data = ilp_gdpr_overwrite(old_data, personal), new_data = ilp_gdpr_overwrite(new_data, personal)
     WHERE tenant_id = tenant AND table_name = 'users' AND record_id = p_user::text
       AND (ilp_gdpr_overwrite(old_data, personal) IS DISTINCT FROM old_data
            OR ilp_gdpr_overwrite(new_data, personal) IS DISTINCT FROM new_data);
    GET DIAGNOSTICS own = ROW_COUNT;
    emails := array_remove(emails, pseudo_email);
    IF cardinality(emails) = 0 THEN
        RETURN own;
    END IF;
    pattern := (SELECT string_agg(regexp_replace(substr(to_jsonb(e)::text, 2, length(to_jsonb(e)::text) - 2),
                                                 '([.^$*+?()\[\]{}|\\-])', '\\\1', 'g'), '|')
                  FROM unnest(emails) AS e);
    UPDATE audit_logs
       SET old_data = ilp_gdpr_replace_values(old_data, emails, pseudo_email),
           new_data = ilp_gdpr_replace_values(new_data, emails, pseudo_email),
           context = ilp_gdpr_replace_values(context, emails, pseudo_email)
     WHERE tenant_id = tenant
       AND (old_data::text ~* pattern OR new_data::text ~* pattern OR context::text ~* pattern);
    GET DIAGNOSTICS elsewhere = ROW_COUNT;
    RETURN own + elsewhere;
END
$fn$;

-- Redact device details and the person's email addresses in their raw events and quarantined payloads
-- (append-only for the application role). Event types, times and data stay, so aggregates do not change.
CREATE FUNCTION ilp_gdpr_redact_activity(p_user uuid)
RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $fn$
DECLARE
    tenant uuid := ilp_gdpr_erased_user_tenant(p_user);
    emails text[] := ilp_gdpr_personal_values(tenant, p_user, 'email');
    pseudo_email text;
    kept text[] := ARRAY['experiment', 'app_version'];
    events integer;
    quarantined integer;
BEGIN
    SELECT email INTO pseudo_email FROM users WHERE tenant_id = tenant AND id = p_user;
    emails := array_remove(emails, pseudo_email);
    UPDATE analytics_events
       SET context = CASE WHEN jsonb_typeof(context) = 'object'
                          THEN (SELECT coalesce(jsonb_object_agg(key, value), '{}'::jsonb)
                                  FROM jsonb_each(context) WHERE key = ANY (kept))
                          ELSE NULL END,
           data = ilp_gdpr_replace_values(data, emails, pseudo_email)
     WHERE tenant_id = tenant AND user_id = p_user
       AND ((context IS NOT NULL AND (jsonb_typeof(context) <> 'object' OR context - kept <> '{}'::jsonb))
            OR ilp_gdpr_replace_values(data, emails, pseudo_email) IS DISTINCT FROM data);
    GET DIAGNOSTICS events = ROW_COUNT;
    UPDATE event_quarantine
       SET payload = ilp_gdpr_replace_values(
               CASE WHEN jsonb_typeof(payload -> 'context') = 'object'
                    THEN jsonb_set(payload, '{context}', (SELECT coalesce(jsonb_object_agg(key, value), '{}'::jsonb)
                                                          FROM jsonb_each(payload -> 'context')
                                                          WHERE key = ANY (kept)))
                    ELSE payload - 'context' END,
               emails, pseudo_email)
     WHERE tenant_id = tenant AND payload ->> 'user_id' = p_user::text;
    GET DIAGNOSTICS quarantined = ROW_COUNT;
    RETURN events + quarantined;
END
$fn$;
"""

FUNCTION_SIGNATURES = (
    "ilp_gdpr_overwrite(jsonb, jsonb)",
    "ilp_gdpr_replace_values(jsonb, text[], text)",
    "ilp_gdpr_erased_user_tenant(uuid)",
    "ilp_gdpr_personal_values(uuid, uuid, text)",
    "ilp_gdpr_redact_audit(uuid)",
    "ilp_gdpr_redact_activity(uuid)",
)
APP_FUNCTIONS = ("ilp_gdpr_redact_audit(uuid)", "ilp_gdpr_redact_activity(uuid)")


def upgrade() -> None:
    # ### commands auto generated by Alembic - please adjust! ###
    op.create_table(
        "alert_incidents",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("rule_key", sa.String(length=64), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="firing", nullable=False),
        sa.Column("value", sa.Double(), nullable=True),
        sa.Column("threshold", sa.Double(), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column(
            "details",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("fired_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column(
            "last_seen_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("notified_firing_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("notified_resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivery_attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_delivery_error", sa.Text(), nullable=True),
        sa.CheckConstraint("status IN ('firing', 'resolved')", name=op.f("ck_alert_incidents_status_known")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_incidents")),
    )
    op.create_index("ix_alert_incidents_fired", "alert_incidents", ["fired_at"], unique=False)
    op.create_index(
        "uq_alert_incidents_open",
        "alert_incidents",
        ["rule_key"],
        unique=True,
        postgresql_where=sa.text("resolved_at IS NULL"),
    )
    op.create_table(
        "alert_rules",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column(
            "severity",
            sa.Enum(
                "info",
                "warning",
                "critical",
                name="alert_rule_severity",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("definition", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("enabled", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("scope IN ('database', 'tenant')", name=op.f("ck_alert_rules_scope_known")),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_alert_rules")),
    )
    op.create_table(
        "archived_partitions",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("parent_table", sa.String(length=63), nullable=False),
        sa.Column("partition_name", sa.String(length=63), nullable=False),
        sa.Column("working_table", sa.String(length=63), nullable=True),
        sa.Column("range_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("range_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "detaching",
                "detached",
                "written",
                "verified",
                "dropped",
                name="archive_state",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            server_default="detaching",
            nullable=False,
        ),
        sa.Column("row_count", sa.BigInteger(), nullable=True),
        sa.Column("checksum", sa.Text(), nullable=True),
        sa.Column("parquet_checksum", sa.Text(), nullable=True),
        sa.Column("bytes_written", sa.BigInteger(), nullable=True),
        sa.Column("directory", sa.Text(), nullable=True),
        sa.Column("tenant_ids", sa.ARRAY(sa.Uuid()), server_default=sa.text("'{}'"), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("detached_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("written_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dropped_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "parent_table IN ('analytics_events', 'audit_logs')",
            name=op.f("ck_archived_partitions_parent_table_known"),
        ),
        sa.CheckConstraint("range_end > range_start", name=op.f("ck_archived_partitions_range_order")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_archived_partitions")),
    )
    op.create_index(
        "ix_archived_partitions_parent_range",
        "archived_partitions",
        ["parent_table", "range_start"],
        unique=False,
    )
    op.create_index(
        "uq_archived_partitions_in_flight",
        "archived_partitions",
        ["parent_table", "partition_name"],
        unique=True,
        postgresql_where=sa.text("state <> 'dropped'"),
    )
    op.create_table(
        "archive_files",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("archive_id", sa.Uuid(), nullable=False),
        sa.Column("parent_table", sa.String(length=63), nullable=False),
        sa.Column("range_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("range_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "tier",
            sa.Enum(
                "warm", "cold", name="archive_tier", native_enum=False, create_constraint=True, length=32
            ),
            server_default="warm",
            nullable=False,
        ),
        sa.Column(
            "files",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        sa.Column("row_count", sa.BigInteger(), nullable=False),
        sa.Column("checksum", sa.Text(), nullable=False),
        sa.Column("bytes", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("published", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("moved_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["archive_id"],
            ["archived_partitions.id"],
            name=op.f("fk_archive_files_archive_id_archived_partitions"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_archive_files_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "archive_id", name=op.f("pk_archive_files")),
    )
    op.create_index("ix_archive_files_archive", "archive_files", ["archive_id"], unique=False)
    op.create_index(
        "ix_archive_files_tenant_table_range",
        "archive_files",
        ["tenant_id", "parent_table", "range_start"],
        unique=False,
    )
    op.create_table(
        "tenant_alert_incidents",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("rule_key", sa.String(length=64), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="firing", nullable=False),
        sa.Column("value", sa.Double(), nullable=True),
        sa.Column("threshold", sa.Double(), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column(
            "details",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("fired_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column(
            "last_seen_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("notified_firing_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("notified_resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivery_attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_delivery_error", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "status IN ('firing', 'resolved')", name=op.f("ck_tenant_alert_incidents_status_known")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_tenant_alert_incidents_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_tenant_alert_incidents")),
    )
    op.create_index(
        "ix_tenant_alert_incidents_fired", "tenant_alert_incidents", ["tenant_id", "fired_at"], unique=False
    )
    op.create_index(
        "uq_tenant_alert_incidents_open",
        "tenant_alert_incidents",
        ["tenant_id", "rule_key"],
        unique=True,
        postgresql_where=sa.text("resolved_at IS NULL"),
    )
    op.create_table(
        "tenant_metrics",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("metrics", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_tenant_metrics_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_tenant_metrics")),
    )
    op.create_index(
        "ix_tenant_metrics_tenant_time", "tenant_metrics", ["tenant_id", "taken_at"], unique=False
    )
    # ### end Alembic commands ###

    for table in TENANT_TABLES:
        for statement in tenant_table_ddl(table, privileges="SELECT"):
            op.execute(statement)
    for table in SHARED_TABLES:
        for statement in shared_table_ddl(table, privileges="SELECT"):
            op.execute(statement)
    op.execute(f"CREATE SCHEMA IF NOT EXISTS {ARCHIVE_SCHEMA}")
    op.execute(f"REVOKE ALL ON SCHEMA {ARCHIVE_SCHEMA} FROM PUBLIC")
    op.execute(f"GRANT USAGE ON SCHEMA {ARCHIVE_SCHEMA} TO {APP_ROLE}")
    op.execute(FUNCTIONS_SQL)
    for signature in FUNCTION_SIGNATURES:
        op.execute(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")
    for signature in APP_FUNCTIONS:
        op.execute(f"GRANT EXECUTE ON FUNCTION {signature} TO {APP_ROLE}")


def downgrade() -> None:
    for signature in reversed(FUNCTION_SIGNATURES):
        op.execute(f"DROP FUNCTION IF EXISTS {signature}")
    # Not CASCADE: a partition still in flight (its rows exist nowhere else) makes the downgrade fail.
    op.execute(f"DROP SCHEMA IF EXISTS {ARCHIVE_SCHEMA}")
    # ### commands auto generated by Alembic - please adjust! ###
    op.drop_index("ix_tenant_metrics_tenant_time", table_name="tenant_metrics")
    op.drop_table("tenant_metrics")
    op.drop_index(
        "uq_tenant_alert_incidents_open",
        table_name="tenant_alert_incidents",
        postgresql_where=sa.text("resolved_at IS NULL"),
    )
    op.drop_index("ix_tenant_alert_incidents_fired", table_name="tenant_alert_incidents")
    op.drop_table("tenant_alert_incidents")
    op.drop_index("ix_archive_files_tenant_table_range", table_name="archive_files")
    op.drop_index("ix_archive_files_archive", table_name="archive_files")
    op.drop_table("archive_files")
    op.drop_index(
        "uq_archived_partitions_in_flight",
        table_name="archived_partitions",
        postgresql_where=sa.text("state <> 'dropped'"),
    )
    op.drop_index("ix_archived_partitions_parent_range", table_name="archived_partitions")
    op.drop_table("archived_partitions")
    op.drop_table("alert_rules")
    op.drop_index(
        "uq_alert_incidents_open",
        table_name="alert_incidents",
        postgresql_where=sa.text("resolved_at IS NULL"),
    )
    op.drop_index("ix_alert_incidents_fired", table_name="alert_incidents")
    op.drop_table("alert_incidents")
    # ### end Alembic commands ###
