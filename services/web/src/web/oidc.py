"""OpenID Connect relying party (authorization code flow with PKCE S256, confidential client).

Plain httpx and PyJWT, both already in the platform: the flow is four HTTP calls, and doing them
here keeps the tokens in our server-side session rather than in a framework's cookie (ADR 0050).
"""

from __future__ import annotations

import base64
import hashlib
import logging
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

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
from web.sessions import PendingLogin, Tokens, same

log = logging.getLogger(__name__)

LEEWAY_S = 30


class OidcError(Exception):
    """The sign-in or a token refresh failed; the message is for logs, not for users."""


@dataclass(frozen=True)
class Metadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    end_session_endpoint: str | None


def pkce_challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class OidcClient:
    def __init__(
        self,
        issuer: str,
        client_id: str,
        client_secret: str,
        redirect_uri: str,
        *,
        http: httpx.AsyncClient,
        scope: str = "openid",
        jwks_refresh_interval: float = DEFAULT_REFRESH_INTERVAL_S,
    ) -> None:
        self.issuer = issuer.rstrip("/")
        self.client_id = client_id
        self.client_secret = client_secret
        self.redirect_uri = redirect_uri
        self.scope = scope
        self._http = http
        self._metadata: Metadata | None = None
        self._jwks = JwksCache(self._jwks_uri, http=http, refresh_interval=jwks_refresh_interval)

    async def _jwks_uri(self) -> str:
        return (await self.metadata()).jwks_uri

    async def metadata(self) -> Metadata:
        if self._metadata is None:
            url = f"{self.issuer}/.well-known/openid-configuration"
            try:
                response = await self._http.get(url, timeout=5.0)
                response.raise_for_status()
                doc = response.json()
            except (httpx.HTTPError, ValueError) as exc:
                raise OidcError(f"discovery failed: {exc}") from exc
            if str(doc.get("issuer", "")).rstrip("/") != self.issuer:
                raise OidcError(f"discovery names another issuer: {doc.get('issuer')!r}")
            self._metadata = Metadata(
                issuer=doc["issuer"],
                authorization_endpoint=doc["authorization_endpoint"],
                token_endpoint=doc["token_endpoint"],
                jwks_uri=doc["jwks_uri"],
                end_session_endpoint=doc.get("end_session_endpoint"),
            )
        return self._metadata

    # --- sign-in ---------------------------------------------------------------------------------

    async def start_login(self, return_to: str) -> tuple[str, PendingLogin]:
        """The issuer URL to send the browser to, and what to remember until it comes back."""
        meta = await self.metadata()
        pending = PendingLogin(
            state=secrets.token_urlsafe(32),
            nonce=secrets.token_urlsafe(32),
            code_verifier=secrets.token_urlsafe(64),
            return_to=return_to,
        )
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self.client_id,
                "redirect_uri": self.redirect_uri,
                "scope": self.scope,
                "state": pending.state,
                "nonce": pending.nonce,
                "code_challenge": pkce_challenge(pending.code_verifier),
                "code_challenge_method": "S256",
            }
        )
        return f"{meta.authorization_endpoint}?{query}", pending

    async def exchange_code(self, code: str, pending: PendingLogin) -> Tokens:
        tokens = await self._token_request(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": self.redirect_uri,
                "code_verifier": pending.code_verifier,
            }
        )
        await self.validate_id_token(tokens.id_token, nonce=pending.nonce)
        return tokens

    async def refresh(self, tokens: Tokens) -> Tokens:
        if not tokens.refresh_token:
            raise OidcError("no refresh token")
        fresh = await self._token_request(
            {"grant_type": "refresh_token", "refresh_token": tokens.refresh_token}
        )
        if not fresh.id_token:
            fresh.id_token = tokens.id_token
        if not fresh.refresh_token:
            fresh.refresh_token = tokens.refresh_token
        return fresh

    async def _token_request(self, form: dict[str, str]) -> Tokens:
        meta = await self.metadata()
        try:
            response = await self._http.post(
                meta.token_endpoint,
                data=form,
                auth=(self.client_id, self.client_secret),
                headers={"Accept": "application/json"},
                timeout=10.0,
            )
        except httpx.HTTPError as exc:
            raise OidcError(f"token endpoint unreachable: {exc}") from exc
        if response.status_code != 200:
            status, text = response.status_code, response.text[:200]
            raise OidcError(f"token endpoint answered {status}: {text}")
        body: dict[str, Any] = response.json()
        if str(body.get("token_type", "")).lower() != "bearer" or "access_token" not in body:
            raise OidcError("token response without a bearer access token")
        now = time.time()
        refresh_in = body.get("refresh_expires_in")
        return Tokens(
            access_token=str(body["access_token"]),
            refresh_token=body.get("refresh_token"),
            id_token=str(body.get("id_token") or ""),
            expires_at=now + float(body.get("expires_in", 60)),
            refresh_expires_at=now + float(refresh_in) if refresh_in else None,
        )

    # --- ID token --------------------------------------------------------------------------------

    async def _key(self, kid: str) -> PyJWK:
        try:
            key = await self._jwks.key(kid)
        except JwksUnavailable as exc:
            raise OidcError(f"could not fetch the issuer's keys: {exc}") from exc
        if key is None:
            raise OidcError(f"unknown key id {kid!r}")
        return key

    async def validate_id_token(self, id_token: str, *, nonce: str) -> dict[str, Any]:
        """Signature (RS256, the issuer's key), issuer, audience = this client, expiry, nonce."""
        if not id_token:
            raise OidcError("no ID token in the token response")
        try:
            header = jwt.get_unverified_header(id_token)
        except jwt.PyJWTError as exc:
            raise OidcError(f"malformed ID token: {exc}") from exc
        if header.get("alg") != ALGORITHM or not header.get("kid"):
            raise OidcError(f"ID token algorithm {header.get('alg')!r} or key id not accepted")
        key = await self._key(str(header["kid"]))
        meta = await self.metadata()
        try:
            claims = decode(
                id_token, key, audience=self.client_id, issuer=meta.issuer, leeway=LEEWAY_S
            )
        except jwt.PyJWTError as exc:
            raise OidcError(f"ID token rejected: {exc}") from exc
        if not same(str(claims.get("nonce", "")), nonce):
            raise OidcError("ID token nonce does not match")
        azp = claims.get("azp")
        if azp is not None and azp != self.client_id:
            raise OidcError(f"ID token issued to another party: {azp!r}")
        return claims

    # --- sign-out --------------------------------------------------------------------------------

    async def end_session_url(self, id_token: str | None, post_logout_redirect_uri: str) -> str:
        meta = await self.metadata()
        if meta.end_session_endpoint is None:
            return post_logout_redirect_uri
        params = {"client_id": self.client_id, "post_logout_redirect_uri": post_logout_redirect_uri}
        if id_token:
            params["id_token_hint"] = id_token
        return f"{meta.end_session_endpoint}?{urlencode(params)}"
