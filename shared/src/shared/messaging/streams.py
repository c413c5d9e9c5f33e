"""The platform's JetStream layout: one stream per producing service, and the dead-letter stream.

Streams keep their history for an age limit (`max_age`, 400 days unless configured; ADR 0049):
long enough for the evaluation service to rebuild its read models from its newest snapshot plus
the events after it, and no longer, so that the trace of every case does not stay forever.
"""

from __future__ import annotations

from dataclasses import dataclass

from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError

DUPLICATE_WINDOW_SECONDS = 120.0
DAY_SECONDS = 86_400.0
# How long a stream keeps a message (ADR 0049): a year of 366 days plus a month's margin and
# more. The evaluation snapshots its read models daily, so a rebuild needs far less than this.
DEFAULT_MAX_AGE_DAYS = 400.0


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


def max_age_seconds(days: float) -> float:
    """The stream's `max_age` for an age limit in days; 0 (or less) keeps messages forever."""
    return days * DAY_SECONDS if days > 0 else 0.0


def stream_config(
    spec: StreamSpec, *, max_bytes: int = -1, max_age_days: float = DEFAULT_MAX_AGE_DAYS
) -> StreamConfig:
    return StreamConfig(
        name=spec.name,
        description=spec.description,
        subjects=list(spec.subjects),
        retention=RetentionPolicy.LIMITS,
        storage=StorageType.FILE,
        discard=DiscardPolicy.OLD,
        max_bytes=max_bytes,
        max_age=max_age_seconds(max_age_days),
        duplicate_window=DUPLICATE_WINDOW_SECONDS,
    )


async def ensure_streams(
    js: JetStreamContext, *, max_bytes: int = -1, max_age_days: float = DEFAULT_MAX_AGE_DAYS
) -> None:
    """Create the platform's streams, or bring their configuration up to date (an existing
    deployment's streams get the current age and size limits at the next start). Idempotent."""
    for spec in (*STREAMS.values(), DLQ):
        config = stream_config(spec, max_bytes=max_bytes, max_age_days=max_age_days)
        try:
            await js.stream_info(spec.name)
        except NotFoundError:
            await js.add_stream(config)
        else:
            await js.update_stream(config)
