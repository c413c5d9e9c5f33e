"""The demo loader adds and publishes the demo offerings through the real HTTP API, once."""

from __future__ import annotations

import asyncio
import contextlib

import uvicorn

from basket.demo import DEMO_OFFERINGS, WRITER, load_basket
from shared.testing.servers import free_port


async def test_load_basket_adds_the_demo_offerings_once(basket, tokens):
    b = basket
    await b.partners(sorted({(e["tenant"], e["provider"]) for e in DEMO_OFFERINGS}))
    token = {user: await tokens.user(user) for user in set(WRITER.values())}

    port = free_port()
    app = b.client._transport.app  # the app `serve()` already started
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning")
    )
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            await asyncio.sleep(0.02)
        url = f"http://127.0.0.1:{port}"
        ids = await asyncio.to_thread(load_basket, url, token.__getitem__, timeout=10)
        assert len(ids) == len(DEMO_OFFERINGS)
        again = await asyncio.to_thread(load_basket, url, token.__getitem__, timeout=10)
        assert again == ids
    finally:
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await task
    public = (await b.get(None, "/v1/public/1219053/offerings", per_page=100)).json()
    assert public["total"] == sum(1 for e in DEMO_OFFERINGS if e["tenant"] == "1219053")
    served_in_klaj = (await b.get(None, "/v1/public/1219032/offerings", per_page=100)).json()
    titles = {i["title"] for i in served_in_klaj["items"]}
    assert "Szkolenia zawodowe i bony szkoleniowe" in titles  # a district unit serving Kłaj
