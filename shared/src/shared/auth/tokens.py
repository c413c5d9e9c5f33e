"""Validation of Keycloak access tokens.

RS256 only; issuer and audience checked; exp/nbf with a bounded leeway; ID tokens refused. The
issuer's keys are cached (`shared.auth.jwks`) and fetched again only for an unknown `kid`, at most
once per refresh interval, a minute by default (python-keycloak's decode_token would fetch them on
every call and check neither issuer nor audience unless told).
"""

from __future__ import annotations

import logging
from typing import Any

import httpx
import jwt
from jwt import PyJWK

from shared.auth.jwks import (
    ALGORITHM,
    DEFAULT_REFRESH_INTERVAL_S,
    JwksCache,
    JwksUnavailable,
    decode,
)
from shared.auth.principal import Principal

log = logging.getLogger(__name__)

__all__ = ["ALGORITHM", "InvalidToken", "TokenVerifier"]


class InvalidToken(Exception):
    """The token can't be accepted; the message says why (for logs, not for users)."""


class TokenVerifier:
    def __init__(
        self,
        issuer: str,
        audience: str,
        *,
        http: httpx.AsyncClient,
        leeway: float = 30.0,
        refresh_interval: float = DEFAULT_REFRESH_INTERVAL_S,
        jwks_url: str | None = None,
    ) -> None:
        if leeway > 30:
            raise ValueError("leeway above 30 seconds is not allowed")
        self.issuer = issuer.rstrip("/")
        self.audience = audience
        self.leeway = leeway
        self.jwks_url = jwks_url or f"{self.issuer}/protocol/openid-connect/certs"
        self.keys = JwksCache(self.jwks_url, http=http, refresh_interval=refresh_interval)

    @property
    def refresh_interval(self) -> float:
        return self.keys.refresh_interval

    @property
    def fetch_count(self) -> int:
        return self.keys.fetch_count

    @property
    def _fetched_at(self) -> float:
        return self.keys.fetched_at

    @_fetched_at.setter
    def _fetched_at(self, value: float) -> None:
        self.keys.fetched_at = value

    async def _key(self, kid: str) -> PyJWK:
        try:
            key = await self.keys.key(kid)
        except JwksUnavailable as exc:
            log.warning("could not fetch the issuer's keys", extra={"error": str(exc)})
            key = None
        if key is None:
            raise InvalidToken(f"unknown key id {kid!r}")
        return key

    async def verify(self, token: str) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise InvalidToken(f"malformed token: {exc}") from exc
        if header.get("alg") != ALGORITHM:
            raise InvalidToken(f"algorithm {header.get('alg')!r} is not accepted")
        kid = header.get("kid")
        if not kid:
            raise InvalidToken("token has no key id")
        key = await self._key(str(kid))
        try:
            claims = decode(
                token, key, audience=self.audience, issuer=self.issuer, leeway=self.leeway
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(str(exc)) from exc
        # Keycloak marks access tokens typ=Bearer and ID tokens typ=ID.
        if claims.get("typ", "Bearer") != "Bearer":
            raise InvalidToken(f"token of type {claims.get('typ')!r} is not an access token")
        return claims

    async def principal(self, token: str) -> Principal:
        return Principal.from_claims(await self.verify(token))
