"""Least-privilege checks for `ilp db check` (registered there as ``least_privilege``).

Beyond what the other checks cover (the application role is no superuser, owns nothing, cannot TRUNCATE,
cannot write audit rows, has no partition grants), this one holds that:

- every SECURITY DEFINER function of the schema pins its ``search_path`` and is not executable by PUBLIC
  (otherwise anyone could borrow the owner's rights, or hijack them through objects on their path);
- PUBLIC has no privilege on any table of the schema;
- the application role cannot create objects (in the schema, in ``ilp_archive``, or schemas in the
  database), and cannot write the operations tables (snapshots, archive records, alerts, metrics);
- in ``ilp_archive`` (partitions being archived) the application role may at most read.
"""

from __future__ import annotations

from sqlalchemy import Connection, Engine, text

from platform_core.ops.archive_sql import ARCHIVE_SCHEMA
from platform_core.settings import APP_ROLE

OPERATIONS_TABLES = (
    "monitoring_snapshots", "archived_partitions", "archive_files", "alert_rules", "alert_incidents",
    "tenant_alert_incidents", "tenant_metrics",
)  # fmt: skip
WRITES = ("INSERT", "UPDATE", "DELETE", "TRUNCATE")


def check_least_privilege(conn: Connection, engine: Engine) -> list[str]:
    problems = []
    for signature, config, public in conn.execute(
        text(
            """
            SELECT p.oid::regprocedure::text, p.proconfig, has_function_privilege('public', p.oid, 'EXECUTE')
            FROM pg_proc p WHERE p.prosecdef AND p.pronamespace = current_schema()::regnamespace
            """
        )
    ):
        if not any(setting.startswith("search_path=") for setting in config or []):
            problems.append(f"SECURITY DEFINER function {signature} does not pin search_path")
        if public:
            problems.append(f"SECURITY DEFINER function {signature} is executable by PUBLIC")
    for table, privilege in conn.execute(
        text(
            """
            SELECT c.relname, p.privilege FROM pg_class c
            CROSS JOIN unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE']) AS p(privilege)
            WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm')
              AND has_table_privilege('public', c.oid, p.privilege)
            """
        )
    ):
        problems.append(f"PUBLIC has {privilege} on {table}")
    row = conn.execute(
        text(
            """
            SELECT has_schema_privilege(:role, current_schema(), 'CREATE') AS schema_create,
                   has_database_privilege(:role, current_database(), 'CREATE') AS database_create,
                   to_regnamespace(:archive) IS NOT NULL
                       AND has_schema_privilege(:role, :archive, 'CREATE') AS archive_create
            """
        ),
        {"role": APP_ROLE, "archive": ARCHIVE_SCHEMA},
    ).one()
    if row.schema_create:
        problems.append(
            f"{APP_ROLE} may CREATE in schema {conn.execute(text('SELECT current_schema()')).scalar()}"
        )
    if row.database_create:
        problems.append(f"{APP_ROLE} may CREATE schemas in the database")
    if row.archive_create:
        problems.append(f"{APP_ROLE} may CREATE in schema {ARCHIVE_SCHEMA}")
    for table, privilege in conn.execute(
        text(
            """
            SELECT t.name, p.privilege FROM unnest(CAST(:tables AS text[])) AS t(name)
            CROSS JOIN unnest(CAST(:writes AS text[])) AS p(privilege)
            WHERE to_regclass(t.name) IS NOT NULL
              AND has_table_privilege(:role, to_regclass(t.name), p.privilege)
            UNION ALL
            SELECT c.relname, p.privilege FROM pg_class c
            CROSS JOIN unnest(CAST(:writes AS text[])) AS p(privilege)
            WHERE c.relnamespace = to_regnamespace(:archive)
              AND has_table_privilege(:role, c.oid, p.privilege)
            """
        ),
        {
            "tables": list(OPERATIONS_TABLES),
            "writes": list(WRITES),
            "role": APP_ROLE,
            "archive": ARCHIVE_SCHEMA,
        },
    ):
        problems.append(f"{APP_ROLE} may {privilege} {table}")
    return problems
