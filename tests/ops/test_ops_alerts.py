"""Alerts: declarative rules, incidents stored with their state changes, webhook delivery over real HTTP
(a server on 127.0.0.1 started by the test), retried after a failure; and the primary being unreachable."""

from __future__ import annotations

import json
import os
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from platform_core.db.session import tenant_session
from platform_core.models import AlertIncident, ProcessingStatus, TenantAlertIncident, Video
from platform_core.ops.alert_rules import DEFAULT_RULES, AlertRule, evaluate, load_rules, lookup
from platform_core.ops.alerts import evaluate_alerts
from platform_core.ops.webhooks import post_json
from platform_core.validation import InvalidInput
from tests.ops.conftest import make_learner


class Receiver:
    """An HTTP endpoint that records JSON posts and answers with the next status of ``statuses``."""

    def __init__(self) -> None:
        self.posts: list[dict] = []
        self.statuses: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                status = receiver.statuses.pop(0) if receiver.statuses else 204
                if status < 300:
                    receiver.posts.append(json.loads(body))
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def events(self, rule: str) -> list[str]:
        return [p["event"] for p in self.posts if p["rule"] == rule]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.server.shutdown()
    r.server.server_close()


ONLY_VIDEOS = [r for r in DEFAULT_RULES if r.key in ("video_processing_errors", "db_connection_failure")]


def _open(tenant_id: uuid.UUID) -> list[TenantAlertIncident]:
    with tenant_session(tenant_id) as s:
        return list(
            s.scalars(
                select(TenantAlertIncident).where(TenantAlertIncident.rule_key == "video_processing_errors")
            )
        )


def test_rules_evaluate_paths_guards_and_load_from_json(tmp_path: Path) -> None:
    doc = {"a": {"b": 3}, "flag": True, "n": None}
    assert lookup(doc, "a.b") == 3.0 and lookup(doc, "flag") == 1.0
    assert lookup(doc, "n") is None and lookup(doc, "a.c") is None
    rule = AlertRule(key="guarded", title="G", scope="tenant", metric="rate", op="<", threshold=0.5,
                     guard_metric="jobs", guard_min=5)  # fmt: skip
    assert evaluate(rule, {"rate": 0.1, "jobs": 2}) == (None, 0.1)  # too few jobs to judge
    assert evaluate(rule, {"rate": 0.1, "jobs": 9}) == (True, 0.1)
    assert evaluate(rule, {"rate": 0.9, "jobs": 9}) == (False, 0.9)
    override = tmp_path / "rules.json"
    mine = {"key": "my_rule", "title": "Mine", "scope": "database", "metric": "database.size_bytes",
            "op": ">", "threshold": 1}  # fmt: skip
    override.write_text(json.dumps([{**DEFAULT_RULES[0].model_dump(mode="json"), "threshold": 5}, mine]))
    rules = {r.key: r for r in load_rules(override)}
    assert rules[DEFAULT_RULES[0].key].threshold == 5 and "my_rule" in rules
    assert len(rules) == len(DEFAULT_RULES) + 1
    override.write_text(json.dumps([{**mine, "scope": "nowhere"}]))
    with pytest.raises(InvalidInput, match=r"rules\[0\]\.scope"):
        load_rules(override)


def test_video_errors_fire_resolve_and_reach_the_webhook(database, receiver: Receiver) -> None:
    learner = make_learner("alerts")
    with tenant_session(learner.tenant_id) as s:
        video = Video(id=uuid.uuid4(), tenant_id=learner.tenant_id, title="v", duration_seconds=10,
                      processing_status=ProcessingStatus.FAILED)  # fmt: skip
        s.add(video)
    quiet = make_learner("alerts-quiet")

    run = evaluate_alerts(rules=ONLY_VIDEOS, webhook_url=receiver.url)
    assert run.stored and run.connectivity["failed_targets"] == 0
    (incident,) = [i for i in _open(learner.tenant_id) if i.resolved_at is None]
    assert incident.status == "firing" and incident.value == 1 and incident.notified_firing_at is not None
    assert _open(quiet.tenant_id) == []
    posts = [
        p
        for p in receiver.posts
        if p["rule"] == "video_processing_errors" and p["tenant"] == learner.tenant.slug
    ]
    assert [p["event"] for p in posts] == ["alert.firing"] and posts[0]["incident_id"] == str(incident.id)

    again = evaluate_alerts(rules=ONLY_VIDEOS, webhook_url=receiver.url)  # still firing: no new incident
    assert not [c for c in again.changes if c.tenant_id == learner.tenant_id]
    assert len(_open(learner.tenant_id)) == 1
    assert len([p for p in receiver.posts if p["tenant"] == learner.tenant.slug]) == 1

    with tenant_session(learner.tenant_id) as s:
        s.get(Video, (learner.tenant_id, video.id)).processing_status = ProcessingStatus.READY
    resolved = evaluate_alerts(rules=ONLY_VIDEOS, webhook_url=receiver.url)
    assert [(c.event, c.rule) for c in resolved.changes if c.tenant_id == learner.tenant_id] == [
        ("resolved", "video_processing_errors")
    ]
    (closed,) = _open(learner.tenant_id)
    assert closed.status == "resolved" and closed.resolved_at is not None and closed.notified_resolved_at
    events = [p["event"] for p in receiver.posts if p["tenant"] == learner.tenant.slug]
    assert events == ["alert.firing", "alert.resolved"]


def test_failed_delivery_is_retried_by_the_next_run(database, receiver: Receiver) -> None:
    learner = make_learner("alerts-retry")
    with tenant_session(learner.tenant_id) as s:
        s.add(Video(id=uuid.uuid4(), tenant_id=learner.tenant_id, title="v", duration_seconds=10,
                    processing_status=ProcessingStatus.FAILED))  # fmt: skip
    receiver.statuses = [500] * 50  # every attempt of this run fails
    run = evaluate_alerts(rules=ONLY_VIDEOS, webhook_url=receiver.url)
    assert run.delivery_errors
    (incident,) = _open(learner.tenant_id)
    assert incident.notified_firing_at is None and "HTTP 500" in (incident.last_delivery_error or "")
    receiver.statuses = []
    evaluate_alerts(rules=ONLY_VIDEOS, webhook_url=receiver.url, collect=False)
    (incident,) = _open(learner.tenant_id)
    assert incident.notified_firing_at is not None and incident.last_delivery_error is None
    assert [p["event"] for p in receiver.posts if p["tenant"] == learner.tenant.slug] == ["alert.firing"]


def test_database_rules_replica_and_unreachable_targets(database, receiver: Receiver, monkeypatch) -> None:
    from platform_core.db.engine import dispose_engines
    from platform_core.settings import reset_settings_cache

    rules = [r for r in DEFAULT_RULES if r.scope == "database"]
    replica = database.owner_url.update_query_dict({"application_name": "ilp_replica"})
    monkeypatch.setenv("DATABASE_REPLICA_URL", replica.render_as_string(hide_password=False))
    reset_settings_cache()
    try:
        run = evaluate_alerts(rules=rules, webhook_url=receiver.url)
        assert "replica" in run.connectivity and run.connectivity["replica"]["ok"]
        assert "replication_lag" not in {f["rule"] for f in run.firing}  # configured, lag 0
        # A replica that does not answer is a connection failure (stored: the primary is fine).
        monkeypatch.setenv("DATABASE_REPLICA_URL", "postgresql://postgres@127.0.0.1:1/nowhere")
        reset_settings_cache()
        broken = evaluate_alerts(rules=rules, webhook_url=receiver.url, collect=False)
        assert broken.stored and broken.connectivity["failed_targets"] == 1
        assert "db_connection_failure" in {f["rule"] for f in broken.firing}
        with Session(database.owner()) as s:
            query = select(AlertIncident).where(
                AlertIncident.rule_key == "db_connection_failure", AlertIncident.resolved_at.is_(None)
            )
            open_ = s.scalars(query).all()
        assert len(open_) == 1
        monkeypatch.delenv("DATABASE_REPLICA_URL")
        reset_settings_cache()
        healed = evaluate_alerts(rules=rules, webhook_url=receiver.url, collect=False)
        assert "db_connection_failure" in {c.rule for c in healed.changes if c.event == "resolved"}
        assert receiver.events("db_connection_failure")[-2:] == ["alert.firing", "alert.resolved"]
    finally:
        reset_settings_cache()
        dispose_engines()


def test_primary_unreachable_is_reported_without_storing(database, receiver: Receiver, monkeypatch) -> None:
    from platform_core.db.engine import dispose_engines
    from platform_core.settings import reset_settings_cache

    original = os.environ["DATABASE_URL"]
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:1/nowhere")
    reset_settings_cache()
    dispose_engines()
    try:
        run = evaluate_alerts(rules=ONLY_VIDEOS, webhook_url=receiver.url)
    finally:
        os.environ["DATABASE_URL"] = original
        reset_settings_cache()
        dispose_engines()
    assert not run.stored and run.connectivity["primary_owner"]["ok"] is False
    assert receiver.posts[-1]["rule"] == "db_connection_failure" and receiver.posts[-1]["stored"] is False


def test_webhook_refuses_bad_urls_and_reports_refusals(receiver: Receiver) -> None:
    with pytest.raises(InvalidInput, match="webhook_url"):
        post_json("file:///etc/passwd", {})
    receiver.statuses = [410]
    refused = post_json(receiver.url, {"event": "x"}, retries=3)
    assert not refused.ok and refused.status == 410 and refused.attempts == 1  # 4xx is final
    receiver.statuses = [503, 503]
    recovered = post_json(receiver.url, {"event": "y"}, retries=2, backoff=0.01)
    assert recovered.ok and recovered.attempts == 3
    dead = post_json("http://127.0.0.1:1/none", {"event": "z"}, retries=1, backoff=0.01, timeout=1)
    assert not dead.ok and dead.error


def test_cli_alerts_json(database, receiver: Receiver) -> None:
    from typer.testing import CliRunner

    from platform_core.cli.main import app

    result = CliRunner().invoke(app, ["ops", "alerts", "--json", "--webhook", receiver.url])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["stored"] is True and report["evaluated"] >= 1
    bad = CliRunner().invoke(app, ["ops", "alerts", "--webhook", "ftp://x"])
    assert bad.exit_code == 1


def test_alert_state_is_per_tenant_under_rls(database) -> None:
    a, b = make_learner("rls-a"), make_learner("rls-b")
    with tenant_session(a.tenant_id) as s:
        s.add(Video(id=uuid.uuid4(), tenant_id=a.tenant_id, title="v", duration_seconds=10,
                    processing_status=ProcessingStatus.FAILED))  # fmt: skip
    evaluate_alerts(rules=ONLY_VIDEOS, now=datetime.now(UTC))
    with tenant_session(b.tenant_id) as s:
        seen = s.scalar(
            text("SELECT count(*) FROM tenant_alert_incidents WHERE tenant_id = :t"), {"t": a.tenant_id}
        )
    assert seen == 0
    assert len(_open(a.tenant_id)) == 1
