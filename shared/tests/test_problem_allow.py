"""A 405 names in `Allow` every method the path has, not only the first route's (found by
schemathesis' allow_header_conformance check: a path with GET and POST answered `Allow: GET`)."""

from __future__ import annotations

import uuid

import httpx
from fastapi import APIRouter, FastAPI

from shared.errors.problems import MEDIA_TYPE, install_problem_handlers


def _app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    router = APIRouter(prefix="/v1")

    @router.get("/things")
    async def list_things() -> list[str]:
        return []

    @router.post("/things")
    async def add_thing() -> str:
        return "x"

    @router.get("/things/stale")
    async def stale_things() -> list[str]:
        return []

    @router.get("/things/{thing_id:uuid}")
    async def get_thing(thing_id: uuid.UUID) -> str:
        return str(thing_id)

    @router.patch("/things/{thing_id:uuid}")
    async def change_thing(thing_id: uuid.UUID) -> str:
        return str(thing_id)

    app.include_router(router)
    return app


async def test_405_allow_names_every_method_of_the_path() -> None:
    transport = httpx.ASGITransport(app=_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        collection = await client.request("OPTIONS", "/v1/things")
        item = await client.delete(f"/v1/things/{uuid.uuid4()}")
        stale = await client.patch("/v1/things/stale")
        served = await client.post("/v1/things")
    assert collection.status_code == 405
    assert collection.headers["allow"] == "GET, POST"
    assert collection.headers["content-type"] == MEDIA_TYPE
    assert item.status_code == 405
    assert item.headers["allow"] == "GET, PATCH"
    assert stale.status_code == 405
    assert stale.headers["allow"] == "GET"  # the route's convertor: "stale" is no thing id
    assert served.status_code == 200
