"""Where archived Parquet files live, and the file operations that make writing them crash-safe.

Layout under the archive root (``ILP_ARCHIVE_DIR``, default ``$ILP_HOME/archive``)::

    .tmp/<archive id>/tenant_id=<tenant>/data_0.parquet                  being written
    warm/<table>/<YYYY-MM>/<archive id>/tenant_id=<tenant>/data_0.parquet  archived, within the warm window
    cold/<table>/<YYYY-MM>/<archive id>/tenant_id=<tenant>/data_0.parquet  beyond the tenant's warm window

A directory appears under ``warm/`` only by an atomic rename of a fully written and fsynced ``.tmp``
directory; files reach ``cold/`` the same way. Readers never list directories: they read the files that
the ``archive_files`` table names, so a half-finished move is never visible. The root may be any mounted
filesystem (a local disk, or an object store mounted as a filesystem).
"""

from __future__ import annotations

import os
import shutil
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from platform_core.models import ArchiveTier
from platform_core.settings import get_settings

TMP = ".tmp"


class ArchiveStoreError(RuntimeError):
    """The archive folder is unusable (not a local path, not writable...)."""


def archive_root(path: Path | str | None = None) -> Path:
    """The archive root: ``path``, else ``ILP_ARCHIVE_DIR``, else ``$ILP_HOME/archive``."""
    settings = get_settings()
    raw = path if path is not None else settings.archive_dir
    if raw is None:
        return settings.home / "archive"
    text = str(raw)
    if "://" in text and not text.startswith("file://"):
        raise ArchiveStoreError(
            f"archive location {text!r}: only filesystem paths are supported (mount the object store)"
        )
    return Path(text.removeprefix("file://")).expanduser().resolve()


@dataclass(frozen=True)
class TenantFiles:
    tenant_id: uuid.UUID
    files: list[str]  # relative to the archive root
    bytes: int


class ArchiveStore:
    def __init__(self, root: Path | str | None = None) -> None:
        self.root = archive_root(root)

    def path(self, relative: str) -> Path:
        resolved = (self.root / relative).resolve()
        if self.root not in resolved.parents:
            raise ArchiveStoreError(f"path escapes the archive root: {relative!r}")
        return resolved

    def tmp_dir(self, archive_id: uuid.UUID) -> Path:
        return self.root / TMP / str(archive_id)

    def relative_dir(self, tier: ArchiveTier, table: str, month: datetime, archive_id: uuid.UUID) -> str:
        return f"{tier.value}/{table}/{month:%Y-%m}/{archive_id}"

    def final_dir(self, table: str, month: datetime, archive_id: uuid.UUID) -> Path:
        return self.root / self.relative_dir(ArchiveTier.WARM, table, month, archive_id)

    @staticmethod
    def in_tier(relative: str, tier: ArchiveTier | str) -> str:
        """The same file's path in another tier."""
        _, rest = relative.split("/", 1)
        return f"{ArchiveTier(tier).value}/{rest}"

    def remove(self, directory: Path) -> None:
        if directory.exists():
            shutil.rmtree(directory)

    def publish_dir(self, tmp: Path, final: Path) -> None:
        """fsync every file and directory under ``tmp``, then rename it to ``final`` atomically."""
        for dirpath, _dirs, files in os.walk(tmp):
            for name in files:
                fsync_file(Path(dirpath) / name)
            fsync_dir(Path(dirpath))
        final.parent.mkdir(parents=True, exist_ok=True)
        os.rename(tmp, final)
        fsync_dir(final.parent)

    def tenant_files(self, directory: Path) -> list[TenantFiles]:
        """The ``tenant_id=<uuid>`` sub-directories of a written archive directory and their files."""
        found = []
        for sub in sorted(directory.glob("tenant_id=*")):
            tenant = uuid.UUID(sub.name.split("=", 1)[1])
            files = sorted(sub.glob("*.parquet"))
            found.append(
                TenantFiles(
                    tenant_id=tenant,
                    files=[str(f.relative_to(self.root)) for f in files],
                    bytes=sum(f.stat().st_size for f in files),
                )
            )
        return found

    def copy_file(self, source: str, target: str) -> None:
        """Copy a file to ``target`` through a temporary name, fsynced, then renamed (idempotent)."""
        src, dst = self.path(source), self.path(target)
        dst.parent.mkdir(parents=True, exist_ok=True)
        tmp = dst.with_name(f".{dst.name}.{uuid.uuid4().hex[:8]}.tmp")
        shutil.copyfile(src, tmp)
        fsync_file(tmp)
        os.replace(tmp, dst)
        fsync_dir(dst.parent)

    def delete_file(self, relative: str) -> bool:
        """Delete a file and the directories it leaves empty (up to the tier folder)."""
        target = self.path(relative)
        if not target.exists():
            return False
        target.unlink()
        parent = target.parent
        while parent != self.root and parent.parent != self.root and not any(parent.iterdir()):
            parent.rmdir()
            parent = parent.parent
        return True

    def replace_file(self, tmp: Path, relative: str) -> None:
        target = self.path(relative)
        fsync_file(tmp)
        os.replace(tmp, target)
        fsync_dir(target.parent)


def fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
