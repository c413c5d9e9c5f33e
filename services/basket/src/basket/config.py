"""Settings of the basket service."""

from shared.config import ServiceSettings


class BasketSettings(ServiceSettings):
    port: int = 8102
    stale_after_days: int = 90
    partners_consumer: str = "basket-partners"
