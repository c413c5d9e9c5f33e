"""Who is who in the realm: a staff member's Keycloak subject by username, through Keycloak's
Admin REST API with the `cus-admin` service account (python-keycloak's `KeycloakAdmin`; the dev
issuer serves the same users subset, ADR 0060). Used when a case is handed over to another case
manager (ADR 0023): the cases service takes the new manager's subject and username.

The admin API answers only "this account exists"; it says nothing here about roles or
municipality (the subset serves no role mappings). That is safe: the cases service grants access
only to a token with role `case-manager` in the case's municipality (ADR 0023).
"""

from __future__ import annotations

import asyncio
import logging

from keycloak import KeycloakAdmin
from keycloak.exceptions import KeycloakError

from web.config import WebSettings

log = logging.getLogger(__name__)


class DirectoryUnavailable(Exception):
    """Keycloak's admin API could not be asked (down, wrong secret, missing role)."""


def _lookup(settings: WebSettings, username: str) -> str | None:
    admin = KeycloakAdmin(
        server_url=settings.keycloak_server_url,
        realm_name=settings.keycloak_realm,
        client_id=settings.keycloak_admin_client_id,
        client_secret_key=settings.keycloak_admin_client_secret,
        timeout=10,
    )
    return admin.get_user_id(username)


async def subject_of(settings: WebSettings, username: str) -> str | None:
    """The subject (`sub`) of the realm's account with exactly this username, or None."""
    try:
        return await asyncio.to_thread(_lookup, settings, username)
    except (KeycloakError, OSError) as exc:
        log.warning("user directory unavailable", extra={"error": type(exc).__name__})
        raise DirectoryUnavailable() from exc
