"""`ilp ai ...` end to end, as an operator runs it, against a local OpenAI-compatible server with faults;
and the plaintext API key appearing nowhere in a pg_dump of the database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
from typing import Any

import pytest

from platform_core.db.migrate import PROJECT_ROOT
from platform_core.grading import validate_question_data
from tests.ai.conftest import API_KEY, AITenant, expected_cost, pg_dump_binary
from tests.ai.fake_openai import FakeOpenAI, rate_limited, server_error

pytestmark = pytest.mark.slow


def ilp(*args: str, ok: bool = True, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "platform_core.cli.main", "ai", *args],
        cwd=PROJECT_ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert API_KEY not in done.stdout + done.stderr
    if ok:
        assert done.returncode == 0, done.stderr
    return done


def as_json(done: subprocess.CompletedProcess[str]) -> Any:
    return json.loads(done.stdout)


def test_operator_flow_config_generate_usage_review_and_no_plaintext_key_in_a_dump(
    ai_tenant: AITenant, fake: FakeOpenAI, database
):
    slug = ai_tenant.slug
    ilp(
        "config",
        "add",
        "--tenant",
        slug,
        "--name",
        "fake",
        "--provider",
        "openai_compatible",
        "--model",
        ai_tenant.model,
        "--base-url",
        fake.base_url,
        "--api-key-env",
        "PROVIDER_KEY",
        "--monthly-budget",
        "5",
        env={"PROVIDER_KEY": API_KEY},
    )
    [listed] = as_json(ilp("config", "list", "--tenant", slug, "--json"))
    assert listed["apiKey"] == "sk-...i9j0" and listed["monthlyBudgetUsd"] == "5.0000" and listed["default"]
    assert "sk-...i9j0" in ilp("config", "list", "--tenant", slug, env={"COLUMNS": "250"}).stdout

    fake.push(rate_limited(1), server_error(500))
    job = as_json(ilp("generate", "--tenant", slug, "--video", str(ai_tenant.video_id), "--json"))
    assert job["status"] == "succeeded" and job["calls"] == 3 and job["questions_created"] >= 2
    assert Decimal(job["cost_usd"]) == expected_cost(1200, 200, 400)

    report = as_json(ilp("usage", "--tenant", slug, "--json"))
    assert report["totals"]["calls"] == 3 and report["totals"]["failed_calls"] == 2
    assert Decimal(report["totals"]["cost_usd"]) == expected_cost(1200, 200, 400)
    [day] = report["daily"]
    assert (day["provider"], day["model"], day["calls"], day["failed_calls"]) == (
        "openai_compatible",
        ai_tenant.model,
        3,
        2,
    )
    assert report["budgets"][0]["scope"] == "config:fake" and report["jobs"][0]["calls"] == 3

    pending = as_json(ilp("review", "list", "--tenant", slug, "--json"))
    assert len(pending) == job["questions_created"]
    for question in pending:
        validate_question_data(question["type"], question["data"])
    first = pending[0]["id"]
    rejected = as_json(ilp("review", "reject", "--tenant", slug, first, "--reason", "too easy", "--json"))
    assert rejected[0]["to"] == "rejected"
    approved = as_json(ilp("review", "approve", "--tenant", slug, "--all-pending", "--json"))
    assert len(approved) == len(pending) - 1 and {a["to"] for a in approved} == {"approved"}
    assert as_json(ilp("review", "list", "--tenant", slug, "--json")) == []
    edited = as_json(
        ilp(
            "review",
            "edit",
            "--tenant",
            slug,
            "--id",
            first,
            "--prompt",
            "A better prompt?",
            "--approve",
            "--json",
        )
    )
    assert edited[0]["action"] == "edit_approve"

    dump = subprocess.run(
        [str(pg_dump_binary(database)), "--data-only", "--dbname", database.url_string],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    ).stdout
    assert "sk-...i9j0" in dump  # the masked hint is there, and the dump did include the configs
    assert API_KEY not in dump and API_KEY.removeprefix("sk-test-") not in dump


def test_hard_budget_refuses_the_job_with_a_clear_message(ai_tenant: AITenant, fake: FakeOpenAI):
    ai_tenant.add_config(fake)
    ilp("budget", "set", "--tenant", ai_tenant.slug, "--monthly", "0.0001")
    done = ilp("generate", "--tenant", ai_tenant.slug, "--video", str(ai_tenant.video_id), "--json", ok=False)
    assert done.returncode == 1
    assert json.loads(done.stdout)["error"]["type"] == "budget_exceeded"
    assert "tenant monthly budget is $0.0001" in done.stderr and fake.requests == []
    shown = as_json(ilp("budget", "show", "--tenant", ai_tenant.slug, "--json"))
    assert shown[0]["scope"] == "tenant" and shown[0]["limitUsd"] == "0.0001"


def test_offline_default_and_prices(ai_tenant: AITenant):
    job = as_json(ilp("generate", "--tenant", ai_tenant.slug, "--video", str(ai_tenant.video_id), "--json"))
    assert job["status"] == "succeeded" and job["questions_created"] >= 1 and Decimal(job["cost_usd"]) == 0
    prices = as_json(ilp("prices", "list", "--current", "--json"))
    assert {("openai", "gpt-4o-mini"), ("offline", "offline-1")} <= {
        (p["provider"], p["model"]) for p in prices
    }
    bad = ilp(
        "config",
        "add",
        "--tenant",
        ai_tenant.slug,
        "--name",
        "x",
        "--provider",
        "nope",
        "--model",
        "m",
        ok=False,
    )
    assert bad.returncode == 1 and "unknown provider 'nope'" in bad.stderr
