"""The backend-for-frontend's sign-in, CSRF and sign-out against a fake issuer (httpx mock):
PKCE and nonce, ID token checks, session id rotation, token refresh, security headers."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.routing import APIRoute
from jwt.algorithms import RSAAlgorithm

from web.bootstrap import ROUTERS, create_app
from web.config import WebSettings
from web.sessions import MemorySessionStore

ISSUER = "http://issuer.test/realms/cus"
WEB = "http://testserver"
KID = "test-key"


@dataclass
class FakeIssuer:
    """Answers discovery, JWKS and the token endpoint like the dev issuer / Keycloak would."""

    key: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )
    challenges: dict[str, str] = field(default_factory=dict)  # code -> (challenge, nonce)
    nonces: dict[str, str] = field(default_factory=dict)
    id_token_overrides: dict[str, Any] = field(default_factory=dict)
    expires_in: int = 300
    refreshed: int = 0

    def sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": KID})

    def tokens(self, nonce: str | None) -> dict[str, Any]:
        now = int(time.time())
        access = self.sign(
            {
                "iss": ISSUER,
                "aud": "cus-api",
                "sub": "u-1",
                "typ": "Bearer",
                "azp": "cus-web",
                "iat": now,
                "exp": now + self.expires_in,
                "preferred_username": "coord-a",
                "name": "Anna Kowalska",
                "realm_access": {"roles": ["coordinator"]},
                "tenants": ["1219053"],
            }
        )
        id_claims = {
            "iss": ISSUER,
            "aud": "cus-web",
            "sub": "u-1",
            "typ": "ID",
            "azp": "cus-web",
            "iat": now,
            "exp": now + 300,
            "nonce": nonce,
            **self.id_token_overrides,
        }
        return {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
            "refresh_token": f"refresh-{uuid.uuid4()}",
            "id_token": self.sign({k: v for k, v in id_claims.items() if v is not None}),
        }

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.endswith("/.well-known/openid-configuration"):
            base = f"{ISSUER}/protocol/openid-connect"
            return httpx.Response(
                200,
                json={
                    "issuer": ISSUER,
                    "authorization_endpoint": f"{base}/auth",
                    "token_endpoint": f"{base}/token",
                    "jwks_uri": f"{base}/certs",
                    "end_session_endpoint": f"{base}/logout",
                },
            )
        if path.endswith("/certs"):
            jwk = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
            return httpx.Response(200, json={"keys": [{**jwk, "kid": KID, "use": "sig"}]})
        if path.startswith("/v1/"):  # the partners service, down
            raise httpx.ConnectError("connection refused", request=request)
        if path.endswith("/token"):
            auth = base64.b64decode(request.headers["Authorization"].split()[1]).decode()
            assert auth == "cus-web:cus-web-dev-secret"
            form = parse_qs(request.content.decode())
            if form["grant_type"] == ["refresh_token"]:
                self.refreshed += 1
                body = self.tokens(None)
                del body["id_token"]
                return httpx.Response(200, json=body)
            code = form["code"][0]
            verifier = form["code_verifier"][0].encode()
            digest = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=")
            if digest.decode() != self.challenges.get(code):
                return httpx.Response(400, json={"error": "invalid_grant"})
            return httpx.Response(200, json=self.tokens(self.nonces[code]))
        return httpx.Response(404)


@dataclass
class Harness:
    client: httpx.AsyncClient
    issuer: FakeIssuer
    store: MemorySessionStore

    async def sign_in(self) -> httpx.Response:
        start = await self.client.get("/login?next=/institutions")
        assert start.status_code == 302
        query = parse_qs(urlsplit(start.headers["location"]).query)
        code = "code-1"
        self.issuer.challenges[code] = query["code_challenge"][0]
        self.issuer.nonces[code] = query["nonce"][0]
        return await self.client.get(f"/auth/callback?code={code}&state={query['state'][0]}")

    async def csrf(self) -> str:
        page = await self.client.get("/")
        marker = 'name="csrf_token" value="'
        start = page.text.index(marker) + len(marker)
        return page.text[start : page.text.index('"', start)]


@pytest.fixture
async def harness() -> AsyncIterator[Harness]:
    issuer = FakeIssuer()
    store = MemorySessionStore(idle=600, max_age=3600)
    app = create_app(
        WebSettings(public_url=WEB, oidc_issuer=ISSUER, session_secret="s"),
        store=store,
        http=httpx.AsyncClient(transport=httpx.MockTransport(issuer)),
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=WEB) as client:
        yield Harness(client, issuer, store)


async def test_sign_in_uses_pkce_state_and_nonce_and_rotates_the_session(harness: Harness) -> None:
    start = await harness.client.get("/login?next=/institutions")
    location = urlsplit(start.headers["location"])
    query = parse_qs(location.query)
    assert f"{location.scheme}://{location.netloc}{location.path}".endswith("/openid-connect/auth")
    assert query["code_challenge_method"] == ["S256"]
    assert query["client_id"] == ["cus-web"]
    assert query["redirect_uri"] == [f"{WEB}/auth/callback"]
    assert len(query["state"][0]) >= 32
    assert len(query["nonce"][0]) >= 32
    cookie = start.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Secure" not in cookie
    before = harness.client.cookies["cus_session"]

    harness.issuer.challenges["c"] = query["code_challenge"][0]
    harness.issuer.nonces["c"] = query["nonce"][0]
    callback = await harness.client.get(f"/auth/callback?code=c&state={query['state'][0]}")
    assert callback.status_code == 303
    assert callback.headers["location"] == "/institutions"
    assert harness.client.cookies["cus_session"] != before  # no session fixation
    assert len(harness.store) == 1
    home = await harness.client.get("/", follow_redirects=False)
    assert "Anna Kowalska" in home.text
    assert "access_token" not in home.text
    assert "eyJ" not in home.text


async def test_a_wrong_state_or_nonce_or_audience_is_refused(harness: Harness) -> None:
    start = await harness.client.get("/login")
    query = parse_qs(urlsplit(start.headers["location"]).query)
    wrong_state = await harness.client.get("/auth/callback?code=c&state=forged")
    assert wrong_state.status_code == 400

    harness.issuer.challenges["c"] = query["code_challenge"][0]
    harness.issuer.nonces["c"] = "another nonce"
    wrong_nonce = await harness.client.get(f"/auth/callback?code=c&state={query['state'][0]}")
    assert wrong_nonce.status_code == 400

    start = await harness.client.get("/login")
    query = parse_qs(urlsplit(start.headers["location"]).query)
    harness.issuer.challenges["d"] = query["code_challenge"][0]
    harness.issuer.nonces["d"] = query["nonce"][0]
    harness.issuer.id_token_overrides = {"aud": "another-client"}
    wrong_audience = await harness.client.get(f"/auth/callback?code=d&state={query['state'][0]}")
    assert wrong_audience.status_code == 400
    assert "Anna" not in (await harness.client.get("/")).text


async def test_every_post_needs_the_sessions_csrf_token(harness: Harness) -> None:
    assert (await harness.sign_in()).status_code == 303
    token = await harness.csrf()
    body = {"name": "Szkoła Podstawowa nr 2", "sector": "education"}
    without = await harness.client.post("/institutions/new", data=body)
    assert without.status_code == 403
    wrong = await harness.client.post("/institutions/new", data={**body, "csrf_token": "x"})
    assert wrong.status_code == 403
    header_wrong = await harness.client.post("/logout", headers={"X-CSRF-Token": "x"})
    assert header_wrong.status_code == 403

    logout = await harness.client.post("/logout", data={"csrf_token": token})
    assert logout.status_code == 303
    end = urlsplit(logout.headers["location"])
    params = parse_qs(end.query)
    assert end.path.endswith("/protocol/openid-connect/logout")
    assert params["post_logout_redirect_uri"] == [f"{WEB}/signed-out"]
    assert params["id_token_hint"][0].count(".") == 2
    assert len(harness.store) == 0
    again = await harness.client.get("/institutions")
    assert again.status_code == 303
    assert again.headers["location"] == "/login?next=/institutions"


async def test_an_expiring_access_token_is_refreshed(harness: Harness) -> None:
    harness.issuer.expires_in = 10  # inside the refresh margin
    await harness.sign_in()
    await harness.client.get("/")
    assert harness.issuer.refreshed == 1


async def test_security_headers_and_language(harness: Harness) -> None:
    page = await harness.client.get("/?lang=en")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert "form-action 'self' http://issuer.test" in csp
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert "camera=()" in page.headers["permissions-policy"]
    assert page.headers["cache-control"] == "no-store"
    assert '<html lang="en">' in page.text
    assert "Sign in" in page.text
    assert harness.client.cookies["cus_lang"] == "en"
    again = await harness.client.get("/")
    assert '<html lang="en">' in again.text
    assert "<script>" not in again.text
    assert " style=" not in again.text


def test_cookies_are_secure_behind_https() -> None:
    app = create_app(WebSettings(public_url="https://cus.example.gov.pl", oidc_issuer=ISSUER))
    assert app.state.web.cookie_name == "__Host-cus_session"
    assert app.state.web.settings.secure_cookies


async def test_a_service_that_is_down_gives_a_page_that_says_so(harness: Harness) -> None:
    await harness.sign_in()
    page = await harness.client.get("/institutions")
    assert page.status_code == 503
    assert "Usługa jest chwilowo niedostępna" in page.text


async def test_no_route_that_changes_something_goes_without_the_csrf_check(
    harness: Harness,
) -> None:
    await harness.sign_in()
    unsafe = [
        (method, route.path)
        for router in ROUTERS
        for route in router.routes
        if isinstance(route, APIRoute)
        for method in route.methods
        if method not in ("GET", "HEAD", "OPTIONS")
    ]
    assert len(unsafe) >= 7
    for method, path in unsafe:
        url = re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path)
        response = await harness.client.request(method, url, data={"name": "x"})
        assert response.status_code == 403, (method, path)
