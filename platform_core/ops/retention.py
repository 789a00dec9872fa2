"""Retention tiers per tenant: archived files stay warm for the tenant's ``retentionWarmDays`` (tenant
settings; default 730 days, i.e. two years) after their month ends, then move to the cold tier.

A move copies the files into ``cold/`` (temporary name, fsync, rename), checks the copy's row checksum
with DuckDB, records the new location, and only then deletes the warm copy. Readers follow the record,
so they see one copy at any moment; a crash leaves at worst an unrecorded cold copy (overwritten next
time) or a recorded move whose warm copy is still there (deleted next time).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from platform_core.db.engine import owner_engine
from platform_core.models import ArchiveFile, ArchiveTier, Tenant
from platform_core.ops.archive_store import ArchiveStore
from platform_core.tenancy.schemas import TenantSettings

DEFAULT_WARM_DAYS = TenantSettings().retention_warm_days
_RECORD_MOVE = text(
    "UPDATE archive_files SET tier = 'cold', files = CAST(:files AS jsonb), moved_at = now() "
    "WHERE tenant_id = :t AND archive_id = :a AND tier = 'warm'"
)


def warm_days(settings: dict | None) -> int:
    """The tenant's warm window in days (invalid or missing settings fall back to the default)."""
    value = (settings or {}).get("retentionWarmDays", DEFAULT_WARM_DAYS)
    return value if isinstance(value, int) and value >= 90 else DEFAULT_WARM_DAYS


def _tenants(engine: Engine) -> list[tuple[uuid.UUID, int]]:
    with Session(engine) as s:  # the owner sees every tenant (policy tenant_owner)
        return [(t.id, warm_days(t.settings)) for t in s.scalars(select(Tenant))]


@dataclass
class TierReport:
    moved: int = 0
    errors: list[str] = field(default_factory=list)


def move_to_cold(
    *,
    engine: Engine | None = None,
    store: ArchiveStore | None = None,
    now: datetime | None = None,
    archive_ids: Collection[uuid.UUID] | None = None,
) -> TierReport:
    """Move every published warm file past its tenant's warm window to the cold tier (only those of
    ``archive_ids`` when given). Also removes warm copies left behind by an interrupted move. A file that
    cannot be moved is reported and stays where it is (still readable)."""
    engine = engine or owner_engine()
    store = store or ArchiveStore()
    now = now or datetime.now(UTC)
    report = TierReport()
    for tenant_id, days in _tenants(engine):
        cutoff = now - timedelta(days=days)
        with Session(engine, expire_on_commit=False) as s, s.begin():
            s.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(tenant_id)})
            entries = list(
                s.scalars(
                    select(ArchiveFile).where(
                        ArchiveFile.tenant_id == tenant_id, ArchiveFile.published.is_(True)
                    )
                )
            )
        for entry in entries:
            if archive_ids is not None and entry.archive_id not in archive_ids:
                continue
            try:
                report.moved += _move(engine, store, entry, cutoff)
            except OSError as exc:
                report.errors.append(
                    f"{entry.parent_table} {entry.range_start:%Y-%m} tenant {tenant_id}: {exc}"
                )
    return report


def _move(engine: Engine, store: ArchiveStore, entry: ArchiveFile, cutoff: datetime) -> int:
    from platform_core.ops.archive import parquet_checksums

    if entry.tier == ArchiveTier.COLD:
        for cold in entry.files:  # leftovers of a move interrupted after it was recorded
            store.delete_file(store.in_tier(cold, ArchiveTier.WARM))
        return 0
    if entry.range_end > cutoff:
        return 0
    if not entry.files:  # the tenant had no rows in that partition: nothing to copy
        with Session(engine) as s, s.begin():
            s.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(entry.tenant_id)})
            s.execute(_RECORD_MOVE, {"files": "[]", "t": entry.tenant_id, "a": entry.archive_id})
        return 1
    cold_files = [store.in_tier(f, ArchiveTier.COLD) for f in entry.files]
    for warm, cold in zip(entry.files, cold_files, strict=True):
        store.copy_file(warm, cold)
    found = parquet_checksums(entry.parent_table, [str(store.path(f)) for f in cold_files])
    if {str(entry.tenant_id): entry.checksum} != {t: f"{n}:{h}" for t, (n, h) in found.items()}:
        for cold in cold_files:
            store.delete_file(cold)
        raise OSError("the cold copy does not match the recorded checksum; the warm copy stays")
    with Session(engine) as s, s.begin():
        s.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(entry.tenant_id)})
        s.execute(
            _RECORD_MOVE, {"files": json.dumps(cold_files), "t": entry.tenant_id, "a": entry.archive_id}
        )
    for warm in entry.files:
        store.delete_file(warm)
    return 1
