"""`Cache-Control: no-store` on every answer of an app wired like the services' (issue 13 §3):
data, problem details of the handlers (401, 404, 405, 422, a domain error, 500), the request
guard's refusals (400, 413, 422) — and a route that sets a public cache header on purpose keeps
its own."""

from __future__ import annotations

from typing import Annotated

import httpx
import pytest
from fastapi import APIRouter, FastAPI, Query, Response

from shared.auth.deps import CurrentPrincipal
from shared.caching import NoStoreByDefault
from shared.errors import Conflict
from shared.errors.problems import PROBLEM_RESPONSES, install_problem_handlers
from shared.guard import RequestGuard


def build() -> FastAPI:
    router = APIRouter(prefix="/v1", responses=PROBLEM_RESPONSES)

    @router.get("/family")
    async def family() -> dict[str, str]:
        return {"name": "Anastazja"}

    @router.post("/notes")
    async def note(body: dict[str, str]) -> dict[str, str]:
        return body

    @router.get("/public")
    async def public(response: Response) -> list[str]:
        response.headers["Cache-Control"] = "public, max-age=300"
        return ["gmina"]

    @router.get("/search")
    async def search(page: Annotated[int, Query(ge=1)] = 1) -> list[int]:
        return [page]

    @router.get("/secret")
    async def secret(principal: CurrentPrincipal) -> dict[str, str]:
        return {"who": principal.username}

    @router.get("/conflict")
    async def conflict() -> None:
        raise Conflict("Nie teraz.")

    @router.get("/broken")
    async def broken() -> None:
        raise RuntimeError("boom")

    app = FastAPI()
    install_problem_handlers(app)
    app.add_middleware(RequestGuard, max_body=64)
    app.add_middleware(NoStoreByDefault)
    app.include_router(router)
    return app


@pytest.fixture
async def client() -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=build(), raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://service.test")


@pytest.mark.parametrize(
    ("method", "path", "kw", "status"),
    [
        ("GET", "/v1/family", {}, 200),
        ("GET", "/v1/search?page=0", {}, 422),
        ("GET", "/v1/secret", {}, 401),
        ("GET", "/v1/nothing-here", {}, 404),
        ("DELETE", "/v1/family", {}, 405),
        ("GET", "/v1/conflict", {}, 409),
        ("GET", "/v1/broken", {}, 500),
        ("GET", "/v1/search?q=%FF", {}, 400),  # the guard: not UTF-8
        ("POST", "/v1/notes", {"json": {"t": "x" * 100}}, 413),  # the guard: above the limit
        ("POST", "/v1/notes", {"json": {"t": "a\u0000"}}, 422),  # the guard: NUL
        ("GET", "/docs", {}, 200),
    ],
)
async def test_every_answer_says_no_store(client, method, path, kw, status):
    async with client:
        response = await client.request(method, path, **kw)
    assert response.status_code == status, response.text
    assert response.headers["cache-control"] == "no-store"
    if status >= 400:
        assert response.headers["content-type"] == "application/problem+json"


async def test_a_route_that_sets_a_public_cache_header_keeps_it(client):
    async with client:
        response = await client.get("/v1/public")
    assert response.headers["cache-control"] == "public, max-age=300"
