"""AI providers page: add a configuration (its key is shown only masked), test the connection against a
local OpenAI-compatible server over real HTTP, and see a refused key reported as such."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from platform_core.audit.log import audit_entries
from platform_core.db.session import tenant_session
from platform_core.models import UserRole
from tests.dashboard.conftest import app_as

GOOD_KEY = "sk-test-dashboard-0123456789"


class _Models(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path.rstrip("/") != "/v1/models":
            self.send_response(404)
            self.end_headers()
            return
        if self.headers.get("Authorization") != f"Bearer {GOOD_KEY}":
            body, status = {"error": {"message": "invalid api key", "type": "invalid_request_error"}}, 401
        else:
            body, status = (
                {"object": "list", "data": [{"id": "tiny-model", "object": "model", "owned_by": "me"}]},
                200,
            )
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def provider_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Models)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def _add(at, name: str, url: str, key: str):
    next(t for t in at.text_input if t.label == "Name").input(name)
    next(s for s in at.selectbox if s.label == "Provider").set_value("openai_compatible")
    [t for t in at.text_input if t.label == "Model"][-1].input("tiny-model")  # the add form is last
    next(t for t in at.text_input if t.label.startswith("Base URL")).input(url)
    next(t for t in at.text_input if t.label == "API key").input(key)
    next(b for b in at.button if b.label == "Add configuration").click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]


def _test(at, name: str):
    next(s for s in at.selectbox if s.label == "Change or test").set_value(name).run()
    next(b for b in at.button if b.label == "Test connection").click().run()
    assert not at.exception, at.exception
    return at


def test_add_a_provider_and_test_its_connection(school, provider_url) -> None:
    admin = school.users[UserRole.ADMIN]
    at = app_as(admin)
    at.switch_page("pages/ai_configs.py").run()
    _add(at, "local-ok", provider_url, GOOD_KEY)
    shown = at.dataframe[0].value
    row = shown[shown["name"] == "local-ok"].iloc[0]
    assert GOOD_KEY not in str(row["api key"]) and row["api key"].endswith(GOOD_KEY[-4:])

    _test(at, "local-ok")
    assert any("the key is accepted" in s.value for s in at.success), [e.value for e in at.error]

    _add(at, "local-bad", provider_url, "sk-wrong-key-000000")
    _test(at, "local-bad")
    assert any("refused the API key (HTTP 401)" in e.value for e in at.error)

    with tenant_session(school.tenant.tenant_id) as s:
        checks = audit_entries(s, actions=["ADMIN_ACTION"], tables=["ai_configs"])
    assert checks.height == 2
