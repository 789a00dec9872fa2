"""Alert webhook delivery: a JSON POST with a timeout and a few retries (standard library only).

Delivery is at-least-once across runs: an incident remembers whether its firing/resolved notification
went out, and the next ``ilp ops alerts`` retries those that did not. Receivers should de-duplicate on
``incident_id`` + ``event``.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from platform_core.validation import InvalidInput

USER_AGENT = "ilp-alerts/1"


@dataclass(frozen=True)
class Delivery:
    ok: bool
    status: int | None
    error: str | None
    attempts: int


def check_webhook_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput("webhook_url", f"must be an http(s) URL with a host, got {url!r}")
    return url


def post_json(url: str, payload: dict[str, Any], *, timeout: float = 5.0, retries: int = 2,
              backoff: float = 0.5) -> Delivery:  # fmt: skip
    """POST ``payload``; 2xx is success, 4xx is final (the receiver refused it), 5xx and network errors
    are retried."""
    check_webhook_url(url)
    body = json.dumps(payload, default=str).encode()
    error: str | None = None
    status: int | None = None
    for attempt in range(1, retries + 2):
        request = urllib.request.Request(
            url,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", "User-Agent": USER_AGENT},
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # the scheme is checked above
                return Delivery(True, response.status, None, attempt)
        except urllib.error.HTTPError as exc:
            status, error = exc.code, f"HTTP {exc.code} {exc.reason}"
            if 400 <= exc.code < 500:
                return Delivery(False, status, error, attempt)
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            status, error = None, str(getattr(exc, "reason", exc))
        if attempt <= retries:
            time.sleep(backoff * attempt)
    return Delivery(False, status, error, retries + 1)
