"""/readyz answers 503 while a dependency the service cannot work without is down, and says which;
NATS is required by a service that consumes events, only reported by a producer (ADR 0014)."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from shared.config import ServiceSettings
from shared.runtime import build_runtime, create_app
from shared.testing.plugin import serve
from shared.testing.servers import NatsServer


async def _until(
    client: httpx.AsyncClient, status: int, nats: str, timeout: float = 15.0
) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while True:
        response = await client.get("/readyz")
        if response.status_code == status and response.json()["nats"] == nats:
            return response
        assert time.monotonic() < deadline, f"/readyz still {response.status_code}: {response.text}"
        await asyncio.sleep(0.05)


@pytest.mark.parametrize("requires_nats", [True, False])
async def test_readyz_while_nats_is_down(
    postgres_url: str, own_nats: NatsServer, requires_nats: bool
) -> None:
    settings = ServiceSettings(database_url=postgres_url, nats_url=own_nats.url)
    runtime = build_runtime("evaluation", settings, publishes=False, requires_nats=requires_nats)
    app = create_app(runtime, title="t", description="t", routers=[])
    async with serve(app, runtime) as client:
        ready = (await _until(client, 200, "ok")).json()
        assert ready == {"status": "ready", "database": "ok", "nats": "ok", "degraded": []}

        own_nats.stop()
        if requires_nats:
            response = await _until(client, 503, "down")
            assert response.headers["content-type"] == "application/problem+json"
            assert "retry-after" in response.headers
            body = response.json()
            assert body["title"] == "Usługa chwilowo niedostępna"
            assert "NATS" in body["detail"]
            assert (body["database"], body["nats"]) == ("ok", "down")
        else:
            response = await _until(client, 200, "down")
            assert response.json()["degraded"] == ["nats"]

        own_nats.start()  # the same port: the broker reconnects
        await _until(client, 200, "ok")


async def test_readyz_while_the_database_is_down(nats_url: str) -> None:
    settings = ServiceSettings(
        database_url="postgresql://postgres@127.0.0.1:1/none", nats_url=nats_url
    )
    runtime = build_runtime("evaluation", settings, publishes=False, requires_nats=False)
    app = create_app(runtime, title="t", description="t", routers=[])
    async with serve(app, runtime) as client:
        response = await client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert (body["database"], body["nats"]) == ("down", "ok")
    assert body["detail"] == "Niedostępne: baza danych."
