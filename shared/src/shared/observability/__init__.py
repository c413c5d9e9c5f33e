"""OpenTelemetry traces over HTTP, SQL and messages, and JSON logs that carry the trace id."""

from shared.observability.logging import configure_logging
from shared.observability.tracing import configure_tracing, instrument_app, instrument_engine

__all__ = ["configure_logging", "configure_tracing", "instrument_app", "instrument_engine"]
