"""Per-tenant AI provider configurations: add, change, list (masked), resolve for a job, re-encrypt keys.

A configuration names a provider, a model, sampling parameters (``AIParams``), timeout, retries and an
optional monthly budget. Its API key is stored only encrypted (``crypto``); what anybody can see is the
masked hint. With no configuration at all, a tenant generates with the built-in ``offline`` provider.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlparse

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from platform_core.ai import crypto
from platform_core.ai.schemas import AIParams
from platform_core.audit import AuditAction, record_event
from platform_core.db.session import TENANT_KEY
from platform_core.models import AIConfig, AIProvider
from platform_core.validation import InvalidInput, validate_as, validated_json

NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
OFFLINE_MODEL = "offline-1"
ANTHROPIC_BASE_URL = "https://api.anthropic.com/v1/"
DEFAULT_AZURE_API_VERSION = "2024-10-21"
PROVIDER_ALIASES = {
    "azure": AIProvider.AZURE_OPENAI,
    "compatible": AIProvider.OPENAI_COMPATIBLE,
    "vllm": AIProvider.OPENAI_COMPATIBLE,
    "ollama": AIProvider.OPENAI_COMPATIBLE,
    "litellm": AIProvider.OPENAI_COMPATIBLE,
}
MAX_RETRIES_LIMIT = 10
_UNSET: Any = object()


class ConfigNotFound(LookupError):
    pass


@dataclass(frozen=True)
class ResolvedConfig:
    """Everything a job needs from a configuration; the API key is decrypted only into this object."""

    config_id: uuid.UUID | None
    name: str
    provider: AIProvider
    model: str
    base_url: str | None
    api_version: str | None
    params: AIParams
    timeout_seconds: float
    max_retries: int
    monthly_budget_usd: Decimal | None
    api_key: str | None = field(default=None, repr=False)

    def snapshot(self) -> dict[str, Any]:
        """What a job records about the configuration it ran with (no key)."""
        return {
            "configName": self.name,
            "provider": self.provider.value,
            "model": self.model,
            "baseUrl": self.base_url,
            "timeoutSeconds": self.timeout_seconds,
            "maxRetries": self.max_retries,
            "params": self.params.model_dump(mode="json", by_alias=True, exclude_none=True),
        }


def builtin_offline() -> ResolvedConfig:
    return ResolvedConfig(
        None, "offline", AIProvider.OFFLINE, OFFLINE_MODEL, None, None, AIParams(), 60.0, 0, None
    )


def parse_provider(value: AIProvider | str) -> AIProvider:
    if isinstance(value, AIProvider):
        return value
    key = str(value).strip().lower().replace("-", "_")
    if key in PROVIDER_ALIASES:
        return PROVIDER_ALIASES[key]
    try:
        return AIProvider(key)
    except ValueError:
        names = ", ".join(p.value for p in AIProvider)
        raise InvalidInput("provider", f"unknown provider {value!r} (expected one of {names})") from None


def parse_budget(
    value: Decimal | float | str | None, field_name: str = "monthly_budget_usd"
) -> Decimal | None:
    if value is None:
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise InvalidInput(field_name, f"not a number: {value!r}") from None
    if not amount.is_finite() or amount < 0:
        raise InvalidInput(field_name, "must be a non-negative amount in USD")
    return amount


def _check_base_url(provider: AIProvider, base_url: str | None) -> str | None:
    if base_url is None or not base_url.strip():
        if provider in (AIProvider.AZURE_OPENAI, AIProvider.OPENAI_COMPATIBLE):
            raise InvalidInput("base_url", f"is required for provider {provider.value}")
        return ANTHROPIC_BASE_URL if provider is AIProvider.ANTHROPIC else None
    parsed = urlparse(base_url.strip())
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise InvalidInput("base_url", f"must be an http(s) URL, got {base_url!r}")
    return base_url.strip()


def _check_limits(timeout_seconds: float, max_retries: int) -> None:
    if not timeout_seconds > 0:
        raise InvalidInput("timeout_seconds", "must be positive")
    if not 0 <= max_retries <= MAX_RETRIES_LIMIT:
        raise InvalidInput("max_retries", f"must be between 0 and {MAX_RETRIES_LIMIT}")


def describe(config: AIConfig) -> dict[str, Any]:
    """A configuration as it may be shown anywhere: the key only as its masked hint."""
    return {
        "id": str(config.id),
        "name": config.name,
        "provider": config.provider.value,
        "model": config.model,
        "baseUrl": config.base_url,
        "apiVersion": config.api_version,
        "apiKey": config.api_key_hint if config.api_key_ciphertext is not None else None,
        "params": config.params,
        "timeoutSeconds": config.timeout_seconds,
        "maxRetries": config.max_retries,
        "monthlyBudgetUsd": None if config.monthly_budget_usd is None else str(config.monthly_budget_usd),
        "default": config.is_default,
        "active": config.is_active,
    }


def add_config(
    session: Session,
    *,
    name: str,
    provider: AIProvider | str,
    model: str,
    base_url: str | None = None,
    api_version: str | None = None,
    api_key: str | None = None,
    params: dict[str, Any] | None = None,
    timeout_seconds: float = 60.0,
    max_retries: int = 3,
    monthly_budget_usd: Decimal | float | str | None = None,
    make_default: bool | None = None,
) -> AIConfig:
    """Add a configuration to the session's tenant; the first one becomes the default unless told not to."""
    tenant_id: uuid.UUID = session.info[TENANT_KEY]
    if not NAME_PATTERN.match(name or ""):
        raise InvalidInput(
            "name", "use 1-64 letters, digits, '_', '.' or '-', starting with a letter or digit"
        )
    kind = parse_provider(provider)
    if not model or not model.strip():
        raise InvalidInput("model", "must not be empty")
    _check_limits(timeout_seconds, max_retries)
    config = AIConfig(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        name=name,
        provider=kind,
        model=model.strip(),
        base_url=_check_base_url(kind, base_url),
        api_version=(api_version or DEFAULT_AZURE_API_VERSION) if kind is AIProvider.AZURE_OPENAI else None,
        params=validated_json(AIParams, params or {}, root="params"),
        timeout_seconds=float(timeout_seconds),
        max_retries=int(max_retries),
        monthly_budget_usd=parse_budget(monthly_budget_usd),
    )
    if api_key is not None:
        config.api_key_ciphertext = crypto.encrypt_api_key(api_key, tenant_id=tenant_id)
        config.api_key_hint = crypto.mask_api_key(api_key)
    if make_default is None:
        make_default = session.scalar(select(AIConfig.id).where(AIConfig.is_default).limit(1)) is None
    if make_default:
        session.execute(update(AIConfig).where(AIConfig.is_default).values(is_default=False))
    config.is_default = make_default
    session.add(config)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        if "uq_ai_configs_tenant_id_name" in str(exc.orig):
            raise InvalidInput("name", f"a configuration named {name!r} already exists") from None
        raise
    record_event(
        session,
        AuditAction.CONFIG_CHANGE,
        table_name="ai_configs",
        record_id=str(config.id),
        details={"change": "ai_config_added", **describe(config)},
    )
    return config


def get_config(session: Session, *, name: str, lock: bool = False) -> AIConfig:
    query = select(AIConfig).where(AIConfig.name == name)
    config = session.scalar(query.with_for_update() if lock else query)
    if config is None:
        raise ConfigNotFound(f"no AI configuration named {name!r} in this tenant")
    return config


def list_configs(session: Session) -> list[AIConfig]:
    return list(session.scalars(select(AIConfig).order_by(AIConfig.name)))


def update_config(
    session: Session,
    *,
    name: str,
    api_key: str | None = None,
    model: str | None = None,
    monthly_budget_usd: Decimal | float | str | None = _UNSET,
    timeout_seconds: float | None = None,
    max_retries: int | None = None,
    params: dict[str, Any] | None = None,
    make_default: bool | None = None,
    active: bool | None = None,
) -> AIConfig:
    """Change a configuration; ``None`` leaves a field as it is (``monthly_budget_usd=None`` removes it)."""
    config = get_config(session, name=name, lock=True)
    if api_key is not None:
        config.api_key_ciphertext = crypto.encrypt_api_key(api_key, tenant_id=config.tenant_id)
        config.api_key_hint = crypto.mask_api_key(api_key)
    if model is not None:
        if not model.strip():
            raise InvalidInput("model", "must not be empty")
        config.model = model.strip()
    if monthly_budget_usd is not _UNSET:
        config.monthly_budget_usd = parse_budget(monthly_budget_usd)
    _check_limits(
        config.timeout_seconds if timeout_seconds is None else timeout_seconds,
        config.max_retries if max_retries is None else max_retries,
    )
    if timeout_seconds is not None:
        config.timeout_seconds = float(timeout_seconds)
    if max_retries is not None:
        config.max_retries = int(max_retries)
    if params is not None:
        config.params = validated_json(AIParams, {**config.params, **params}, root="params")
    if make_default:
        session.execute(
            update(AIConfig).where(AIConfig.is_default, AIConfig.id != config.id).values(is_default=False)
        )
        config.is_default = True
    if active is not None:
        config.is_active = active
    session.flush()
    record_event(
        session,
        AuditAction.CONFIG_CHANGE,
        table_name="ai_configs",
        record_id=str(config.id),
        details={"change": "ai_config_updated", "keyChanged": api_key is not None, **describe(config)},
    )
    return config


def resolve_config(
    session: Session, *, name: str | None = None, config_id: uuid.UUID | None = None
) -> ResolvedConfig:
    """The configuration given by id or name, else the tenant's default, else the built-in offline one."""
    if config_id is not None:
        config = session.get(AIConfig, (session.info[TENANT_KEY], config_id))
        if config is None:
            raise ConfigNotFound(f"no AI configuration {config_id} in this tenant")
    elif name is not None:
        config = get_config(session, name=name)
    else:
        config = session.scalar(select(AIConfig).where(AIConfig.is_default, AIConfig.is_active).limit(1))
        if config is None:
            return builtin_offline()
    if not config.is_active:
        raise InvalidInput("config", f"AI configuration {config.name!r} is deactivated")
    api_key = None
    if config.api_key_ciphertext is not None:
        api_key = crypto.decrypt_api_key(config.api_key_ciphertext, tenant_id=config.tenant_id)
    elif config.provider in (AIProvider.OPENAI, AIProvider.AZURE_OPENAI, AIProvider.ANTHROPIC):
        raise InvalidInput(
            "api_key", f"AI configuration {config.name!r} ({config.provider.value}) has no API key"
        )
    return ResolvedConfig(
        config_id=config.id,
        name=config.name,
        provider=config.provider,
        model=config.model,
        base_url=config.base_url,
        api_version=config.api_version,
        params=validate_as(AIParams, config.params, root="params"),
        timeout_seconds=config.timeout_seconds,
        max_retries=config.max_retries,
        monthly_budget_usd=config.monthly_budget_usd,
        api_key=api_key,
    )


def reencrypt_api_keys(session: Session) -> int:
    """Re-encrypt every stored key of the session's tenant with the newest key; returns how many."""
    count = 0
    for config in session.scalars(
        select(AIConfig).where(AIConfig.api_key_ciphertext.is_not(None)).with_for_update()
    ):
        assert config.api_key_ciphertext is not None
        crypto.decrypt_api_key(config.api_key_ciphertext, tenant_id=config.tenant_id)  # refuses foreign rows
        config.api_key_ciphertext = crypto.rotate_token(config.api_key_ciphertext)
        count += 1
    session.flush()
    if count:
        record_event(
            session,
            AuditAction.CONFIG_CHANGE,
            table_name="ai_configs",
            details={"change": "ai_keys_reencrypted", "count": count},
        )
    return count
