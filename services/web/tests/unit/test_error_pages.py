"""Whatever goes wrong, the web answers with its own HTML error page carrying the security
headers: an unexpected error (500), a page address with a bad part (400 / 404)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from web.bootstrap import create_app
from web.config import WebSettings

ISSUER = "http://issuer.test/realms/cus"


async def _boom() -> None:
    raise RuntimeError("a bug")


async def _numbered(n: int) -> dict[str, int]:
    return {"n": n}


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(WebSettings(public_url="http://testserver", oidc_issuer=ISSUER))
    app.add_api_route("/test/boom", _boom)
    app.add_api_route("/test/numbered/{n}", _numbered)
    app.add_api_route("/test/query", _numbered)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


def _is_error_page(response: httpx.Response, status: int, text: str) -> None:
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["cache-control"] == "no-store"
    assert "Wystąpił błąd" in response.text
    assert text in response.text
    assert "a bug" not in response.text


async def test_an_unexpected_error_is_the_error_page_with_the_security_headers(client) -> None:
    _is_error_page(await client.get("/test/boom"), 500, "Wystąpił nieoczekiwany błąd")
    english = await client.get("/test/boom?lang=en")
    assert english.status_code == 500
    assert "Something unexpected went wrong" in english.text


async def test_a_bad_part_of_the_address_is_a_page_not_json(client) -> None:
    _is_error_page(await client.get("/test/numbered/abc"), 404, "Nie znaleziono strony")
    _is_error_page(await client.get("/test/query?n=x"), 400, "nieprawidłowe dane")
