"""A service that publishes no events runs no outbox relay (it has no outbox table to read)."""

from __future__ import annotations

import asyncio

import pytest

from shared.config import ServiceSettings
from shared.runtime import build_runtime, running


@pytest.mark.parametrize("publishes", [True, False])
async def test_the_relay_runs_only_for_a_service_that_publishes(
    postgres_url: str, nats_url: str, publishes: bool
) -> None:
    settings = ServiceSettings(database_url=postgres_url, nats_url=nats_url)
    runtime = build_runtime("evaluation", settings, publishes=publishes)
    before = asyncio.all_tasks()
    async with running(runtime):
        started = {t.get_name() for t in asyncio.all_tasks() - before}
    assert ("relay" in started) is publishes
