"""Fixtures of the evaluation service tests: the service running in-process against a NATS server
of its own and a fresh database, fed with the scripted history of `history.py`."""

from __future__ import annotations

import asyncio
import importlib.util
import random
import sys
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import nats
import pytest

from evaluation.bootstrap import bootstrap
from evaluation.config import EvaluationSettings
from shared import clock
from shared.contracts import CloudEvent
from shared.messaging import ConsumerStats
from shared.runtime import Runtime
from shared.testing.issuer import RunningIssuer
from shared.testing.plugin import Databases, Tokens, serve
from shared.testing.servers import NatsServer


def _load_history() -> ModuleType:
    name = "evaluation_tests_history"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, Path(__file__).parent / "history.py")
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


history = _load_history()


@pytest.fixture(scope="session")
def scripted() -> list[CloudEvent]:
    return list(history.build(clock.today()))


async def publish(url: str, events: list[CloudEvent], *, fresh_ids: bool = False) -> None:
    """Publish events as the producers' relays do (`Nats-Msg-Id` = event id); `fresh_ids` gives
    each copy another message id, as a re-publication after the duplicate window would."""
    nc = await nats.connect(url)
    js = nc.jetstream()
    acks = []
    for event in events:
        msg_id = f"{event.id}-{uuid.uuid4()}" if fresh_ids else str(event.id)
        acks.append(
            await js.publish_async(
                event.type, event.model_dump_json().encode(), headers={"Nats-Msg-Id": msg_id}
            )
        )
    await asyncio.gather(*acks)
    await nc.close()


@dataclass
class Evaluation:
    client: httpx.AsyncClient
    runtime: Runtime
    stats: dict[str, ConsumerStats]
    tokens: Tokens
    nats_url: str

    def seen(self) -> int:
        return sum(s.applied + s.duplicates for s in self.stats.values())

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 20.0) -> None:
        async with asyncio.timeout(timeout):
            while not predicate():
                await asyncio.sleep(0.02)

    async def feed(self, events: list[CloudEvent], *, fresh_ids: bool = False) -> None:
        before = self.seen()
        await publish(self.nats_url, events, fresh_ids=fresh_ids)
        await self.wait_for(lambda: self.seen() >= before + len(events))

    async def get(self, user: str | None, url: str, **params: Any) -> httpx.Response:
        headers = await self.tokens.headers(user) if user else {}
        return await self.client.get(url, params=params, headers=headers)

    async def post(self, user: str | None, url: str, json: object) -> httpx.Response:
        headers = await self.tokens.headers(user) if user else {}
        return await self.client.post(url, json=json, headers=headers)


@pytest.fixture(scope="session")
async def evaluation(
    databases: Databases,
    issuer: RunningIssuer,
    tokens: Tokens,
    scripted: list[CloudEvent],
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[Evaluation]:
    """The service with the scripted history applied (published in a shuffled order)."""
    server = NatsServer(tmp_path_factory.mktemp("eval-nats")).start()
    settings = EvaluationSettings(
        database_url=await databases.create("evaluation"),
        nats_url=server.url,
        oidc_issuer=issuer.issuer_url,
        db_pool_size=4,
    )
    app, runtime, stats = bootstrap(settings)
    try:
        async with serve(app, runtime) as client:
            service = Evaluation(client, runtime, stats, tokens, server.url)
            events = list(scripted)
            random.Random(7).shuffle(events)
            await service.feed(events)
            yield service
    finally:
        server.stop()


@pytest.fixture(scope="session")
def support() -> ModuleType:
    """history.py: the scripted history and helpers to read a disclosed report."""
    return history


@pytest.fixture(scope="module")
async def own_evaluation(
    databases: Databases,
    issuer: RunningIssuer,
    tokens: Tokens,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[Evaluation]:
    """The service on a NATS server and a database of its own, fed nothing: for tests that
    purge its streams. Yielded once its start-up snapshot (of the empty read models) is taken."""
    server = NatsServer(tmp_path_factory.mktemp("own-eval-nats")).start()
    settings = EvaluationSettings(
        database_url=await databases.create("evaluation"),
        nats_url=server.url,
        oidc_issuer=issuer.issuer_url,
        db_pool_size=4,
    )
    app, runtime, stats = bootstrap(settings)
    try:
        async with serve(app, runtime) as client:
            service = Evaluation(client, runtime, stats, tokens, server.url)
            async with asyncio.timeout(20):
                while not (await service.get("admin", "/v1/admin/snapshots")).json():
                    await asyncio.sleep(0.05)
            yield service
    finally:
        server.stop()
