"""Tracing set-up: one global tracer provider per process, OTLP export only when configured."""

from __future__ import annotations

import os

from fastapi import FastAPI
from opentelemetry import trace
from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from sqlalchemy.ext.asyncio import AsyncEngine

_provider: TracerProvider | None = None


def configure_tracing(service_name: str, *, extra: SpanProcessor | None = None) -> TracerProvider:
    """Install the process's tracer provider (once); export over OTLP/HTTP if
    OTEL_EXPORTER_OTLP_ENDPOINT is set, otherwise record spans without exporting them, so the
    trace ids still reach logs and message headers."""
    global _provider
    if _provider is None:
        _provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
        if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
                OTLPSpanExporter,
            )

            _provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        trace.set_tracer_provider(_provider)
    if extra is not None:
        _provider.add_span_processor(extra)
    return _provider


def instrument_app(app: FastAPI) -> None:
    FastAPIInstrumentor.instrument_app(
        app, excluded_urls="healthz,readyz", exclude_spans=["receive", "send"]
    )


def instrument_engine(engine: AsyncEngine) -> None:
    """SQL spans come from the asyncpg driver, under SQLAlchemy and raw connections alike.

    (opentelemetry-instrumentation-sqlalchemy 0.66 refuses SQLAlchemy 2.1; the asyncpg
    instrumentation has no such limit and sees the statements the driver actually runs.)
    """
    instrumentor = AsyncPGInstrumentor()  # type: ignore[no-untyped-call]
    if not instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.instrument()
