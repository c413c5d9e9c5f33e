"""The platform's JetStream layout: one stream per producing service, and the dead-letter stream.

Streams keep their history (limits retention, no age limit by default) so that read models such
as the evaluation service's can be rebuilt by replaying them.
"""

from __future__ import annotations

from dataclasses import dataclass

from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError

DUPLICATE_WINDOW_SECONDS = 120.0


@dataclass(frozen=True)
class StreamSpec:
    name: str
    subjects: tuple[str, ...]
    description: str


PRODUCERS = ("partners", "basket", "cases", "notifications", "evaluation")

STREAMS: dict[str, StreamSpec] = {
    service: StreamSpec(
        name=service.upper(),
        subjects=(f"{service}.>",),
        description=f"Events of the {service} service",
    )
    for service in PRODUCERS
}

DLQ = StreamSpec(
    name="DLQ",
    subjects=("dlq.>",),
    description="Messages a consumer gave up on, with the error, for inspection and replay",
)


def stream_for_subject(subject: str) -> StreamSpec:
    return STREAMS[subject.split(".", 1)[0]]


def stream_config(spec: StreamSpec, *, max_bytes: int = -1) -> StreamConfig:
    return StreamConfig(
        name=spec.name,
        description=spec.description,
        subjects=list(spec.subjects),
        retention=RetentionPolicy.LIMITS,
        storage=StorageType.FILE,
        discard=DiscardPolicy.OLD,
        max_bytes=max_bytes,
        duplicate_window=DUPLICATE_WINDOW_SECONDS,
    )


async def ensure_streams(js: JetStreamContext, *, max_bytes: int = -1) -> None:
    """Create the platform's streams, or bring their configuration up to date. Idempotent."""
    for spec in (*STREAMS.values(), DLQ):
        config = stream_config(spec, max_bytes=max_bytes)
        try:
            await js.stream_info(spec.name)
        except NotFoundError:
            await js.add_stream(config)
        else:
            await js.update_stream(config)
