"""Database-wide figures for one monitoring snapshot, read from the statistics views.

Every section is a plain JSON-ready dict; figures that depend on the previous snapshot (growth, failures
and latency per interval) are derived in :mod:`platform_core.ops.metrics`. Statistics views are readable
by any role (details of other roles' sessions are hidden without ``pg_read_all_stats``), so the owner
needs no extra privilege; what is not available is reported as such, never guessed.
"""

from __future__ import annotations

import os
import shutil
import statistics
import time
from typing import Any

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

SLOW_QUERY_LIMIT = 10
LONG_RUNNING_SECONDS = 5


def _one(conn: Connection, sql: str, **params: Any) -> dict[str, Any]:
    return dict(conn.execute(text(sql), params).mappings().one())


def server(conn: Connection) -> dict[str, Any]:
    return _one(
        conn,
        """
        SELECT current_setting('server_version') AS version,
               current_setting('server_version_num')::int AS version_num,
               pg_is_in_recovery() AS in_recovery,
               extract(epoch FROM now() - pg_postmaster_start_time())::bigint AS uptime_seconds,
               current_setting('max_connections')::int AS max_connections
        """,
    )


def database(conn: Connection) -> dict[str, Any]:
    row = _one(
        conn,
        """
        SELECT pg_database_size(current_database()) AS size_bytes, numbackends, xact_commit, xact_rollback,
               blks_read, blks_hit, temp_bytes, deadlocks, conflicts,
               coalesce(sessions_fatal, 0) + coalesce(sessions_abandoned, 0) AS sessions_failed,
               coalesce(sessions_killed, 0) AS sessions_killed
        FROM pg_stat_database WHERE datname = current_database()
        """,
    )
    reads = row["blks_hit"] + row["blks_read"]
    row["cache_hit_ratio"] = round(row["blks_hit"] / reads, 6) if reads else None
    return row


def connections(conn: Connection, max_connections: int) -> dict[str, Any]:
    row = _one(
        conn,
        """
        SELECT count(*) AS total,
               count(*) FILTER (WHERE datname = current_database()) AS this_database,
               count(*) FILTER (WHERE state = 'active') AS active,
               count(*) FILTER (WHERE state = 'idle') AS idle,
               count(*) FILTER (WHERE state LIKE 'idle in transaction%') AS idle_in_transaction,
               count(*) FILTER (WHERE wait_event_type = 'Lock') AS waiting_on_locks
        FROM pg_stat_activity WHERE backend_type = 'client backend'
        """,
    )
    row["max"] = max_connections
    row["usage_ratio"] = round(row["total"] / max_connections, 6) if max_connections else None
    row["ungranted_locks"] = conn.execute(text("SELECT count(*) FROM pg_locks WHERE NOT granted")).scalar()
    return row


def pools(engines: dict[str, Engine]) -> dict[str, Any]:
    """This process's SQLAlchemy pools (the server-side view is ``connections``)."""
    found: dict[str, Any] = {}
    for name, engine in engines.items():
        pool = engine.pool
        if not all(hasattr(pool, a) for a in ("size", "checkedout", "overflow", "checkedin")):
            continue
        size, out = pool.size(), pool.checkedout()  # type: ignore[attr-defined]
        found[name] = {
            "size": size,
            "checked_out": out,
            "checked_in": pool.checkedin(),  # type: ignore[attr-defined]
            "overflow": pool.overflow(),  # type: ignore[attr-defined]
            "usage_ratio": round(out / size, 6) if size else None,
        }
    return found


def tables(conn: Connection) -> dict[str, dict[str, Any]]:
    """Size and activity per table; partitioned tables summed over their partitions."""
    rows = conn.execute(
        text(
            """
            WITH parents AS (
                SELECT c.oid, c.relname, c.relkind FROM pg_class c
                WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p')
                  AND NOT c.relispartition
            ), leaves AS (
                SELECT p.oid AS parent, t.relid AS leaf FROM parents p
                CROSS JOIN LATERAL pg_partition_tree(p.oid) t WHERE p.relkind = 'p' AND t.isleaf
                UNION ALL
                SELECT p.oid, p.oid FROM parents p WHERE p.relkind = 'r'
            )
            SELECT p.relname AS name, p.relkind = 'p' AS partitioned,
                   count(l.leaf) FILTER (WHERE l.leaf <> p.oid) AS partitions,
                   coalesce(sum(pg_total_relation_size(l.leaf)), 0)::bigint AS total_bytes,
                   coalesce(sum(pg_indexes_size(l.leaf)), 0)::bigint AS index_bytes,
                   coalesce(sum(s.n_live_tup), 0)::bigint AS rows_estimate,
                   coalesce(sum(s.n_dead_tup), 0)::bigint AS dead_rows,
                   coalesce(sum(s.seq_scan), 0)::bigint AS seq_scans,
                   coalesce(sum(s.idx_scan), 0)::bigint AS index_scans,
                   coalesce(sum(s.n_tup_ins), 0)::bigint AS rows_inserted
            FROM parents p
            LEFT JOIN leaves l ON l.parent = p.oid
            LEFT JOIN pg_stat_user_tables s ON s.relid = l.leaf
            GROUP BY p.oid, p.relname, p.relkind
            ORDER BY p.relname
            """
        )
    ).mappings()
    found = {}
    for row in rows:
        item = dict(row)
        scans = item["seq_scans"] + item["index_scans"]
        item["index_usage_ratio"] = round(item["index_scans"] / scans, 6) if scans else None
        found[item.pop("name")] = item
    return found


def indexes(conn: Connection) -> dict[str, dict[str, Any]]:
    """Scans and size per index (an index of a partitioned table summed over its partitions)."""
    rows = conn.execute(
        text(
            """
            SELECT coalesce(pg_partition_root(s.indexrelid), s.indexrelid)::regclass::text AS name,
                   coalesce(pg_partition_root(s.relid), s.relid)::regclass::text AS table_name,
                   bool_or(x.indisunique) AS is_unique, bool_or(x.indisprimary) AS is_primary,
                   sum(s.idx_scan)::bigint AS scans, sum(pg_relation_size(s.indexrelid))::bigint AS size_bytes
            FROM pg_stat_user_indexes s JOIN pg_index x ON x.indexrelid = s.indexrelid
            WHERE s.schemaname = current_schema()
            GROUP BY 1, 2 ORDER BY 1
            """
        )
    ).mappings()
    return {row["name"]: {k: v for k, v in row.items() if k != "name"} for row in rows}


def unused_indexes(found: dict[str, dict[str, Any]]) -> list[str]:
    """Indexes never scanned since statistics were reset, except those enforcing a key."""
    return sorted(
        name
        for name, ix in found.items()
        if ix["scans"] == 0 and not ix["is_unique"] and not ix["is_primary"]
    )


def statements(conn: Connection) -> dict[str, Any]:
    """Slow queries from pg_stat_statements, or why they are not available."""
    installed = conn.execute(
        text("SELECT extversion FROM pg_extension WHERE extname = 'pg_stat_statements'")
    ).scalar()
    if installed is None:
        return {
            "available": False,
            "reason": "pg_stat_statements is not installed (needs shared_preload_libraries = "
            "'pg_stat_statements' and CREATE EXTENSION pg_stat_statements)",
        }
    try:
        with conn.begin_nested():
            totals = _one(
                conn,
                """
                SELECT coalesce(sum(calls), 0)::bigint AS calls,
                       coalesce(sum(total_exec_time), 0)::float8 AS total_ms
                FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database
                                                      WHERE datname = current_database())
                """,
            )
            slow = conn.execute(
                text(
                    """
                    SELECT left(query, 300) AS query, calls,
                           round(mean_exec_time::numeric, 3)::float8 AS mean_ms,
                           round(total_exec_time::numeric, 3)::float8 AS total_ms, rows
                    FROM pg_stat_statements
                    WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
                    ORDER BY mean_exec_time DESC LIMIT :limit
                    """
                ),
                {"limit": SLOW_QUERY_LIMIT},
            ).mappings()
            top = [dict(r) for r in slow]
    except DBAPIError as exc:
        return {"available": False, "reason": f"pg_stat_statements cannot be read: {exc.orig}"}
    return {"available": True, "version": installed, **totals, "top": top}


def long_running(conn: Connection) -> list[dict[str, Any]]:
    rows = conn.execute(
        text(
            """
            SELECT pid, round(extract(epoch FROM now() - query_start)::numeric, 1)::float8 AS seconds,
                   state, wait_event_type, left(query, 200) AS query
            FROM pg_stat_activity
            WHERE state <> 'idle' AND pid <> pg_backend_pid() AND backend_type = 'client backend'
              AND now() - query_start > make_interval(secs => :limit)
            ORDER BY query_start LIMIT 20
            """
        ),
        {"limit": LONG_RUNNING_SECONDS},
    ).mappings()
    return [dict(r) for r in rows]


def probe_latency(conn: Connection, rounds: int = 5) -> float:
    """Median round trip of a trivial catalog query, in milliseconds."""
    timings = []
    for _ in range(rounds):
        started = time.perf_counter()
        conn.execute(text("SELECT count(*) FROM pg_class WHERE relkind = 'r'")).scalar()
        timings.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(timings), 3)


def disk(conn: Connection) -> dict[str, Any] | None:
    """Free space of the data directory's filesystem, when the server runs on this machine and lets the
    role read ``data_directory`` (superuser or pg_read_all_settings); otherwise None."""
    try:
        with conn.begin_nested():
            path = conn.execute(text("SELECT current_setting('data_directory')")).scalar()
    except DBAPIError:
        return None
    if not path or not os.path.isdir(path):
        return None
    try:
        usage = shutil.disk_usage(path)
    except OSError:
        return None
    return {
        "path": path,
        "total_bytes": usage.total,
        "free_bytes": usage.free,
        "free_ratio": round(usage.free / usage.total, 6) if usage.total else None,
    }


def partitions(conn: Connection) -> dict[str, Any]:
    from platform_core.ops.partitions import list_partitions, month_start

    found: dict[str, Any] = {}
    current = month_start(conn.execute(text("SELECT now()")).scalar())
    for part in list_partitions(conn):
        item = found.setdefault(part.parent, {"count": 0, "oldest": None, "newest": None, "bytes": 0})
        item["count"] += 1
        item["bytes"] += part.total_bytes
        item["oldest"] = min(item["oldest"] or part.range_start, part.range_start)
        item["newest"] = max(item["newest"] or part.range_start, part.range_start)
    for item in found.values():
        newest = item["newest"]
        item["months_ahead"] = (newest.year * 12 + newest.month) - (current.year * 12 + current.month)
        item["oldest"], item["newest"] = item["oldest"].isoformat(), newest.isoformat()
    return found


def archive(conn: Connection) -> dict[str, Any]:
    return _one(
        conn,
        """
        SELECT count(*) FILTER (WHERE state = 'dropped') AS archived_partitions,
               count(*) FILTER (WHERE state <> 'dropped') AS in_flight,
               count(*) FILTER (WHERE state <> 'dropped' AND error IS NOT NULL) AS failing,
               coalesce(sum(row_count) FILTER (WHERE state = 'dropped'), 0)::bigint AS archived_rows,
               coalesce(sum(bytes_written) FILTER (WHERE state = 'dropped'), 0)::bigint AS archived_bytes
        FROM archived_partitions
        """,
    )
