"""Tenant isolation (roles, grants, RLS), monthly partitions and audit triggers.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25

Everything here is invisible to autogenerate, so it is written by hand and asserted by `ilp db check` and
the tests. Table lists are frozen in this file on purpose: later migrations add their own tables.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP_ROLE = "ilp_app"
CURRENT_TENANT = "NULLIF(current_setting('app.tenant_id', true), '')::uuid"

# Tables with tenant_id and the privileges the application role gets on them.
READ_WRITE = "SELECT, INSERT, UPDATE, DELETE"
TENANT_TABLES: dict[str, str] = {
    "users": READ_WRITE,
    "classes": READ_WRITE,
    "enrollments": READ_WRITE,
    "lessons": READ_WRITE,
    "class_lessons": READ_WRITE,
    "video_groups": READ_WRITE,
    "videos": READ_WRITE,
    "video_group_videos": READ_WRITE,
    "milestones": READ_WRITE,
    "questions": READ_WRITE,
    "student_sessions": READ_WRITE,
    "student_progress": READ_WRITE,
    "lesson_progress": READ_WRITE,
    "question_attempts": "SELECT, INSERT",
    "grades": READ_WRITE,
    "ai_configs": READ_WRITE,
    "ai_generation_jobs": READ_WRITE,
    "ai_rejected_candidates": "SELECT, INSERT",
    "ai_usage": "SELECT, INSERT, UPDATE",
    "question_reviews": "SELECT, INSERT",
    "experiments": READ_WRITE,
    "experiment_assignments": READ_WRITE,
    "event_quarantine": "SELECT, INSERT",
    "analytics_events": "SELECT, INSERT",
    "audit_logs": "SELECT",
}
SHARED_READ_ONLY = ("ai_model_prices", "monitoring_snapshots")
PARTITIONED = ("analytics_events", "audit_logs")

# Audited tables and the columns that identify a row (besides tenant_id) for audit_logs.record_id.
AUDITED: dict[str, tuple[str, ...]] = {
    "users": ("id",),
    "classes": ("id",),
    "enrollments": ("class_id", "student_id"),
    "lessons": ("id",),
    "class_lessons": ("class_id", "lesson_id"),
    "video_groups": ("id",),
    "videos": ("id",),
    "video_group_videos": ("video_group_id", "video_id"),
    "milestones": ("id",),
    "questions": ("id",),
    "question_attempts": ("id",),
    "grades": ("id",),
    "ai_configs": ("id",),
    "question_reviews": ("id",),
    "experiments": ("id",),
}

FUNCTIONS_SQL = r"""
CREATE FUNCTION ilp_ensure_month_partitions(parent text, from_ts timestamptz, to_ts timestamptz)
RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $fn$
DECLARE
    month_start date;
    last_month date;
    part text;
    created integer := 0;
BEGIN
    IF parent NOT IN ('analytics_events', 'audit_logs') THEN
        RAISE EXCEPTION 'not a time-partitioned table: %', parent USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF from_ts IS NULL OR to_ts IS NULL OR to_ts < from_ts THEN
        RAISE EXCEPTION 'invalid partition range % .. %', from_ts, to_ts USING ERRCODE = 'invalid_parameter_value';
    END IF;
    month_start := date_trunc('month', from_ts AT TIME ZONE 'UTC')::date;
    last_month := date_trunc('month', to_ts AT TIME ZONE 'UTC')::date;
    IF last_month > month_start + interval '20 years' THEN
        RAISE EXCEPTION 'partition range too long: % .. %', from_ts, to_ts USING ERRCODE = 'invalid_parameter_value';
    END IF;
    WHILE month_start <= last_month LOOP
        part := format('%s_p%s', parent, to_char(month_start, 'YYYY_MM'));
        IF NOT EXISTS (SELECT FROM pg_class WHERE relname = part AND relnamespace = current_schema()::regnamespace) THEN
            -- Serialise creators of the same partition, then look again with a fresh snapshot (a plain
            -- catalog query, not to_regclass(), whose cache may predate the other creator's commit).
            PERFORM pg_advisory_xact_lock(hashtext('ilp_partition:' || part));
            IF NOT EXISTS (SELECT FROM pg_class WHERE relname = part AND relnamespace = current_schema()::regnamespace) THEN
                EXECUTE format(
                    'CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)',
                    part, parent,
                    (month_start::timestamp AT TIME ZONE 'UTC'),
                    ((month_start + interval '1 month')::timestamp AT TIME ZONE 'UTC'));
                -- Defence in depth: partitions get no grants, but isolate them too.
                EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', part);
                EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', part);
                EXECUTE format(
                    'CREATE POLICY tenant_isolation ON %I USING (tenant_id = %s) WITH CHECK (tenant_id = %s)',
                    part, 'NULLIF(current_setting(''app.tenant_id'', true), '''')::uuid',
                    'NULLIF(current_setting(''app.tenant_id'', true), '''')::uuid');
                created := created + 1;
            END IF;
        END IF;
        month_start := (month_start + interval '1 month')::date;
    END LOOP;
    RETURN created;
END
$fn$;

CREATE FUNCTION ilp_tenant_id_for_slug(tenant_slug text)
RETURNS uuid LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $fn$
    SELECT id FROM tenants WHERE slug = tenant_slug AND is_active
$fn$;

CREATE FUNCTION ilp_write_audit(
    p_tenant uuid, p_action text, p_table text, p_record text,
    p_old jsonb, p_new jsonb, p_changed text[], p_context jsonb
) RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $fn$
DECLARE
    actor uuid := NULLIF(current_setting('app.user_id', true), '')::uuid;
    ctx jsonb := coalesce(p_context, '{}'::jsonb) || jsonb_build_object(
        'db_user', session_user, 'application', current_setting('application_name', true));
BEGIN
    BEGIN
        INSERT INTO audit_logs (tenant_id, actor_id, action, table_name, record_id,
                                old_data, new_data, changed_fields, context)
        VALUES (p_tenant, actor, p_action, p_table, p_record, p_old, p_new, p_changed, ctx);
    EXCEPTION WHEN check_violation THEN
        -- No partition for this month yet: make it, then write the row.
        PERFORM ilp_ensure_month_partitions('audit_logs', now(), now());
        INSERT INTO audit_logs (tenant_id, actor_id, action, table_name, record_id,
                                old_data, new_data, changed_fields, context)
        VALUES (p_tenant, actor, p_action, p_table, p_record, p_old, p_new, p_changed, ctx);
    END;
END
$fn$;

-- For the application: audit an event (login, failed login, admin action) in the current tenant.
CREATE FUNCTION ilp_audit_event(p_action text, p_table text, p_record text, p_details jsonb)
RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $fn$
DECLARE
    tenant uuid := NULLIF(current_setting('app.tenant_id', true), '')::uuid;
BEGIN
    IF tenant IS NULL THEN
        RAISE EXCEPTION 'ilp_audit_event needs a tenant (app.tenant_id is not set)'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF p_action IS NULL OR p_action !~ '^[A-Z][A-Z_]{1,31}$' OR p_action IN ('INSERT', 'UPDATE', 'DELETE') THEN
        RAISE EXCEPTION 'invalid audit action: %', p_action USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM ilp_write_audit(tenant, p_action, p_table, p_record, NULL, p_details, NULL, '{}'::jsonb);
END
$fn$;

CREATE FUNCTION ilp_audit_row() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $fn$
DECLARE
    old_row jsonb;
    new_row jsonb;
    row_data jsonb;
    changed text[];
    record text;
    secret text;
BEGIN
    IF TG_OP <> 'INSERT' THEN old_row := to_jsonb(OLD) - 'search'; END IF;
    IF TG_OP <> 'DELETE' THEN new_row := to_jsonb(NEW) - 'search'; END IF;
    IF TG_OP = 'UPDATE' THEN
        SELECT array_agg(n.key ORDER BY n.key) INTO changed
        FROM jsonb_each(new_row) AS n
        WHERE n.key <> 'updated_at' AND n.value IS DISTINCT FROM old_row -> n.key;
        IF changed IS NULL THEN
            RETURN NULL;  -- nothing but the timestamp changed
        END IF;
    END IF;
    FOREACH secret IN ARRAY ARRAY['password_hash', 'api_key_ciphertext'] LOOP
        IF old_row ? secret AND old_row ->> secret IS NOT NULL THEN
            old_row := jsonb_set(old_row, ARRAY[secret], '"[redacted]"');
        END IF;
        IF new_row ? secret AND new_row ->> secret IS NOT NULL THEN
            new_row := jsonb_set(new_row, ARRAY[secret], '"[redacted]"');
        END IF;
    END LOOP;
    row_data := coalesce(new_row, old_row);
    -- TG_ARGV: the tenant column, then the columns that identify the row.
    SELECT string_agg(row_data ->> key_column, ':' ORDER BY ordinal) INTO record
    FROM unnest(TG_ARGV[1:]) WITH ORDINALITY AS k(key_column, ordinal);
    PERFORM ilp_write_audit(
        (row_data ->> TG_ARGV[0])::uuid, TG_OP, TG_TABLE_NAME, record, old_row, new_row, changed, '{}'::jsonb);
    RETURN NULL;
END
$fn$;
"""

FUNCTION_SIGNATURES = (
    "ilp_ensure_month_partitions(text, timestamptz, timestamptz)",
    "ilp_tenant_id_for_slug(text)",
    "ilp_write_audit(uuid, text, text, text, jsonb, jsonb, text[], jsonb)",
    "ilp_audit_event(text, text, text, jsonb)",
    "ilp_audit_row()",
)
APP_FUNCTIONS = (
    "ilp_ensure_month_partitions(text, timestamptz, timestamptz)",
    "ilp_tenant_id_for_slug(text)",
    "ilp_audit_event(text, text, text, jsonb)",
)


def upgrade() -> None:
    op.execute(
        f"""
        DO $$ BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
                CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOREPLICATION;
            END IF;
        EXCEPTION  -- another database of the cluster, migrated at the same moment, created it first
            WHEN duplicate_object OR unique_violation THEN NULL;
        END $$
        """
    )
    op.execute(
        f"DO $$ BEGIN EXECUTE format('GRANT CONNECT ON DATABASE %I TO {APP_ROLE}', current_database()); END $$"
    )
    op.execute(f"GRANT USAGE ON SCHEMA public TO {APP_ROLE}")

    op.execute(FUNCTIONS_SQL)
    for signature in FUNCTION_SIGNATURES:
        op.execute(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")
    for signature in APP_FUNCTIONS:
        op.execute(f"GRANT EXECUTE ON FUNCTION {signature} TO {APP_ROLE}")

    for table, privileges in TENANT_TABLES.items():
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY tenant_isolation ON {table} "
            f"USING (tenant_id = {CURRENT_TENANT}) WITH CHECK (tenant_id = {CURRENT_TENANT})"
        )
        op.execute(f"GRANT {privileges} ON {table} TO {APP_ROLE}")

    # A tenant sees only itself; the owner (who provisions tenants) sees all of them.
    op.execute("ALTER TABLE tenants ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE tenants FORCE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY tenant_self ON tenants USING (id = {CURRENT_TENANT}) WITH CHECK (id = {CURRENT_TENANT})"
    )
    op.execute(
        "DO $$ BEGIN EXECUTE format('CREATE POLICY tenant_owner ON tenants TO %I USING (true) "
        "WITH CHECK (true)', current_user); END $$"
    )
    op.execute(f"GRANT SELECT, UPDATE (name, settings, updated_at) ON tenants TO {APP_ROLE}")
    for table in SHARED_READ_ONLY:
        op.execute(f"GRANT SELECT ON {table} TO {APP_ROLE}")

    for table, key_columns in AUDITED.items():
        args = ", ".join(f"'{c}'" for c in ("tenant_id", *key_columns))
        op.execute(
            f"CREATE TRIGGER audit_row AFTER INSERT OR UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION ilp_audit_row({args})"
        )
    op.execute(
        "CREATE TRIGGER audit_row AFTER INSERT OR UPDATE OR DELETE ON tenants "
        "FOR EACH ROW EXECUTE FUNCTION ilp_audit_row('id', 'id')"
    )

    for parent in PARTITIONED:
        op.execute(
            f"SELECT ilp_ensure_month_partitions('{parent}', now() - interval '1 month', "
            "now() + interval '3 months')"
        )


def downgrade() -> None:
    for table in (*AUDITED, "tenants"):
        op.execute(f"DROP TRIGGER IF EXISTS audit_row ON {table}")
    for table in SHARED_READ_ONLY:
        op.execute(f"REVOKE ALL ON {table} FROM {APP_ROLE}")
    op.execute(f"REVOKE ALL ON tenants FROM {APP_ROLE}")
    op.execute("DROP POLICY IF EXISTS tenant_owner ON tenants")
    op.execute("DROP POLICY IF EXISTS tenant_self ON tenants")
    op.execute("ALTER TABLE tenants NO FORCE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE tenants DISABLE ROW LEVEL SECURITY")
    for table in TENANT_TABLES:
        op.execute(f"REVOKE ALL ON {table} FROM {APP_ROLE}")
        op.execute(f"DROP POLICY IF EXISTS tenant_isolation ON {table}")
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
    for signature in reversed(FUNCTION_SIGNATURES):
        op.execute(f"DROP FUNCTION IF EXISTS {signature}")
    op.execute(f"REVOKE USAGE ON SCHEMA public FROM {APP_ROLE}")
    op.execute(
        f"DO $$ BEGIN EXECUTE format('REVOKE CONNECT ON DATABASE %I FROM {APP_ROLE}', current_database()); END $$"
    )
    # The role itself is cluster-wide and may serve other databases: it is left in place.
