"""Settings of the evaluation service."""

from typing import Self

from pydantic import Field, model_validator

from shared.config import ServiceSettings

# A rebuild needs the events after the newest snapshot: the streams' age limit must be this many
# snapshot intervals at least, so that a few missed snapshots still leave a rebuildable window.
WINDOW_MARGIN = 4


class EvaluationSettings(ServiceSettings):
    port: int = 8105
    # Events applied per transaction by the live consumers.
    consumer_batch_size: int = 512
    snapshot_interval_hours: float = Field(
        default=24.0,
        gt=0,
        description="How often the read models are snapshotted for rebuilds (ADR 0049)",
    )
    snapshots_kept: int = Field(default=3, ge=1, description="Snapshots kept, the newest")

    @model_validator(mode="after")
    def _window_exceeds_snapshot_interval(self) -> Self:
        window_hours = self.stream_max_age_days * 24
        if window_hours > 0 and window_hours < WINDOW_MARGIN * self.snapshot_interval_hours:
            raise ValueError(
                f"STREAM_MAX_AGE_DAYS ({self.stream_max_age_days}) must be at least "
                f"{WINDOW_MARGIN} snapshot intervals (SNAPSHOT_INTERVAL_HOURS "
                f"{self.snapshot_interval_hours}): a rebuild replays the events after the newest "
                "snapshot (ADR 0049)"
            )
        return self
