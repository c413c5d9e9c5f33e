"""The request guard (ADR 0009) in front of an app built like the services' ones: bodies above the
limit get 413 before the app reads them, NUL in any text 422 naming the field, a query or path
not in UTF-8 400 naming the parameter — and the app behind it sees none of those requests. The
OpenAPI document declares the problem media type and OpenID Connect."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from typing import Annotated, Any

import httpx
import pytest
import uvicorn
from fastapi import APIRouter, FastAPI, Form, Query
from pydantic import BaseModel

from shared.auth.deps import CurrentPrincipal
from shared.errors.problems import PROBLEM_RESPONSES, install_problem_handlers
from shared.guard import DRAIN_LIMIT, RequestGuard
from shared.openapi import install_openapi
from shared.paging import Page, Paging

LIMIT = 4096
ISSUER = "http://issuer.test/realms/cus"


class Note(BaseModel):
    title: str
    tags: list[str] = []
    extra: dict[str, Any] = {}


def build() -> tuple[FastAPI, list[Any]]:
    seen: list[Any] = []
    router = APIRouter(prefix="/v1", responses=PROBLEM_RESPONSES)

    @router.post("/notes", status_code=201)
    async def create(note: Note) -> Note:
        seen.append(note)
        return note

    @router.post("/form")
    async def form(name: Annotated[str, Form()]) -> dict[str, str]:
        seen.append(name)
        return {"name": name}

    @router.get("/notes")
    async def search(paging: Paging, search: Annotated[str | None, Query()] = None) -> Page[str]:
        seen.append(search)
        return Page(items=[], total=0, page=paging.page, per_page=paging.per_page)

    @router.get("/notes/{code}")
    async def one(code: str) -> dict[str, str]:
        seen.append(code)
        return {"code": code}

    @router.get("/secret")
    async def secret(principal: CurrentPrincipal) -> dict[str, str]:
        return {"who": principal.subject}

    app = FastAPI(title="test", description="Test.")
    install_problem_handlers(app)
    install_openapi(app, issuer=ISSUER)
    app.add_middleware(RequestGuard, max_body=LIMIT)
    app.include_router(router)
    return app, seen


@pytest.fixture
async def service() -> AsyncIterator[tuple[httpx.AsyncClient, list[Any]]]:
    app, seen = build()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
        yield client, seen


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


def fields(body: dict[str, Any]) -> list[tuple[str, str]]:
    return [(e["location"], e["field"]) for e in body["errors"]]


async def test_a_body_above_the_limit_is_refused_from_its_content_length(service: Any) -> None:
    client, seen = service
    big = {"title": "x" * LIMIT}
    body = problem(await client.post("/v1/notes", json=big), 413)
    assert body["title"] == "Zbyt duża treść żądania"
    assert str(LIMIT) in body["detail"]
    assert fields(body) == [("body", "body")]
    assert seen == []


async def test_a_chunked_body_is_counted_as_it_streams(service: Any) -> None:
    client, seen = service
    sent: list[int] = []

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"title": "'
        for _ in range(40):  # 40 MiB: past the limit only DRAIN_LIMIT more is read and dropped
            sent.append(1)
            yield b"x" * (1024 * 1024)
        yield b'"}'

    response = await client.post(
        "/v1/notes", content=chunks(), headers={"content-type": "application/json"}
    )
    problem(response, 413)
    assert seen == []
    assert len(sent) <= DRAIN_LIMIT // (1024 * 1024) + 2

    async def small() -> AsyncIterator[bytes]:
        yield b'{"title": "'
        yield b"chunked"
        yield b'"}'

    ok = await client.post(
        "/v1/notes", content=small(), headers={"content-type": "application/json"}
    )
    assert ok.status_code == 201, ok.text
    assert ok.json()["title"] == "chunked"


async def test_a_body_at_the_limit_is_read(service: Any) -> None:
    client, seen = service
    title = "x" * (LIMIT - len('{"title":""}'))
    response = await client.post(
        "/v1/notes",
        content=f'{{"title":"{title}"}}'.encode(),
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 201, response.text
    assert len(seen) == 1


@pytest.mark.parametrize(
    ("document", "field"),
    [
        ({"title": "a\x00b"}, "title"),
        ({"title": "ok", "tags": ["fine", "\x00"]}, "tags.1"),
        ({"title": "ok", "extra": {"deep": {"x": "\x00"}}}, "extra.deep.x"),
        ({"title": "ok", "extra": {"k\x00": 1}}, "extra.k\\u0000"),
    ],
)
async def test_nul_in_any_json_text_is_refused_naming_the_field(
    service: Any, document: dict[str, Any], field: str
) -> None:
    client, seen = service
    body = problem(await client.post("/v1/notes", json=document), 422)
    assert fields(body) == [("body", field)]
    assert body["errors"][0]["code"] == "null_character"
    assert seen == []


async def test_an_escaped_backslash_before_u0000_is_no_nul(service: Any) -> None:
    client, seen = service
    response = await client.post(
        "/v1/notes",
        content=b'{"title": "C:\\\\u0000"}',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 201, response.text
    assert seen[0].title == "C:\\u0000"


async def test_nul_in_a_form_field_is_refused(service: Any) -> None:
    client, seen = service
    body = problem(await client.post("/v1/form", data={"name": "a\x00"}), 422)
    assert fields(body) == [("body", "name")]
    assert (await client.post("/v1/form", data={"name": "Zażółć"})).json() == {"name": "Zażółć"}
    assert seen == ["Zażółć"]


async def test_nul_in_a_query_or_path_parameter_is_refused(service: Any) -> None:
    client, seen = service
    body = problem(await client.get("/v1/notes?search=a%00b"), 422)
    assert fields(body) == [("query", "search")]
    body = problem(await client.get("/v1/notes/ab%00c"), 422)
    assert fields(body) == [("path", "code")]
    assert seen == []


async def test_a_query_or_path_not_in_utf8_is_refused_naming_the_parameter(service: Any) -> None:
    client, seen = service
    body = problem(await client.get("/v1/notes?page=1&search=%FF"), 400)
    assert fields(body) == [("query", "search")]
    assert body["errors"][0]["code"] == "invalid_utf8"
    body = problem(await client.get("/v1/notes/%C3%28"), 400)
    assert fields(body) == [("path", "code")]
    assert seen == []
    # Polish letters, percent-encoded in UTF-8, pass.
    ok = await client.get("/v1/notes?search=%C5%BC%C3%B3%C5%82w")
    assert ok.status_code == 200, ok.text
    assert (await client.get("/v1/notes/%C5%BC")).json() == {"code": "ż"}
    assert seen == ["żółw", "ż"]


@pytest.mark.parametrize(
    "query", ["page=0", "page=10001", f"page={2**63}", "per_page=0", "per_page=201"]
)
async def test_paging_is_bounded(service: Any, query: str) -> None:
    client, _ = service
    body = problem(await client.get(f"/v1/notes?{query}"), 422)
    assert fields(body) == [("query", query.split("=")[0])]


async def test_the_openapi_document_declares_problems_and_openid_connect(service: Any) -> None:
    client, _ = service
    document = (await client.get("/openapi.json")).json()
    assert document["components"]["securitySchemes"] == {
        "oidc": {
            "type": "openIdConnect",
            "openIdConnectUrl": f"{ISSUER}/.well-known/openid-configuration",
            "description": document["components"]["securitySchemes"]["oidc"]["description"],
        }
    }
    assert document["paths"]["/v1/secret"]["get"]["security"] == [{"oidc": []}]
    for path, item in document["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            assert "400" in responses, (path, method)
            assert ("413" in responses) == ("requestBody" in operation), (path, method)
            for status, response in responses.items():
                if status.startswith(("4", "5")):
                    assert list(response["content"]) == ["application/problem+json"], (
                        path,
                        method,
                        status,
                    )
                    schema = response["content"]["application/problem+json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/Problem"}
    assert "HTTPValidationError" not in document["components"]["schemas"]
    assert document["components"]["schemas"]["Problem"]["properties"]["errors"]


@pytest.mark.parametrize("http", ["h11", "httptools"])
async def test_a_client_still_sending_gets_the_413_from_a_real_server(http: str) -> None:
    """The guard answers before the body is read: under uvicorn the rest of a body up to
    DRAIN_LIMIT is dropped so that the client gets to read the answer, and a larger one gets it
    with the connection closed — never a client stuck sending."""
    app, seen = build()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    server = uvicorn.Server(uvicorn.Config(app, http=http, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        async with asyncio.timeout(10):
            while not server.started:
                await asyncio.sleep(0.01)
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        async with httpx.AsyncClient(base_url=url, timeout=20) as client:
            for size in (3 * LIMIT, DRAIN_LIMIT + 4 * 1024 * 1024):
                body = b'{"title": "' + b"x" * size + b'"}'
                response = await client.post(
                    "/v1/notes", content=body, headers={"content-type": "application/json"}
                )
                problem(response, 413)

            async def chunks() -> AsyncIterator[bytes]:
                for _ in range(64):
                    yield b" " * LIMIT

            response = await client.post(
                "/v1/notes", content=chunks(), headers={"content-type": "application/json"}
            )
            problem(response, 413)
            ok = await client.post("/v1/notes", json={"title": "po odmowie"})
            assert ok.status_code == 201, ok.text
        assert [note.title for note in seen] == ["po odmowie"]
    finally:
        server.should_exit = True
        await task


async def test_a_parameter_the_app_checks_itself_is_let_through() -> None:
    """The web's `next` is made safe by the sign-in (anything else: the start page): a NUL or a
    byte not in UTF-8 there must not stop the request; other parameters are still checked."""
    app = FastAPI()

    @app.get("/login")
    async def login(next: str = "/", other: str = "") -> dict[str, str]:
        return {"next": next, "other": other}

    app.add_middleware(RequestGuard, own_query_checks=frozenset({"next"}))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://web") as client:
        for query in ("next=/x%00y", "next=/%FF"):
            response = await client.get(f"/login?{query}")
            assert response.status_code == 200, (query, response.text)
        body = problem(await client.get("/login?next=/&other=a%00b"), 422)
        assert fields(body) == [("query", "other")]
