"""The one place that wires the cases service: settings, engine, broker, consumers, routes."""

from __future__ import annotations

import asyncio
import logging

from fastapi import FastAPI

from cases.adapters.crypto import PeselVault, decode_key, decode_keys
from cases.adapters.orm import start_mappers
from cases.adapters.sealing import use_vault
from cases.adapters.uow import SqlUnitOfWork
from cases.config import CasesSettings
from cases.entrypoints.api import router
from cases.entrypoints.consumers import register_consumers
from cases.retention import Schedule, run_periodically
from cases.service.handlers import sweep_expired_consents
from cases.service.publishing import translate
from shared.runtime import Runtime, build_runtime, create_app

SERVICE = "cases"
log = logging.getLogger(__name__)

TAGS = [
    {"name": "cases", "description": "Sprawy rodzin: przyjęcie, stan, zamknięcie"},
    {"name": "consents", "description": "Zgody rodziny: zakres, ważność, wycofanie, formularz"},
    {"name": "team", "description": "Zadaniowy Zespół Kooperacyjny"},
    {"name": "diagnosis", "description": "Diagnoza pogłębiona wg obszarów"},
    {"name": "plan", "description": "Plan wsparcia i jego wersje"},
    {"name": "referrals", "description": "Skierowania do usług z koszyka"},
    {"name": "meetings", "description": "Spotkania zespołu i konsultacje"},
    {"name": "access-log", "description": "Kto i kiedy oglądał dane rodziny"},
    {"name": "offerings", "description": "Usługi koszyka z dostępnością (model odczytu)"},
]


def pesel_vault(settings: CasesSettings) -> PeselVault:
    assert settings.cases_pesel_key is not None
    assert settings.cases_pesel_hash_key is not None
    previous = settings.cases_pesel_previous_keys
    return PeselVault(
        decode_key(settings.cases_pesel_key.get_secret_value(), "CASES_PESEL_KEY"),
        decode_key(settings.cases_pesel_hash_key.get_secret_value(), "CASES_PESEL_HASH_KEY"),
        decode_keys(previous.get_secret_value() if previous else None, "CASES_PESEL_PREVIOUS_KEYS"),
    )


def bootstrap(settings: CasesSettings | None = None) -> tuple[FastAPI, Runtime]:
    settings = settings or CasesSettings()
    start_mappers()
    runtime = build_runtime(SERVICE, settings)
    vault = pesel_vault(settings)
    # The case's free text is sealed with the PESEL encryption key in every session (ADR 0017).
    use_vault(vault, runtime.sessions, runtime.read_sessions)
    register_consumers(runtime.broker, runtime.sessions, settings.consumer_prefix)
    runtime.prunes_inbox = False  # the retention job below prunes the inbox too
    if settings.retention_interval_s > 0:
        schedule, interval = Schedule.of(settings), settings.retention_interval_s

        async def retention() -> None:
            await run_periodically(runtime.engine, schedule, interval)

        runtime.background.append(retention)

    async def consent_expiry() -> None:
        """The periodic sweep: an expired consent's team members leave and its open referrals
        end, as on a withdrawal (ADR 0037). Identifiers and counts only in the log."""
        while True:
            await asyncio.sleep(settings.consent_sweep_interval_s)
            members, referrals = await sweep_expired_consents(
                lambda: SqlUnitOfWork(runtime.sessions, translate)
            )
            if members or referrals:
                log.info(
                    "consent expiry applied",
                    extra={"members_left": members, "referrals_ended": referrals},
                )

    consent_expiry.__name__ = "consent-expiry"
    runtime.background.append(consent_expiry)
    app = create_app(
        runtime,
        title="CUS – sprawy rodzin (ZZK)",
        description="Zadaniowe Zespoły Kooperacyjne wokół rodziny, za jej zgodą (cases).",
        routers=[router],
        openapi_tags=TAGS,
    )
    app.state.pesel_vault = vault
    return app, runtime


def app() -> FastAPI:
    """ASGI factory: `uvicorn --factory cases.bootstrap:app`."""
    from shared.observability import configure_logging

    settings = CasesSettings()
    configure_logging(SERVICE, settings.log_level)
    return bootstrap(settings)[0]
