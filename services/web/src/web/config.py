"""Settings of the web front end, read from the environment (OIDC_ISSUER, PARTNERS_URL, ...)."""

from __future__ import annotations

import secrets
from datetime import datetime

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.auth.jwks import JwksSettings


class WebSettings(JwksSettings, BaseSettings):
    model_config = SettingsConfigDict(env_file=None, extra="ignore")

    port: int = 8100
    public_url: str = Field(
        default="http://127.0.0.1:8100",
        description="Where browsers reach this app; the OIDC redirect URIs are built from it",
    )
    oidc_issuer: str = "http://127.0.0.1:8180/realms/cus"
    oidc_client_id: str = "cus-web"
    oidc_client_secret: str = "cus-web-dev-secret"
    oidc_scope: str = "openid profile email"
    keycloak_admin_client_id: str = Field(
        default="cus-admin",
        description="Service account with realm-management view-users (ADR 0060): the web looks "
        "up a staff member's subject by username when a case is handed over (ADR 0023)",
    )
    keycloak_admin_client_secret: str = "cus-admin-dev-secret"
    partners_url: str = "http://127.0.0.1:8101"
    basket_url: str = "http://127.0.0.1:8102"
    cases_url: str = "http://127.0.0.1:8103"
    notifications_url: str = "http://127.0.0.1:8104"
    evaluation_url: str = "http://127.0.0.1:8105"
    session_secret: str = Field(
        default_factory=lambda: secrets.token_urlsafe(32),
        description="Key that signs the session cookie; a random one per process if unset",
    )
    session_idle_seconds: int = 30 * 60
    session_max_seconds: int = 10 * 60 * 60
    log_level: str = "INFO"
    clock_start: datetime | None = Field(
        default=None,
        description="Run the business clock from this instant (ISO 8601 with its UTC offset) "
        "forward in real time; unset: the real time (ADR 0015)",
    )

    @property
    def secure_cookies(self) -> bool:
        return self.public_url.startswith("https://")

    @property
    def keycloak_server_url(self) -> str:
        """Keycloak's base URL and realm, from the issuer (`<base>/realms/<realm>`)."""
        return self.oidc_issuer.rsplit("/realms/", 1)[0] + "/"

    @property
    def keycloak_realm(self) -> str:
        return self.oidc_issuer.rstrip("/").rsplit("/realms/", 1)[-1]

    @property
    def base(self) -> str:
        return self.public_url.rstrip("/")
