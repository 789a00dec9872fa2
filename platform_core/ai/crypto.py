"""Provider API keys encrypted at rest (Fernet), with key material that never touches the database.

Key material comes from ``ILP_SECRET_KEY`` (one or more comma-separated Fernet keys) or, when that is unset,
from the key file ``$ILP_HOME/secret.key`` (one key per line), created on first use with mode 0600. The
first key encrypts; every key decrypts (``MultiFernet``), so rotation is: put a new key first (``ilp ai
config rotate-keys`` does it for the key file), re-encrypt every stored key with it, then drop the old one.

The plaintext is bound to its tenant (``tenant_id`` is sealed in with the key and checked on decryption),
so a ciphertext copied into another tenant's row does not decrypt there.
"""

from __future__ import annotations

import logging
import os
import stat
import uuid
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from platform_core.settings import get_settings

log = logging.getLogger(__name__)

SECRET_ENV = "ILP_SECRET_KEY"
KEY_FILE_NAME = "secret.key"


class SecretKeyError(RuntimeError):
    """The key material is missing, malformed, or does not open a stored ciphertext."""


def key_file_path() -> Path:
    return get_settings().home / KEY_FILE_NAME


def _parse_keys(raw: str, source: str) -> list[bytes]:
    keys = [part.strip().encode() for part in raw.replace("\n", ",").split(",") if part.strip()]
    if not keys:
        raise SecretKeyError(f"{source} holds no key")
    for index, key in enumerate(keys):
        try:
            Fernet(key)
        except ValueError:
            raise SecretKeyError(
                f"{source}: key #{index + 1} is not a Fernet key (32 url-safe base64-encoded bytes)"
            ) from None
    return keys


def _create_key_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it first: use theirs
        return
    with os.fdopen(fd, "w") as handle:
        handle.write(Fernet.generate_key().decode() + "\n")
    log.info("created the secret key file %s (mode 0600)", path)


def _read_key_file(path: Path) -> list[bytes]:
    if not path.exists():
        _create_key_file(path)
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        log.warning("secret key file %s is readable by others (mode %o); chmod 600 it", path, mode)
    return _parse_keys(path.read_text(), str(path))


def load_keys() -> list[bytes]:
    """The key ring, newest (encrypting) key first."""
    env = os.environ.get(SECRET_ENV)
    if env is not None and env.strip():
        return _parse_keys(env, SECRET_ENV)
    return _read_key_file(key_file_path())


def _ring() -> MultiFernet:
    return MultiFernet([Fernet(key) for key in load_keys()])


def _sealed(api_key: str, tenant_id: uuid.UUID) -> bytes:
    return f"{tenant_id}\n{api_key}".encode()


def encrypt_api_key(api_key: str, *, tenant_id: uuid.UUID) -> bytes:
    """Encrypt ``api_key`` for ``tenant_id`` with the newest key."""
    if not api_key or not api_key.strip():
        raise ValueError("api_key: must not be empty")
    return _ring().encrypt(_sealed(api_key.strip(), tenant_id))


def decrypt_api_key(token: bytes, *, tenant_id: uuid.UUID) -> str:
    """Decrypt a stored key; raises :class:`SecretKeyError` when no key of the ring opens it."""
    try:
        plain = _ring().decrypt(bytes(token)).decode()
    except InvalidToken:
        raise SecretKeyError(
            f"the stored API key cannot be decrypted with the current key material ({SECRET_ENV} or "
            f"{key_file_path()}): was a key removed before re-encrypting?"
        ) from None
    owner, _, api_key = plain.partition("\n")
    if owner != str(tenant_id):
        raise SecretKeyError("the stored API key belongs to another tenant")
    return api_key


def rotate_token(token: bytes) -> bytes:
    """Re-encrypt a ciphertext with the newest key (after a new key was put first in the ring)."""
    try:
        return _ring().rotate(bytes(token))
    except InvalidToken:
        raise SecretKeyError("a stored API key cannot be decrypted with the current key material") from None


def add_key_to_file() -> Path:
    """Put a freshly generated key first in the key file (the old keys stay, for decryption)."""
    if os.environ.get(SECRET_ENV, "").strip():
        raise SecretKeyError(
            f"{SECRET_ENV} is set, so the key file is not used: put the new key first in {SECRET_ENV} "
            "(comma-separated, old keys after it) and run the re-encryption again"
        )
    path = key_file_path()
    old = _read_key_file(path)
    new = Fernet.generate_key()
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write("\n".join(key.decode() for key in (new, *old)) + "\n")
    os.replace(tmp, path)
    return path


def mask_api_key(api_key: str) -> str:
    """What the UI and CLI may show: for a long key its first three and last four characters, else less."""
    key = api_key.strip()
    if len(key) >= 20:
        return f"{key[:3]}...{key[-4:]}"
    if len(key) >= 10:
        return f"...{key[-2:]}"
    return "****"
