"""Operations: partition upkeep, archival to Parquet, monitoring, alerts, caching and the health read API.

Operator tasks (``ilp ops ...``) run as the schema owner; what the dashboard reads goes through the
application role (``health``), so Row-Level Security keeps per-tenant figures per tenant.
"""
