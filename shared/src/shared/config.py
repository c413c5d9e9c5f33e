"""Settings every service reads from its environment (pydantic-settings)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.auth.jwks import JwksSettings
from shared.auth.roles import API_AUDIENCE
from shared.messaging.streams import DEFAULT_MAX_AGE_DAYS


class ServiceSettings(JwksSettings, BaseSettings):
    model_config = SettingsConfigDict(env_file=None, extra="ignore")

    database_url: str = Field(description="PostgreSQL URL of this service's own database")
    nats_url: str = "nats://127.0.0.1:4222"
    oidc_issuer: str = "http://127.0.0.1:8180/realms/cus"
    oidc_audience: str = API_AUDIENCE
    log_level: str = "INFO"
    db_pool_size: int = 10
    stream_max_bytes: int = -1
    stream_max_age_days: float = Field(
        default=DEFAULT_MAX_AGE_DAYS,
        description="How many days the event streams keep a message (ADR 0049); 0 keeps them "
        "forever. Every service applies it to every stream at start: set the same value in all",
    )
    public_base_url: str | None = None
    # Retention (ADR 0018): consumed event ids kept in the inbox, and how often the service's
    # retention job runs (0: never inside the service; the command still runs it).
    retention_inbox_days: int = Field(
        default=430, ge=1, description="Days a consumed event id is kept in the inbox"
    )
    retention_interval_s: float = Field(
        default=86400.0, description="Seconds between runs of the retention job; 0: not run"
    )
    clock_start: datetime | None = Field(
        default=None,
        description="Run the business clock from this instant (ISO 8601 with its UTC offset) "
        "forward in real time, e.g. for a demo on a chosen date; unset: the real time (ADR 0015)",
    )
