"""Validation of Keycloak access tokens.

RS256 only; issuer and audience checked; exp/nbf with a bounded leeway; ID tokens refused. The
issuer's keys are cached and fetched again only for an unknown `kid`, at most once a minute
(python-keycloak's decode_token would fetch them on every call and check neither issuer nor
audience unless told).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import httpx
import jwt
from jwt import PyJWK

from shared.auth.principal import Principal

log = logging.getLogger(__name__)

ALGORITHM = "RS256"


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
        refresh_interval: float = 60.0,
        jwks_url: str | None = None,
    ) -> None:
        if leeway > 30:
            raise ValueError("leeway above 30 seconds is not allowed")
        self.issuer = issuer.rstrip("/")
        self.audience = audience
        self.leeway = leeway
        self.refresh_interval = refresh_interval
        self.jwks_url = jwks_url or f"{self.issuer}/protocol/openid-connect/certs"
        self._http = http
        self._keys: dict[str, PyJWK] = {}
        self._fetched_at = float("-inf")
        self._lock = asyncio.Lock()
        self.fetch_count = 0

    async def _refresh(self) -> None:
        async with self._lock:
            if time.monotonic() - self._fetched_at < self.refresh_interval:
                return
            self._fetched_at = time.monotonic()
            try:
                response = await self._http.get(self.jwks_url, timeout=5.0)
                response.raise_for_status()
                keys: dict[str, PyJWK] = {}
                for jwk in response.json().get("keys", []):
                    if jwk.get("use", "sig") == "sig" and jwk.get("kty") == "RSA" and "kid" in jwk:
                        keys[jwk["kid"]] = PyJWK(jwk, algorithm=ALGORITHM)
                self._keys = keys
                self.fetch_count += 1
            except (httpx.HTTPError, ValueError, jwt.PyJWTError) as exc:
                log.warning("could not fetch the issuer's keys", extra={"error": str(exc)})

    async def _key(self, kid: str) -> PyJWK:
        if kid not in self._keys:
            await self._refresh()
        key = self._keys.get(kid)
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
            claims: dict[str, Any] = jwt.decode(
                token,
                key=key.key,
                algorithms=[ALGORITHM],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": ["exp", "iat", "iss", "sub", "aud"]},
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(str(exc)) from exc
        # Keycloak marks access tokens typ=Bearer and ID tokens typ=ID.
        if claims.get("typ", "Bearer") != "Bearer":
            raise InvalidToken(f"token of type {claims.get('typ')!r} is not an access token")
        return claims

    async def principal(self, token: str) -> Principal:
        return Principal.from_claims(await self.verify(token))
