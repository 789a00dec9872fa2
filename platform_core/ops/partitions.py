"""Partition upkeep: monthly partitions of ``analytics_events`` and ``audit_logs`` created ahead of time.

Creation goes through ``ilp_ensure_month_partitions`` (migration 0002), which serialises creators of the same
partition with an advisory lock and looks again before creating, so :func:`ensure_partitions` is idempotent
and safe to run from several schedulers at once.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, text

from platform_core.db.engine import owner_engine
from platform_core.settings import get_settings
from platform_core.validation import InvalidInput

PARTITIONED_TABLES = ("analytics_events", "audit_logs")
MAX_MONTHS_AHEAD = 36
_NAME = re.compile(r"^(?P<parent>[a-z_]+)_p(?P<year>\d{4})_(?P<month>\d{2})$")


@dataclass(frozen=True)
class PartitionInfo:
    parent: str
    name: str
    range_start: datetime
    range_end: datetime
    detach_pending: bool
    rows_estimate: int
    total_bytes: int
    created: bool = False

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["range_start"] = self.range_start.isoformat()
        data["range_end"] = self.range_end.isoformat()
        return data


def month_start(moment: datetime) -> datetime:
    moment = moment.astimezone(UTC)
    return datetime(moment.year, moment.month, 1, tzinfo=UTC)


def add_months(moment: datetime, months: int) -> datetime:
    index = moment.year * 12 + (moment.month - 1) + months
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)


def month_range(partition_name: str) -> tuple[str, datetime, datetime]:
    """``(parent, start, end)`` of a partition named ``<parent>_pYYYY_MM`` (UTC months, as created)."""
    match = _NAME.match(partition_name)
    if match is None:
        raise ValueError(f"not a monthly partition name: {partition_name!r}")
    start = datetime(int(match["year"]), int(match["month"]), 1, tzinfo=UTC)
    return match["parent"], start, add_months(start, 1)


def check_table(table: str) -> str:
    if table not in PARTITIONED_TABLES:
        raise InvalidInput("table", f"must be one of {', '.join(PARTITIONED_TABLES)}, got {table!r}")
    return table


def list_partitions(conn: Connection, tables: tuple[str, ...] = PARTITIONED_TABLES) -> list[PartitionInfo]:
    """Attached monthly partitions with their size, oldest first."""
    rows = conn.execute(
        text(
            """
            SELECT p.relname AS parent, c.relname AS name, i.inhdetachpending AS pending,
                   greatest(c.reltuples, 0)::bigint AS rows_estimate,
                   pg_total_relation_size(c.oid) AS total_bytes
            FROM pg_inherits i
            JOIN pg_class c ON c.oid = i.inhrelid
            JOIN pg_class p ON p.oid = i.inhparent
            WHERE p.relnamespace = current_schema()::regnamespace AND p.relname = ANY(:tables)
            ORDER BY c.relname
            """
        ),
        {"tables": list(tables)},
    ).mappings()
    partitions = []
    for row in rows:
        try:
            _, start, end = month_range(row["name"])
        except ValueError:
            continue  # not made by ilp_ensure_month_partitions: not ours to manage
        partitions.append(
            PartitionInfo(
                parent=row["parent"],
                name=row["name"],
                range_start=start,
                range_end=end,
                detach_pending=row["pending"],
                rows_estimate=row["rows_estimate"],
                total_bytes=row["total_bytes"],
            )
        )
    return sorted(partitions, key=lambda p: (p.parent, p.range_start))


def ensure_partitions(
    *,
    months_ahead: int | None = None,
    tables: tuple[str, ...] = PARTITIONED_TABLES,
    engine: Engine | None = None,
    now: datetime | None = None,
) -> list[PartitionInfo]:
    """Create the partitions of this month and the next ``months_ahead`` months (default
    ``ILP_PARTITIONS_AHEAD``) for each table, and report every attached partition (``created`` marks the
    new ones)."""
    ahead = get_settings().partitions_ahead_months if months_ahead is None else months_ahead
    if not isinstance(ahead, int) or not 0 <= ahead <= MAX_MONTHS_AHEAD:
        raise InvalidInput("months_ahead", f"must be an integer from 0 to {MAX_MONTHS_AHEAD}")
    for table in tables:
        check_table(table)
    start = month_start(now or datetime.now(UTC))
    end = add_months(start, ahead)
    engine = engine or owner_engine()
    with engine.connect() as conn:
        before = {p.name for p in list_partitions(conn, tables)}
        conn.commit()
    for table in tables:
        with engine.begin() as conn:
            conn.execute(
                text("SELECT ilp_ensure_month_partitions(:parent, :start, :end)"),
                {"parent": table, "start": start, "end": end},
            )
    with engine.connect() as conn:
        after = list_partitions(conn, tables)
    return [
        PartitionInfo(**{**asdict(p), "created": p.name not in before}) if p.name not in before else p
        for p in after
    ]
