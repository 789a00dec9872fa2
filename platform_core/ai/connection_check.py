"""Checking that an AI configuration can reach its provider, without spending tokens.

The check lists the provider's models (``GET /models``, through the same ``openai`` SDK client the
generation jobs use): it proves the address answers and the key is accepted, and tells whether the
configured model is among those offered. Nothing is written to the usage ledger (no tokens are used); the
check itself is audited as an administrative action.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import openai
from sqlalchemy.orm import Session

from platform_core.ai.configs import resolve_config
from platform_core.ai.openai_provider import OpenAIChatProvider
from platform_core.audit import AuditAction, record_event
from platform_core.models import AIProvider


@dataclass(frozen=True)
class ConnectionCheck:
    ok: bool
    message: str
    latency_ms: int
    model_offered: bool | None = None

    def as_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "message": self.message, "latencyMs": self.latency_ms,
                "modelOffered": self.model_offered}  # fmt: skip


def check_connection(session: Session, *, name: str, http_client: Any = None) -> ConnectionCheck:
    """Try the named configuration of the session's tenant; never raises for a provider-side failure."""
    config = resolve_config(session, name=name)
    started = time.perf_counter()
    if config.provider is AIProvider.OFFLINE:
        result = ConnectionCheck(True, "The offline writer runs in-process and needs no connection.", 0, True)
    else:
        provider = OpenAIChatProvider(config, http_client=http_client)
        try:
            offered = [m.id for m in provider.client.models.list()]
            elapsed = round((time.perf_counter() - started) * 1000)
            listed = config.model in offered if offered else None
            note = "" if listed else f"; model {config.model!r} is not in the {len(offered)} it lists"
            result = ConnectionCheck(
                True, f"Connected in {elapsed} ms; the key is accepted{note}.", elapsed, listed
            )
        except openai.AuthenticationError as exc:
            result = _failed(started, f"The provider refused the API key (HTTP {exc.status_code}).")
        except openai.APIStatusError as exc:
            result = _failed(
                started, f"The provider answered HTTP {exc.status_code}: {str(exc.message)[:200]}"
            )
        except openai.APIConnectionError as exc:
            result = _failed(started, f"Cannot reach {config.base_url or 'the provider'}: {exc}")
        finally:
            provider.close()
    record_event(
        session, AuditAction.ADMIN_ACTION, table_name="ai_configs", record_id=str(config.config_id),
        details={"change": "ai_config_connection_checked", "name": name, **result.as_json()},
    )  # fmt: skip
    return result


def _failed(started: float, message: str) -> ConnectionCheck:
    return ConnectionCheck(False, message, round((time.perf_counter() - started) * 1000))
