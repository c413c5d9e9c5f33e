"""Settings of the cases service.

CASES_PESEL_KEY and CASES_PESEL_HASH_KEY (base64, 32 bytes each, different) protect PESEL
numbers. They are required when CASES_ENVIRONMENT=production (docker-compose.yml runs so). `./run`
generates a pair once into its data folder (`.run/secrets/cases.env`, mode 0600) and passes it at
every start, so the PESELs it stored stay readable after a restart. Elsewhere (tests), when unset,
a random pair is generated at start: encrypted numbers then cannot be read after a restart.
CASES_PESEL_PREVIOUS_KEYS lists the keys being rotated away from (ADR 0026).
"""

from __future__ import annotations

import logging

from pydantic import Field, SecretStr, model_validator

from cases.adapters.crypto import new_key
from shared.config import ServiceSettings

log = logging.getLogger(__name__)


class CasesSettings(ServiceSettings):
    port: int = 8103
    cases_environment: str = Field(default="development", description="production | development")
    cases_pesel_key: SecretStr | None = Field(default=None, description="AES-256-GCM key, base64")
    cases_pesel_hash_key: SecretStr | None = Field(default=None, description="HMAC key, base64")
    cases_pesel_previous_keys: SecretStr | None = Field(
        default=None,
        description="Old PESEL keys still readable during a rotation: base64, comma-separated",
    )
    consumer_prefix: str = Field(default="cases", description="Prefix of durable consumer names")
    # Retention (ADR 0018): the installation's JRWA sets the period; these are the defaults.
    retention_case_years: int = Field(
        default=10,
        ge=1,
        description="Years a closed case file is kept, from 1 January of the year after it closed",
    )
    retention_category: str = Field(default="B10", description="Archival category of case files")
    consent_sweep_interval_s: float = Field(
        default=60.0,
        gt=0,
        description="How often expired consents' consequences are applied (ADR 0037); reads "
        "refuse an expired consent's share at once, whatever this is",
    )

    @model_validator(mode="after")
    def _keys(self) -> CasesSettings:
        if self.cases_pesel_key is None or self.cases_pesel_hash_key is None:
            if self.cases_environment == "production":
                raise ValueError("CASES_PESEL_KEY and CASES_PESEL_HASH_KEY are required")
            log.warning("PESEL keys not set: using ephemeral keys (development only)")
            self.cases_pesel_key = self.cases_pesel_key or SecretStr(new_key())
            self.cases_pesel_hash_key = self.cases_pesel_hash_key or SecretStr(new_key())
        return self
