"""Keycloak access-token validation and the Principal. FastAPI dependencies live in
`shared.auth.deps`, so that plain code can use the Principal without importing a web framework."""

from shared.auth.principal import Principal
from shared.auth.roles import API_AUDIENCE, Role
from shared.auth.tokens import InvalidToken, TokenVerifier

__all__ = ["API_AUDIENCE", "InvalidToken", "Principal", "Role", "TokenVerifier"]
