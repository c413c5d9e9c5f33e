"""shared.auth.jwks: the one cache of the issuer's keys, against the dev issuer (ADR 0081)."""

from __future__ import annotations

import asyncio
import socket

import httpx
import jwt
import pytest

from shared.auth.jwks import (
    DEFAULT_REFRESH_INTERVAL_S,
    JwksCache,
    JwksSettings,
    JwksUnavailable,
    decode,
)
from shared.auth.roles import API_AUDIENCE
from shared.config import ServiceSettings


def certs(issuer_url: str) -> str:
    return f"{issuer_url}/protocol/openid-connect/certs"


async def test_a_known_kid_is_served_from_the_cache(issuer, tokens):
    kid = jwt.get_unverified_header(await tokens.user("coord-a"))["kid"]
    async with httpx.AsyncClient() as http:
        cache = JwksCache(certs(issuer.issuer_url), http=http)
        first = await cache.key(kid)
        assert first is not None
        assert first.key_type == "RSA"
        assert await cache.key(kid) is first
        assert cache.fetch_count == 1


async def test_an_unknown_kid_refetches_once_per_interval(issuer, tokens):
    kid = jwt.get_unverified_header(await tokens.user("coord-a"))["kid"]
    async with httpx.AsyncClient() as http:
        cache = JwksCache(certs(issuer.issuer_url), http=http, refresh_interval=60)
        assert await cache.key(kid) is not None
        for _ in range(3):
            assert await cache.key("rotated-away") is None
        assert cache.fetch_count == 1
        cache.fetched_at -= 61
        assert await cache.key("rotated-away") is None
        assert cache.fetch_count == 2
        assert await cache.key(kid) is not None  # the known keys are kept


async def test_concurrent_requests_for_a_new_kid_fetch_once(issuer, tokens):
    kid = jwt.get_unverified_header(await tokens.user("coord-a"))["kid"]
    async with httpx.AsyncClient() as http:
        cache = JwksCache(certs(issuer.issuer_url), http=http, refresh_interval=0.001)
        keys = await asyncio.gather(*(cache.key(kid) for _ in range(10)))
        assert all(k is not None for k in keys)
        assert cache.fetch_count == 1  # the others found it fetched once they had the lock


async def test_the_address_may_be_learnt_when_the_keys_are_first_needed(issuer, tokens):
    kid = jwt.get_unverified_header(await tokens.user("coord-a"))["kid"]
    asked: list[str] = []

    async def discover() -> str:
        async with httpx.AsyncClient() as http:
            url = f"{issuer.issuer_url}/.well-known/openid-configuration"
            doc = (await http.get(url)).json()
        asked.append(doc["jwks_uri"])
        return str(doc["jwks_uri"])

    async with httpx.AsyncClient() as http:
        cache = JwksCache(discover, http=http)
        assert asked == []
        assert await cache.key(kid) is not None
        assert len(asked) == 1


async def test_an_unreachable_issuer_is_reported_and_not_asked_again_at_once():
    with socket.socket() as s:  # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    async with httpx.AsyncClient() as http:
        cache = JwksCache(f"http://127.0.0.1:{port}/certs", http=http)
        with pytest.raises(JwksUnavailable):
            await cache.key("any")
        assert await cache.key("any") is None  # within the interval: no second attempt
        assert cache.fetch_count == 0


def test_one_setting_for_the_interval(monkeypatch: pytest.MonkeyPatch) -> None:
    assert JwksSettings().jwks_refresh_interval_s == DEFAULT_REFRESH_INTERVAL_S
    monkeypatch.setenv("JWKS_REFRESH_INTERVAL_S", "15")
    assert JwksSettings().jwks_refresh_interval_s == 15
    assert ServiceSettings(database_url="postgresql://x/y").jwks_refresh_interval_s == 15


async def test_decode_checks_signature_issuer_and_audience(issuer, tokens):
    token = await tokens.user("coord-a")
    async with httpx.AsyncClient() as http:
        key = await JwksCache(certs(issuer.issuer_url), http=http).key(
            jwt.get_unverified_header(token)["kid"]
        )
    assert key is not None
    claims = decode(token, key, audience=API_AUDIENCE, issuer=issuer.issuer_url, leeway=30)
    assert claims["preferred_username"] == "coord-a"
    with pytest.raises(jwt.InvalidAudienceError):
        decode(token, key, audience="someone-else", issuer=issuer.issuer_url, leeway=30)
    with pytest.raises(jwt.InvalidIssuerError):
        decode(token, key, audience=API_AUDIENCE, issuer="http://elsewhere/realms/x", leeway=30)
