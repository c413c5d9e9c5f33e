"""The one place that wires the evaluation service: settings, engine, broker, the consumers that
feed the read models, and the routes."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI

from evaluation.adapters.orm import inbox
from evaluation.adapters.projection import handle
from evaluation.adapters.snapshots import SOURCES, durable_name, periodic_snapshots
from evaluation.config import EvaluationSettings
from evaluation.entrypoints.api import public, router
from shared.messaging import STREAMS, ConsumerStats, register_consumer
from shared.runtime import Runtime, build_runtime, create_app

SERVICE = "evaluation"

TAGS = [
    {"name": "monitoring", "description": "Monitoring współpracy (stan teraz)"},
    {"name": "reports", "description": "Raporty ewaluacyjne za okres, z trendem i eksportem"},
    {"name": "surveys", "description": "Ankiety satysfakcji partnerów i jakości współpracy"},
    {"name": "admin", "description": "Migawki modeli odczytu i ich odbudowa ze zdarzeń"},
]


def bootstrap(
    settings: EvaluationSettings | None = None,
) -> tuple[FastAPI, Runtime, dict[str, ConsumerStats]]:
    settings = settings or EvaluationSettings()
    runtime = build_runtime(SERVICE, settings, publishes=False)  # it keeps no outbox
    stats = {
        source: register_consumer(
            runtime.broker,
            stream=STREAMS[source],
            durable=durable_name(source),
            sessions=runtime.sessions,
            inbox=inbox,
            handler=handle,
            batch_size=settings.consumer_batch_size,
        )
        for source in SOURCES
    }

    async def snapshots() -> None:
        await periodic_snapshots(
            runtime.engine,
            runtime.nats_connection,
            runtime.broker_ready,
            interval=timedelta(hours=settings.snapshot_interval_hours),
            keep=settings.snapshots_kept,
        )

    runtime.background.append(snapshots)
    app = create_app(
        runtime,
        title="CUS – monitoring i ewaluacja",
        description="Modele odczytu budowane ze zdarzeń, monitoring, raporty ewaluacyjne z "
        "eksportem, ankiety partnerów (evaluation).",
        routers=[router, public],
        openapi_tags=TAGS,
    )
    return app, runtime, stats


def app() -> FastAPI:
    """ASGI factory: `uvicorn --factory evaluation.bootstrap:app`."""
    from shared.observability import configure_logging

    settings = EvaluationSettings()
    configure_logging(SERVICE, settings.log_level)
    return bootstrap(settings)[0]
