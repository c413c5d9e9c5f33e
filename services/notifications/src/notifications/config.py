"""Settings of the notifications service."""

from __future__ import annotations

from pydantic import Field

from notifications.domain.backoff import DEFAULT_DELAYS
from shared.config import ServiceSettings


class NotificationsSettings(ServiceSettings):
    port: int = 8104
    webhook_allowlist: list[str] = Field(
        default_factory=list,
        description="Hosts or networks (CIDR) webhooks may reach although private: development",
    )
    webhook_timeout_s: float = 10.0
    webhook_retry_delays: tuple[float, ...] = DEFAULT_DELAYS
    webhook_retry_jitter: float = 0.2
    delivery_batch: int = 200
    delivery_workers: int = 2
    delivery_poll_s: float = 0.5
    previous_secret_valid_h: float = 24.0
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    mail_from: str = "powiadomienia@cus.example.org"
    email_retry_delays: tuple[float, ...] = (30.0, 120.0, 600.0, 3600.0)
    email_poll_s: float = 2.0
    web_base_url: str = "http://127.0.0.1:8100"
    reminder_interval_s: float = 300.0
    referral_answer_days: int = 3
    offering_verify_days: int = 90
    consent_expiry_days: int = 14
    digest_hour_utc: int = 6
    sse_poll_s: float = 1.0
    # Retention (ADR 0018): defaults of the schedule; an installation may set longer or shorter.
    retention_notices_days: int = Field(
        default=365, ge=1, description="In-app notices, from creation"
    )
    retention_emails_days: int = Field(default=30, ge=1, description="Sent or failed e-mails")
    retention_deliveries_days: int = Field(
        default=90, ge=1, description="Finished webhook deliveries and their attempts"
    )
    retention_events_days: int = Field(
        default=400, ge=1, description="The event journal (the feed), as the streams' age limit"
    )
    retention_disclosures_years: int = Field(
        default=10, ge=1, description="Disclosures, from 1 January of the year after disclosure"
    )
