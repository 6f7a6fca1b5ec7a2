"""Settings from the environment: `GUICHET_*`, overridden per service (`TICKETING_*`, …)."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

DEFAULT_RETRY_DELAYS: tuple[float, ...] = (1.0, 10.0, 60.0, 600.0)
# Events carry ids, labels and links, not documents: far below any broker's limit.
DEFAULT_MAX_ENVELOPE_BYTES = 256 * 1024
# An outbox row the bus refused waits each of these in turn; refused once more, set aside.
DEFAULT_REFUSAL_DELAYS: tuple[float, ...] = (5.0, 30.0, 120.0, 600.0)


def asyncpg_url(url: str) -> str:
    """Accept `postgres://` / `postgresql://` and return the SQLAlchemy asyncpg form."""
    for prefix in ("postgresql+asyncpg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    raise ValueError("database URL must start with postgresql://")


class CommonSettings(BaseSettings):
    """Settings every service and the runner share.

    A service subclass sets `service_prefix`; `TICKETING_DATABASE_URL` then wins over
    `GUICHET_DATABASE_URL`, which wins over the default.
    """

    service_prefix: ClassVar[str] = ""

    model_config = SettingsConfigDict(extra="ignore", env_prefix="GUICHET_")

    database_url: str | None = None
    amqp_url: str | None = None
    smtp_url: str | None = None
    data_dir: Path = Path("var")
    public_base_url: str = "http://127.0.0.1:8000"  # links in emails and pages
    # Unset: a random secret per process, so no token is accepted until one is configured
    # (`guichet up` keeps one in the data directory). Never a default written in the code.
    jwt_secret: SecretStr = Field(default_factory=lambda: SecretStr(secrets.token_urlsafe(32)))
    jwt_audience: str | None = None
    jwt_jwks_url: str | None = None
    jwt_issuer: str = "guichet"
    log_level: str = "INFO"
    log_json: bool = True
    retry_delays: tuple[float, ...] = DEFAULT_RETRY_DELAYS
    # The database or the broker away: retried every 10 s up to this many times (10 min),
    # then parked with the reason (replay with `guichet dlq replay`).
    outage_retry_limit: int = 60
    prefetch: int = 32
    outbox_retention_days: int = 7
    outbox_sweep_seconds: float = 5.0
    # An event over this is refused when written, in the producer's transaction.
    outbox_max_envelope_bytes: int = DEFAULT_MAX_ENVELOPE_BYTES
    outbox_refusal_delays: tuple[float, ...] = DEFAULT_REFUSAL_DELAYS
    worker_health_port: int = 8001
    # Every time a person reads (pages, PDFs, e-mails), every "today" and every numbering
    # year are in this zone; the API speaks ISO 8601 with offsets.
    timezone: str = "Europe/Paris"

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r} (an IANA name: Europe/Paris)") from exc
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @field_validator("database_url")
    @classmethod
    def _normalise_database_url(cls, value: str | None) -> str | None:
        return asyncpg_url(value) if value else value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings]
        if cls.service_prefix:
            sources.append(EnvSettingsSource(settings_cls, env_prefix=cls.service_prefix))
        sources.append(env_settings)
        return tuple(sources)

    def require_database_url(self) -> str:
        if not self.database_url:
            raise RuntimeError(
                f"no database configured: set {self.service_prefix or 'GUICHET_'}DATABASE_URL "
                "or run `guichet up`, which starts an embedded PostgreSQL"
            )
        return self.database_url
