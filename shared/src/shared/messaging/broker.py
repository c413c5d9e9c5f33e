"""The broker factory: a FastStream NATS broker that reconnects forever and traces messages."""

from __future__ import annotations

import asyncio
import logging

from faststream.nats import NatsBroker
from faststream.nats.opentelemetry import NatsTelemetryMiddleware
from opentelemetry.sdk.trace import TracerProvider

from shared.messaging.streams import DEFAULT_MAX_AGE_DAYS, ensure_streams

log = logging.getLogger(__name__)


def make_broker(url: str, *, service: str, tracer_provider: TracerProvider | None) -> NatsBroker:
    return NatsBroker(
        servers=url,
        name=f"cus-{service}",
        middlewares=[NatsTelemetryMiddleware(tracer_provider=tracer_provider)],
        max_reconnect_attempts=-1,
        reconnect_time_wait=1,
        connect_timeout=2,
        graceful_timeout=10.0,
        # FastStream logs every message received/processed; that belongs at debug level.
        log_level=logging.DEBUG,
    )


async def start_broker(
    broker: NatsBroker,
    *,
    stream_max_bytes: int = -1,
    stream_max_age_days: float = DEFAULT_MAX_AGE_DAYS,
) -> None:
    """Connect (retrying until NATS answers), declare the streams, then start the subscribers."""
    delay = 0.2
    while True:
        try:
            await broker.connect()
            await ensure_streams(
                broker.connection.jetstream(),
                max_bytes=stream_max_bytes,
                max_age_days=stream_max_age_days,
            )
            await broker.start()
            return
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning(
                "NATS not reachable yet; retrying", extra={"error": repr(exc), "retry_in_s": delay}
            )
            await asyncio.sleep(delay)
            delay = min(delay * 2, 1.0)  # a restart during an outage connects soon after it
