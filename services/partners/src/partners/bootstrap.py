"""The one place that wires the partners service: settings, engine, broker, relay, routes."""

from __future__ import annotations

from fastapi import FastAPI

from partners.adapters.orm import start_mappers
from partners.config import PartnersSettings
from partners.entrypoints.api import public, router
from shared.runtime import Runtime, build_runtime, create_app

SERVICE = "partners"

TAGS = [
    {"name": "institutions", "description": "Rejestr instytucji – kooperantów"},
    {"name": "partnerships", "description": "Partnerstwa gmin, koordynatorzy, pokrycie sektorów"},
    {
        "name": "memberships",
        "description": "Członkostwo: zaproszenie → udział nieformalny → "
        "deklaracja → zawieszenie → wystąpienie",
    },
    {"name": "meetings", "description": "Spotkania partnerstwa"},
    {"name": "benefit-cards", "description": "Karty korzyści (publiczne)"},
]


def bootstrap(settings: PartnersSettings | None = None) -> tuple[FastAPI, Runtime]:
    settings = settings or PartnersSettings()
    start_mappers()
    # It consumes no events: with NATS down its changes still commit, events wait in the outbox.
    runtime = build_runtime(SERVICE, settings, requires_nats=False)
    app = create_app(
        runtime,
        title="CUS – rejestr partnerów",
        description="Rejestr instytucji i partnerstw gmin w Modelu Kooperacji (partners).",
        routers=[router, public],
        openapi_tags=TAGS,
    )
    return app, runtime


def app() -> FastAPI:
    """ASGI factory: `uvicorn --factory partners.bootstrap:app`."""
    from shared.observability import configure_logging

    settings = PartnersSettings()
    configure_logging(SERVICE, settings.log_level)
    return bootstrap(settings)[0]
