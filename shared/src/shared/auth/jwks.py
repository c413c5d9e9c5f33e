"""The one cache of an issuer's signing keys (ADR 0081), for the services' access tokens
(`shared.auth.tokens`) and the web's ID tokens (`web.oidc`).

The keys (RSA, for signing, with a `kid`) are fetched once and again only for a `kid` the cache
does not know, at most once per refresh interval, however many requests ask at the same time:
a token with a made-up `kid` cannot make us hammer the issuer, and a rotated key is picked up
within one interval. The interval is one setting, `JWKS_REFRESH_INTERVAL_S` (`JwksSettings`,
part of the services' and the web's settings).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import jwt
from jwt import PyJWK
from pydantic import Field
from pydantic_settings import BaseSettings

ALGORITHM = "RS256"
DEFAULT_REFRESH_INTERVAL_S = 60.0
REQUIRED_CLAIMS = ["exp", "iat", "iss", "sub", "aud"]


class JwksSettings(BaseSettings):
    jwks_refresh_interval_s: float = Field(
        default=DEFAULT_REFRESH_INTERVAL_S,
        gt=0,
        description="Seconds at least between two fetches of the issuer's keys (JWKS), which "
        "happen only for a key id not yet known (ADR 0081)",
    )


class JwksUnavailable(Exception):
    """The issuer's keys could not be fetched (or read); the message says why."""


class JwksCache:
    def __init__(
        self,
        url: str | Callable[[], Awaitable[str]],
        *,
        http: httpx.AsyncClient,
        refresh_interval: float = DEFAULT_REFRESH_INTERVAL_S,
    ) -> None:
        """`url` is the JWKS document's address, or a coroutine function giving it (the web
        learns it from the issuer's discovery document, asked only when keys are fetched)."""
        self._url = url
        self._http = http
        self.refresh_interval = refresh_interval
        self._keys: dict[str, PyJWK] = {}
        self.fetched_at = float("-inf")  # time.monotonic() of the last attempt
        self.fetch_count = 0  # successful fetches
        self._lock = asyncio.Lock()

    async def key(self, kid: str) -> PyJWK | None:
        """The key with this id; None if the issuer has none by it (as of the last fetch).

        Raises JwksUnavailable when a fetch was due and failed (the keys known before are kept).
        """
        if kid not in self._keys:
            await self._refresh(kid)
        return self._keys.get(kid)

    async def _refresh(self, kid: str) -> None:
        async with self._lock:
            if kid in self._keys:  # fetched while this request waited for the lock
                return
            if time.monotonic() - self.fetched_at < self.refresh_interval:
                return
            self.fetched_at = time.monotonic()
            url = self._url if isinstance(self._url, str) else await self._url()
            try:
                response = await self._http.get(url, timeout=5.0)
                response.raise_for_status()
                self._keys = {
                    jwk["kid"]: PyJWK(jwk, algorithm=ALGORITHM)
                    for jwk in response.json().get("keys", [])
                    if jwk.get("use", "sig") == "sig" and jwk.get("kty") == "RSA" and "kid" in jwk
                }
            except (httpx.HTTPError, ValueError, jwt.PyJWTError) as exc:
                raise JwksUnavailable(str(exc)) from exc
            self.fetch_count += 1


def decode(token: str, key: PyJWK, *, audience: str, issuer: str, leeway: float) -> dict[str, Any]:
    """The token's claims once its RS256 signature by `key`, issuer, audience, expiry and
    not-before (with `leeway` seconds) are checked and the usual claims are there; raises
    jwt.PyJWTError otherwise."""
    claims: dict[str, Any] = jwt.decode(
        token,
        key=key.key,
        algorithms=[ALGORITHM],
        audience=audience,
        issuer=issuer,
        leeway=leeway,
        options={"require": REQUIRED_CLAIMS},
    )
    return claims
