"""Stable pseudonyms for researcher exports.

A user's pseudonym is ``HMAC-SHA256(salt, "user:" + id)`` cut to 128 bits and shaped as a UUID (version
8, "custom"), so exported id columns keep the UUID type and joins between tables work. The salt is per
tenant and never exported: the tenant's ``settings.pseudonymSalt`` when an operator set one, else a random
key kept in ``ILP_HOME/keys/pseudonym-<tenant id>.key`` (created on first use, mode 0600). The same salt
gives the same student the same pseudonym in every table and every export; whoever has the salt can
re-identify, so treat the key file like a password (back it up with the database, or exports made after
losing it will not link to earlier ones).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import uuid
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session

from platform_core.settings import get_settings

SALT_SETTING = "pseudonymSalt"
UUID_TEXT = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


class SaltUnavailable(RuntimeError):
    """No salt can be read or created for the tenant (e.g. ILP_HOME is not writable)."""


def key_file(tenant_id: uuid.UUID | str, home: Path | None = None) -> Path:
    return (home or get_settings().home) / "keys" / f"pseudonym-{uuid.UUID(str(tenant_id))}.key"


def _file_salt(tenant_id: uuid.UUID | str, home: Path | None = None) -> bytes:
    path = key_file(tenant_id, home)
    try:
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32) + "\n")
        value = path.read_text().strip()
    except FileExistsError:  # another process created it between the check and the open
        value = path.read_text().strip()
    except OSError as exc:
        raise SaltUnavailable(f"pseudonym key file {path}: {exc}") from exc
    if len(value) < 32:
        raise SaltUnavailable(f"pseudonym key file {path}: too short (at least 32 characters expected)")
    return value.encode()


def tenant_salt(session: Session, tenant_id: uuid.UUID | str, *, home: Path | None = None) -> bytes:
    """The tenant's pseudonymisation salt (tenant settings first, then the key file)."""
    raw = session.execute(
        text("SELECT CAST(settings AS text) FROM tenants WHERE id = :t"), {"t": uuid.UUID(str(tenant_id))}
    ).scalar()
    configured = (json.loads(raw) if raw else {}).get(SALT_SETTING)
    if isinstance(configured, str) and len(configured) >= 16:
        return configured.encode()
    return _file_salt(tenant_id, home)


class Pseudonymizer:
    """Maps user ids to pseudonyms with one tenant's salt."""

    def __init__(self, salt: bytes) -> None:
        if not salt:
            raise ValueError("salt: must not be empty")
        self._salt = salt

    def user(self, user_id: uuid.UUID | str) -> str:
        """The pseudonym (UUID text) of a user id."""
        canonical = str(uuid.UUID(str(user_id)))
        digest = bytearray(hmac.new(self._salt, f"user:{canonical}".encode(), hashlib.sha256).digest()[:16])
        digest[6] = (digest[6] & 0x0F) | 0x80  # version 8
        digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
        return str(uuid.UUID(bytes=bytes(digest)))

    def mapping(self, user_ids: list[str]) -> dict[str, str]:
        return {str(u): self.user(u) for u in user_ids}
