"""Snapshots keep the read models rebuildable under the streams' age limit (ADR 0049): a rebuild
from the newest snapshot plus the events after it gives the same figures as a rebuild from the
whole history — also once the older messages are gone from the streams (purged here, as the age
limit would remove them) — and a rebuild refuses, changing nothing, when messages it needs are
gone."""

from __future__ import annotations

import asyncio
import os
import sys
from typing import Any

import nats
from sqlalchemy import text

from shared.contracts import CloudEvent
from shared.messaging import STREAMS

A = "1219053"
SOURCES = ("partners", "basket", "cases")
NAMES = {source: STREAMS[source].name for source in SOURCES}


async def figures(service) -> list[dict[str, Any]]:
    """Every view compared, without the time it was generated."""
    out = []
    for user, url, params in (
        ("analyst", "/v1/monitoring", {}),
        ("analyst", "/v1/monitoring", {"tenant": A}),
        ("analyst", "/v1/reports", {"period": "2026-Q3"}),
        ("analyst", "/v1/reports", {"period": "2026"}),
        ("coord-a", "/v1/reports", {"period": "2026-Q3"}),
        ("coord-b", "/v1/reports", {"period": "2026"}),
    ):
        response = await service.get(user, url, **params)
        assert response.status_code == 200, response.text
        body = response.json()
        body.pop("generated_at")
        out.append(body)
    return out


async def damage(service) -> None:
    """Damage the live read models: a rebuild must not depend on them."""
    async with service.runtime.engine.begin() as conn:
        await conn.execute(text("DELETE FROM ev_referrals WHERE tenant = :t"), {"t": A})
        await conn.execute(text("UPDATE ev_memberships SET state = 'left'"))
        await conn.execute(text("DELETE FROM ev_cases"))


async def stream_bounds(service) -> dict[str, tuple[int, int]]:
    nc = await nats.connect(service.nats_url)
    js = nc.jetstream()
    out = {}
    for name in NAMES.values():
        state = (await js.stream_info(name)).state
        out[name] = (state.first_seq, state.last_seq)
    await nc.close()
    return out


async def purge_below(service, keep_from: dict[str, int]) -> None:
    """Remove every message before `keep_from[stream]`, as the age limit would."""
    nc = await nats.connect(service.nats_url)
    js = nc.jetstream()
    for name, seq in keep_from.items():
        await js.purge_stream(name, seq=seq)
    await nc.close()


async def acknowledged(service) -> None:
    """Wait until the live consumers acknowledged every message (their ack floors are the
    positions a snapshot records)."""
    nc = await nats.connect(service.nats_url)
    js = nc.jetstream()
    for source, name in NAMES.items():
        last = (await js.stream_info(name)).state.last_seq
        for _ in range(400):
            info = await js.consumer_info(name, f"evaluation-{source}")
            if info.ack_floor.stream_seq >= last:
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError(f"{name}: the live consumer did not acknowledge everything")
    await nc.close()


def halves(scripted: list[CloudEvent]) -> tuple[list[CloudEvent], list[CloudEvent]]:
    """Each source's events split in two, so every stream has messages after the snapshot."""
    first: list[CloudEvent] = []
    second: list[CloudEvent] = []
    for source in SOURCES:
        mine = [e for e in scripted if e.type.startswith(f"{source}.")]
        first += mine[: len(mine) // 2]
        second += mine[len(mine) // 2 :]
    return first, second


async def rebuild(service, source: str | None = None):
    url = "/v1/admin/rebuild" + (f"?from={source}" if source else "")
    return await service.post("admin", url, {})


async def test_rebuild_from_a_snapshot_plus_the_window_equals_the_whole_history(
    own_evaluation, scripted
):
    service = own_evaluation
    first, second = halves(scripted)
    await service.feed(first)
    await acknowledged(service)
    taken = await service.post("admin", "/v1/admin/snapshots", {})
    assert taken.status_code == 201, taken.text
    snapshot = taken.json()
    at_snapshot = await stream_bounds(service)
    for name, (_, last) in at_snapshot.items():
        assert snapshot["positions"][name] == last > 0
    assert snapshot["rows"] > 0
    await service.feed(second)
    await acknowledged(service)
    live = await figures(service)
    bounds = await stream_bounds(service)
    for name, (_, last) in bounds.items():
        assert last > at_snapshot[name][1]  # every stream has messages after the snapshot

    # From the snapshot: only the events after it are replayed.
    await damage(service)
    assert await figures(service) != live
    response = await rebuild(service)
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["from_snapshot"]["id"] == snapshot["id"]
    for source, name in NAMES.items():
        position = snapshot["positions"][name]
        assert result["replayed_from"][name] == position + 1
        assert result["events"][source] == bounds[name][1] - position
    assert await figures(service) == live
    # The rebuild snapshotted its result, at the streams' ends.
    after = result["snapshot_after"]
    assert after["id"] > snapshot["id"]
    assert after["positions"] == {name: last for name, (_, last) in bounds.items()}

    # From the whole history: the same figures.
    await damage(service)
    response = await rebuild(service, "history")
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["from_snapshot"] is None
    assert result["replayed_from"] == dict.fromkeys(NAMES.values(), 1)
    assert result["total"] == sum(last for _, last in bounds.values())
    assert await figures(service) == live

    # The older messages expire: the snapshot plus what is left still gives the same figures.
    async with service.runtime.engine.begin() as conn:  # the first snapshot is the newest again
        await conn.execute(text("DELETE FROM ev_snapshots WHERE id > :id"), {"id": snapshot["id"]})
    await purge_below(service, {n: snapshot["positions"][n] + 1 for n in NAMES.values()})
    for name, (first_seq, _) in (await stream_bounds(service)).items():
        assert first_seq == snapshot["positions"][name] + 1
    await damage(service)
    response = await rebuild(service)
    assert response.status_code == 200, response.text
    assert response.json()["from_snapshot"]["id"] == snapshot["id"]
    assert await figures(service) == live

    # Without a snapshot's help the history is incomplete now: refused.
    response = await rebuild(service, "history")
    assert response.status_code == 409, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "PARTNERS zaczyna się od sekwencji" in response.json()["detail"]
    assert await figures(service) == live


async def test_a_rebuild_refuses_when_messages_after_the_snapshot_are_gone(
    own_evaluation, scripted
):
    service = own_evaluation
    await acknowledged(service)
    taken = await service.post("admin", "/v1/admin/snapshots", {})
    assert taken.status_code == 201, taken.text
    snapshot = taken.json()
    # More events after the snapshot (fresh message ids: JetStream stores them again).
    await service.feed(list(scripted), fresh_ids=True)
    await acknowledged(service)
    live = await figures(service)
    bounds = await stream_bounds(service)
    # The age limit took the first message after the snapshot from the cases stream.
    cases = NAMES["cases"]
    lost = snapshot["positions"][cases] + 1
    assert bounds[cases][1] > lost
    await purge_below(service, {cases: lost + 1})

    async with service.runtime.engine.begin() as conn:  # only that snapshot is kept
        await conn.execute(text("DELETE FROM ev_snapshots WHERE id <> :id"), {"id": snapshot["id"]})
    response = await rebuild(service)
    assert response.status_code == 409, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    detail = response.json()["detail"]
    assert f"Strumień {cases} zaczyna się od sekwencji {lost + 1}" in detail
    assert f"migawka nr {snapshot['id']}" in detail
    # Nothing changed: the live figures, the snapshots, no rebuild schema left behind.
    assert await figures(service) == live
    listed = (await service.get("admin", "/v1/admin/snapshots")).json()
    assert [s["id"] for s in listed] == [snapshot["id"]]
    async with service.runtime.engine.connect() as conn:
        schemas = (
            await conn.execute(
                text("SELECT count(*) FROM pg_namespace WHERE nspname = 'ev_rebuild'")
            )
        ).scalar()
    assert schemas == 0


async def test_only_regional_admins_take_and_list_snapshots(own_evaluation):
    for user in ("analyst", "coord-a"):
        assert (await own_evaluation.post(user, "/v1/admin/snapshots", {})).status_code == 403
        assert (await own_evaluation.get(user, "/v1/admin/snapshots")).status_code == 403
    response = await own_evaluation.post("admin", "/v1/admin/rebuild?from=everything", {})
    assert response.status_code == 422
    assert "from" in response.text


async def command(service, *args: str) -> tuple[int, str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": service.runtime.settings.database_url,
        "NATS_URL": service.nats_url,
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "evaluation.snapshot",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_the_command_takes_a_snapshot_and_lists_them(own_evaluation):
    before = (await own_evaluation.get("admin", "/v1/admin/snapshots")).json()
    code, out, err = await command(own_evaluation)
    assert code == 0, err
    listed = (await own_evaluation.get("admin", "/v1/admin/snapshots")).json()
    newest = listed[0]
    assert newest["id"] > before[0]["id"]
    assert out.startswith(f"snapshot {newest['id']} taken ")
    assert f"CASES {newest['positions']['CASES']}" in out
    assert len(listed) <= 3  # SNAPSHOTS_KEPT

    code, out, err = await command(own_evaluation, "--list")
    assert code == 0, err
    assert [line.split()[1] for line in out.splitlines()] == [str(s["id"]) for s in listed]
