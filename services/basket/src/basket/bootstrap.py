"""The one place that wires the basket service: settings, engine, broker, relay, the partners
consumer, routes."""

from __future__ import annotations

from fastapi import FastAPI

from basket.adapters.orm import start_mappers
from basket.config import BasketSettings
from basket.entrypoints.api import hsds_api, public, router
from basket.entrypoints.consumers import register_partners_consumer
from shared.runtime import Runtime, build_runtime, create_app

SERVICE = "basket"

TAGS = [
    {"name": "offerings", "description": "Usługi koszyka: dodawanie, zmiany, status, weryfikacja"},
    {"name": "public", "description": "Publiczny koszyk gminy i eksporty (bez logowania)"},
    {"name": "hsds", "description": "Open Referral HSDS 3.0 – API do odczytu (bez logowania)"},
    {"name": "reference", "description": "Obszary, kategorie, grupy docelowe, realizatorzy"},
]


def bootstrap(settings: BasketSettings | None = None) -> tuple[FastAPI, Runtime]:
    settings = settings or BasketSettings()
    start_mappers()
    runtime = build_runtime(SERVICE, settings)
    # Registered before the app starts: the broker starts its subscribers in the lifespan.
    register_partners_consumer(runtime.broker, runtime.sessions, settings.partners_consumer)
    app = create_app(
        runtime,
        title="CUS – Lokalny Koszyk Usług",
        description="Koszyk usług partnerów Modelu Kooperacji (basket), z API HSDS 3.0.",
        routers=[router, public, hsds_api],
        openapi_tags=TAGS,
    )
    # The search and other public reads use the runtime's autocommit engine (ADR 0007).
    app.state.read_engine = runtime.read_engine
    app.state.read_sessions = runtime.read_sessions
    return app, runtime


def app() -> FastAPI:
    """ASGI factory: `uvicorn --factory basket.bootstrap:app`."""
    from shared.observability import configure_logging

    settings = BasketSettings()
    configure_logging(SERVICE, settings.log_level)
    return bootstrap(settings)[0]
