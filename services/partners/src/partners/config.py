"""Settings of the partners service."""

from shared.config import ServiceSettings


class PartnersSettings(ServiceSettings):
    port: int = 8101
