"""DDL that every new tenant table needs, for use in migrations (autogenerate cannot produce it).

A migration that creates a tenant table calls::

    for statement in tenant_table_ddl("my_table", privileges="SELECT, INSERT", audit_key=("id",)):
        op.execute(statement)

and its downgrade drops the table (policies, grants and triggers go with it).
"""

from __future__ import annotations

from collections.abc import Sequence

from platform_core.settings import APP_ROLE

CURRENT_TENANT = "NULLIF(current_setting('app.tenant_id', true), '')::uuid"
READ_WRITE = "SELECT, INSERT, UPDATE, DELETE"


def tenant_table_ddl(
    table: str, *, privileges: str = READ_WRITE, audit_key: Sequence[str] | None = None
) -> list[str]:
    """Forced RLS with the tenant policy, grants to the application role, and optionally row auditing
    (``audit_key`` = the columns that identify a row, besides tenant_id)."""
    statements = [
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
        f"CREATE POLICY tenant_isolation ON {table} "
        f"USING (tenant_id = {CURRENT_TENANT}) WITH CHECK (tenant_id = {CURRENT_TENANT})",
        f"GRANT {privileges} ON {table} TO {APP_ROLE}",
    ]
    if audit_key:
        args = ", ".join(f"'{column}'" for column in ("tenant_id", *audit_key))
        statements.append(
            f"CREATE TRIGGER audit_row AFTER INSERT OR UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION ilp_audit_row({args})"
        )
    return statements


def shared_table_ddl(table: str, *, privileges: str = "SELECT") -> list[str]:
    """Grants for a table shared by all tenants (no tenant_id), e.g. a reference or operations table."""
    return [f"GRANT {privileges} ON {table} TO {APP_ROLE}"]
