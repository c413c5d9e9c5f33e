"""The demo loader works against the running service over real HTTP, as the run script uses it."""

from __future__ import annotations

import asyncio
import socket

import uvicorn

from cases.demo import load_cases


async def test_load_cases_creates_demo_cases_with_the_school_in_the_team(cases):
    c = cases
    await c.institutions()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(c.app, host="127.0.0.1", port=port, lifespan="off",
                       log_level="warning")
    )  # fmt: skip
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            await asyncio.sleep(0.02)
        tokens = {u: await c.tokens.user(u) for u in ("manager-a", "partner-a")}
        created = await asyncio.to_thread(
            load_cases, f"http://127.0.0.1:{port}", tokens.__getitem__
        )
    finally:
        server.should_exit = True
        await task
    assert len(created) == 2
    for case_id in created:
        view = (await c.get("partner-a", f"/v1/cases/{case_id}")).json()
        assert view["relation"] == "team_member"
        assert view["plan"]["version"] == 1
