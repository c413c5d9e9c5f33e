"""Every stream gets its age limit when it is created and when an existing deployment starts
again with the limit (ADR 0049); the duplicate window and the rest of the layout are unchanged,
and the messages an existing stream holds stay."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import nats

from shared.messaging import DLQ, STREAMS
from shared.messaging.streams import (
    DAY_SECONDS,
    DEFAULT_MAX_AGE_DAYS,
    DUPLICATE_WINDOW_SECONDS,
    ensure_streams,
    stream_config,
)
from shared.testing.servers import NatsServer

NAMES = [spec.name for spec in (*STREAMS.values(), DLQ)]


async def test_streams_get_max_age_on_create_and_on_update(tmp_path: Path) -> None:
    server = NatsServer(tmp_path / "nats").start()  # its own: the test changes every stream
    try:
        nc = await nats.connect(server.url)
        js = nc.jetstream()
        # An existing deployment: the streams as they were created before the age limit.
        for spec in (*STREAMS.values(), DLQ):
            await js.add_stream(replace(stream_config(spec), max_age=0.0))
        await js.publish("cases.case.opened", b"{}")
        assert (await js.stream_info("CASES")).config.max_age in (None, 0, 0.0)

        await ensure_streams(js)  # the next start
        for name in NAMES:
            info = await js.stream_info(name)
            assert info.config.max_age == DEFAULT_MAX_AGE_DAYS * DAY_SECONDS, name
            assert info.config.duplicate_window == DUPLICATE_WINDOW_SECONDS
            assert info.config.max_bytes == -1
        assert (await js.stream_info("CASES")).state.messages == 1  # nothing lost

        await ensure_streams(js, max_age_days=30)  # a deployment that chose another limit
        for name in NAMES:
            assert (await js.stream_info(name)).config.max_age == 30 * DAY_SECONDS
        await ensure_streams(js, max_age_days=0)  # and one that keeps everything
        assert (await js.stream_info("CASES")).config.max_age in (None, 0, 0.0)
        await nc.close()

        # Fresh streams, created by ensure_streams itself, get the limit too.
        fresh = NatsServer(tmp_path / "fresh").start()
        try:
            nc = await nats.connect(fresh.url)
            js = nc.jetstream()
            await ensure_streams(js, max_age_days=400)
            for name in NAMES:
                info = await js.stream_info(name)
                assert info.config.max_age == 400 * DAY_SECONDS, name
                assert info.config.duplicate_window == DUPLICATE_WINDOW_SECONDS
            await nc.close()
        finally:
            fresh.stop()
    finally:
        server.stop()
