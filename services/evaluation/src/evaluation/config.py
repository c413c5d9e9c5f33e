"""Settings of the evaluation service."""

from shared.config import ServiceSettings


class EvaluationSettings(ServiceSettings):
    port: int = 8105
    # Events applied per transaction by the live consumers.
    consumer_batch_size: int = 512
