"""API keys at rest: key material from the environment or a 0600 key file, tenant binding, rotation."""

from __future__ import annotations

import stat
import uuid

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from platform_core.ai import configs, crypto
from platform_core.db.session import tenant_session
from platform_core.models import AIConfig
from platform_core.settings import reset_settings_cache
from tests.ai.conftest import API_KEY, AITenant

TENANT = uuid.uuid4()


@pytest.fixture
def key_file_home(monkeypatch: pytest.MonkeyPatch, tmp_path):
    monkeypatch.delenv("ILP_SECRET_KEY")
    monkeypatch.setenv("ILP_HOME", str(tmp_path / "home"))
    reset_settings_cache()
    yield tmp_path / "home" / crypto.KEY_FILE_NAME
    reset_settings_cache()


def test_round_trip_with_the_environment_key_and_tenant_binding():
    token = crypto.encrypt_api_key(API_KEY, tenant_id=TENANT)
    assert API_KEY.encode() not in token
    assert crypto.decrypt_api_key(token, tenant_id=TENANT) == API_KEY
    with pytest.raises(crypto.SecretKeyError, match="another tenant"):
        crypto.decrypt_api_key(token, tenant_id=uuid.uuid4())


def test_a_wrong_key_cannot_decrypt_and_says_so(monkeypatch: pytest.MonkeyPatch):
    token = crypto.encrypt_api_key(API_KEY, tenant_id=TENANT)
    monkeypatch.setenv("ILP_SECRET_KEY", Fernet.generate_key().decode())
    with pytest.raises(crypto.SecretKeyError, match="cannot be decrypted"):
        crypto.decrypt_api_key(token, tenant_id=TENANT)
    monkeypatch.setenv("ILP_SECRET_KEY", "not-a-key")
    with pytest.raises(crypto.SecretKeyError, match="not a Fernet key"):
        crypto.encrypt_api_key(API_KEY, tenant_id=TENANT)


def test_key_file_is_created_on_first_use_with_mode_0600(key_file_home):
    assert not key_file_home.exists()
    token = crypto.encrypt_api_key(API_KEY, tenant_id=TENANT)
    assert stat.S_IMODE(key_file_home.stat().st_mode) == 0o600
    assert crypto.decrypt_api_key(token, tenant_id=TENANT) == API_KEY


def test_rotation_with_the_key_file(key_file_home):
    old_token = crypto.encrypt_api_key(API_KEY, tenant_id=TENANT)
    old_key = key_file_home.read_text().split()[0]
    crypto.add_key_to_file()
    keys = key_file_home.read_text().split()
    assert len(keys) == 2 and keys[1] == old_key and stat.S_IMODE(key_file_home.stat().st_mode) == 0o600
    assert crypto.decrypt_api_key(old_token, tenant_id=TENANT) == API_KEY  # old keys still decrypt
    new_token = crypto.rotate_token(old_token)
    key_file_home.write_text(keys[0] + "\n")  # retire the old key
    assert crypto.decrypt_api_key(new_token, tenant_id=TENANT) == API_KEY
    with pytest.raises(crypto.SecretKeyError):
        crypto.decrypt_api_key(old_token, tenant_id=TENANT)


def test_masking_never_shows_the_key():
    assert crypto.mask_api_key(API_KEY) == "sk-...i9j0"
    assert crypto.mask_api_key("short-key-12") == "...12"
    assert crypto.mask_api_key("abc") == "****"


def test_stored_configs_hold_only_ciphertext_and_reencrypt_with_a_new_key(
    ai_tenant: AITenant, monkeypatch: pytest.MonkeyPatch, secret_key: str
):
    resolved = ai_tenant.add_config(None, name="plain", provider="openai", model="gpt-4o-mini")
    assert resolved.api_key == API_KEY and API_KEY not in repr(resolved)
    with tenant_session(ai_tenant.tenant_id) as session:
        row = session.scalar(select(AIConfig).where(AIConfig.name == "plain"))
        before = bytes(row.api_key_ciphertext)
        assert API_KEY.encode() not in before and row.api_key_hint == "sk-...i9j0"
        assert configs.describe(row)["apiKey"] == "sk-...i9j0" and API_KEY not in str(configs.describe(row))
    new_key = Fernet.generate_key().decode()
    monkeypatch.setenv("ILP_SECRET_KEY", f"{new_key},{secret_key}")
    with tenant_session(ai_tenant.tenant_id) as session:
        assert configs.reencrypt_api_keys(session) == 1
    monkeypatch.setenv("ILP_SECRET_KEY", new_key)  # the old key is gone
    with tenant_session(ai_tenant.tenant_id) as session:
        assert configs.resolve_config(session, name="plain").api_key == API_KEY
