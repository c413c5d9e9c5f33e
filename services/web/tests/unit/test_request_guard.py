"""The web front end, built without shared.runtime.create_app, has the same request guard as the
APIs (ADR 0009): a body above 1 MiB, NUL in a form field or a query, a query or path not in
UTF-8 are refused before the app reads them or calls a service — the refused requests below
reach no backend at all (the app is configured with none that answers)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from shared.guard import DEFAULT_MAX_BODY
from web.bootstrap import create_app
from web.config import WebSettings

WEB = "http://testserver"


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(
        WebSettings(public_url=WEB, oidc_issuer="http://issuer.test/realms/cus", session_secret="s")
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=WEB) as c:
        yield c


def problem(response: httpx.Response, status: int) -> list[tuple[str, str]]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    # The page's security headers are on the refusal too.
    assert response.headers["x-content-type-options"] == "nosniff"
    return [(e["location"], e["field"]) for e in response.json()["errors"]]


async def test_a_form_above_the_limit_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.post("/logout", data={"csrf": "x" * DEFAULT_MAX_BODY})
    assert problem(response, 413) == [("body", "body")]


async def test_nul_in_a_form_field_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.post("/logout", data={"csrf": "a\x00"})
    assert problem(response, 422) == [("body", "csrf")]


@pytest.mark.parametrize(
    ("url", "status", "where"),
    [
        ("/public/basket?teryt=%FF", 400, ("query", "teryt")),
        ("/public/basket?teryt=%00", 422, ("query", "teryt")),
        ("/public/basket/1219%FF053", 400, ("path", "teryt")),
    ],
)
async def test_a_query_or_path_not_in_utf8_or_with_nul_is_refused(
    client: httpx.AsyncClient, url: str, status: int, where: tuple[str, str]
) -> None:
    assert problem(await client.get(url), status) == [where]
