"""The one place that wires the notifications service: settings, runtime, consumers, workers,
reminder scheduler and routes."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from fastapi import FastAPI

from notifications.adapters.delivery import DeliveryWorker
from notifications.adapters.mail import MailWorker
from notifications.adapters.reminders import ReminderRules, send_reminders
from notifications.adapters.webhook_client import WebhookClient
from notifications.config import NotificationsSettings
from notifications.context import Context
from notifications.domain.addresses import Allowlist
from notifications.entrypoints import consumers
from notifications.entrypoints.api import router
from notifications.retention import Schedule, run_periodically
from notifications.service.notices import KINDS
from shared.messaging import ConsumerStats
from shared.runtime import Runtime, build_runtime, create_app

SERVICE = "notifications"

TAGS = [
    {"name": "webhooks", "description": "Webhooki systemów partnerów (Standard Webhooks)"},
    {"name": "feed", "description": "Strumień zdarzeń do pobrania i dokument AsyncAPI"},
    {
        "name": "inbox",
        "description": "Powiadomienia w aplikacji i preferencje (" + ", ".join(KINDS) + ")",
    },
]


@dataclass
class Notifications:
    app: FastAPI
    runtime: Runtime
    context: Context
    stats: dict[str, ConsumerStats]


def _named(name: str, job: Callable[[], Awaitable[None]]) -> Callable[[], Awaitable[None]]:
    async def run() -> None:
        await job()

    run.__name__ = name
    return run


def build(settings: NotificationsSettings | None = None) -> Notifications:
    settings = settings or NotificationsSettings()
    runtime = build_runtime(SERVICE, settings)
    allowlist = Allowlist.parse(settings.webhook_allowlist)
    context = Context(settings, allowlist)
    clients = WebhookClient(allowlist, settings.webhook_timeout_s)
    for n in range(settings.delivery_workers):
        worker = DeliveryWorker(
            runtime.sessions,
            clients,
            delays=settings.webhook_retry_delays,
            jitter=settings.webhook_retry_jitter,
            batch=settings.delivery_batch,
            poll=settings.delivery_poll_s,
        )
        context.delivery.append(worker)
        runtime.background.append(_named(f"webhook-delivery-{n}", worker.run))
    context.mail = MailWorker(
        runtime.sessions,
        host=settings.smtp_host,
        port=settings.smtp_port,
        sender=settings.mail_from,
        delays=settings.email_retry_delays,
        poll=settings.email_poll_s,
    )
    runtime.background.append(_named("mail", context.mail.run))
    rules = ReminderRules(
        referral_answer_days=settings.referral_answer_days,
        offering_verify_days=settings.offering_verify_days,
        consent_expiry_days=settings.consent_expiry_days,
        digest_hour_utc=settings.digest_hour_utc,
        web_base_url=settings.web_base_url,
    )

    async def scheduler() -> None:
        while True:
            await asyncio.sleep(settings.reminder_interval_s)
            if await send_reminders(runtime.sessions, rules):
                context.wake()

    runtime.background.append(_named("reminders", scheduler))
    runtime.prunes_inbox = False  # the retention job below prunes the inbox too
    if settings.retention_interval_s > 0:
        schedule, interval = Schedule.of(settings), settings.retention_interval_s

        async def retention() -> None:
            await run_periodically(runtime.engine, schedule, interval)

        runtime.background.append(_named("retention", retention))

    async def close_client() -> None:
        try:
            await asyncio.Event().wait()
        finally:
            # Sends in flight finish first: closing under them would fail deliveries that the
            # receiver already got, and the next instance would send them again.
            await asyncio.gather(*(worker.settle() for worker in context.delivery))
            await clients.aclose()

    runtime.background.append(_named("webhook-client", close_client))
    stats = consumers.register(runtime, context)
    app = create_app(
        runtime,
        title="CUS – powiadomienia",
        description="Powiadomienia w aplikacji, e-mail i webhooki dla systemów partnerów.",
        routers=[router],
        openapi_tags=TAGS,
    )
    app.state.notifications = context
    return Notifications(app, runtime, context, stats)


def bootstrap(settings: NotificationsSettings | None = None) -> tuple[FastAPI, Runtime]:
    built = build(settings)
    return built.app, built.runtime


def app() -> FastAPI:
    """ASGI factory: `uvicorn --factory notifications.bootstrap:app`."""
    from shared.observability import configure_logging

    settings = NotificationsSettings()
    configure_logging(SERVICE, settings.log_level)
    return bootstrap(settings)[0]
