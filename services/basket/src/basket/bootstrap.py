"""The one place that wires the basket service: settings, engine, broker, relay, the partners
consumer, routes."""

from __future__ import annotations

from fastapi import FastAPI

from basket.adapters.orm import start_mappers
from basket.adapters.reader import create_read_engine, dispose_on_shutdown
from basket.config import BasketSettings
from basket.entrypoints.api import hsds_api, public, router
from basket.entrypoints.consumers import register_partners_consumer
from shared.db import session_factory
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
    reader = create_read_engine(settings.database_url, pool_size=settings.db_pool_size)

    async def close_read_engine() -> None:
        await dispose_on_shutdown(reader)

    runtime.background.append(close_read_engine)
    app = create_app(
        runtime,
        title="CUS – Lokalny Koszyk Usług",
        description="Koszyk usług partnerów Modelu Kooperacji (basket), z API HSDS 3.0.",
        routers=[router, public, hsds_api],
        openapi_tags=TAGS,
    )
    app.state.read_engine = reader
    app.state.read_sessions = session_factory(reader)
    return app, runtime


def app() -> FastAPI:
    """ASGI factory: `uvicorn --factory basket.bootstrap:app`."""
    from shared.observability import configure_logging

    settings = BasketSettings()
    configure_logging(SERVICE, settings.log_level)
    return bootstrap(settings)[0]
