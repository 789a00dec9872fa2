"""One settings object for the whole platform, read from the environment (prefix-free names)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import platformdirs
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

APP_ROLE = "ilp_app"


class Settings(BaseSettings):
    """Runtime configuration.

    ``DATABASE_URL`` names the owner connection (migrations, tenant provisioning, operations). When it is
    unset, an embedded PostgreSQL is started with its data under ``ILP_HOME``. The application itself
    connects as the login role ``ilp_app`` (no superuser, no BYPASSRLS, owns nothing), so Row-Level
    Security applies to every query it makes.
    """

    model_config = SettingsConfigDict(env_file=None, extra="ignore", populate_by_name=True)

    database_url: str | None = Field(default=None, alias="DATABASE_URL")
    app_database_url: str | None = Field(default=None, alias="ILP_APP_DATABASE_URL")
    app_db_password: SecretStr | None = Field(default=None, alias="ILP_APP_PASSWORD")
    home: Path = Field(default_factory=lambda: Path(platformdirs.user_data_dir("ilp")), alias="ILP_HOME")
    pool_size: int = Field(default=5, alias="ILP_POOL_SIZE", ge=1, le=100)
    partitions_ahead_months: int = Field(default=3, alias="ILP_PARTITIONS_AHEAD", ge=0, le=36)
    # Operations: optional read replica (analytics reads), Redis cache, archive folder, alert webhook.
    database_replica_url: str | None = Field(default=None, alias="DATABASE_REPLICA_URL")
    redis_url: str | None = Field(default=None, alias="REDIS_URL")
    archive_dir: Path | None = Field(default=None, alias="ILP_ARCHIVE_DIR")
    alert_webhook_url: str | None = Field(default=None, alias="ILP_ALERT_WEBHOOK_URL")

    @property
    def embedded_data_dir(self) -> Path:
        return self.home / "pgdata"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def reset_settings_cache() -> None:
    """Forget cached settings (tests and CLI options change the environment)."""
    get_settings.cache_clear()
