"""FastAPI dependencies: the caller's Principal, role checks and tenant checks."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from shared.auth.principal import Principal
from shared.auth.roles import Role
from shared.auth.tokens import InvalidToken, TokenVerifier

log = logging.getLogger(__name__)

_bearer = HTTPBearer(auto_error=False, description="Keycloak access token (realm cus)")

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="cus"'}
_INVALID_TOKEN = {
    "WWW-Authenticate": 'Bearer realm="cus", error="invalid_token", '
    'error_description="The access token is invalid or has expired"'
}


def _verifier(request: Request) -> TokenVerifier:
    verifier: TokenVerifier = request.app.state.token_verifier
    return verifier


async def get_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(401, "Brak tokenu dostępu.", headers=_CHALLENGE)
    try:
        principal = await _verifier(request).principal(credentials.credentials)
    except InvalidToken as exc:
        # The reason quotes the token's own header (alg, kid): it goes to the log, never into
        # WWW-Authenticate, which must stay Latin-1 and free of the caller's quotes.
        log.info("access token refused", extra={"reason": str(exc)[:200]})
        raise HTTPException(
            401, "Token dostępu jest nieprawidłowy lub wygasł.", headers=_INVALID_TOKEN
        ) from exc
    request.state.principal = principal
    return principal


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


def require_role(*roles: Role) -> object:
    """A dependency that lets through only principals holding one of `roles`."""

    async def check(principal: CurrentPrincipal) -> Principal:
        if not principal.has_role(*roles):
            raise HTTPException(403, "Ta operacja wymaga innej roli.")
        return principal

    return Depends(check)


def RequireRole(*roles: Role) -> type[Principal]:
    """`principal: RequireRole(Role.COORDINATOR)` in an endpoint's signature."""
    return Annotated[Principal, require_role(*roles)]  # type: ignore[return-value]
