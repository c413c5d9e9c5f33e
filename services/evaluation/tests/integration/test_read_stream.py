"""The rebuild's stream reader delivers every message, in order, however far the stream is ahead
of a slow reader (its window of unacknowledged messages keeps the server from overrunning it)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import nats

from evaluation.adapters.rebuild import last_sequence, read_stream
from shared.messaging import STREAMS
from shared.messaging.streams import ensure_streams
from shared.testing.servers import NatsServer


async def test_every_message_in_order_for_a_slow_reader(tmp_path: Path) -> None:
    server = NatsServer(tmp_path / "nats").start()  # its own: the stream must hold only these
    try:
        nc = await nats.connect(server.url)
        js = nc.jetstream()
        await ensure_streams(js)
        spec = STREAMS["partners"]
        subject = spec.subjects[0].replace(">", "institution.registered")
        acks = [await js.publish_async(subject, b'{"n": %d}' % i) for i in range(3000)]
        await asyncio.gather(*acks)
        until = await last_sequence(js, spec.name)

        seen: list[int] = []
        async for msgs in read_stream(js, spec.name, after=0, until=until, batch=100):
            seen += [m.metadata.sequence.stream for m in msgs]
            await asyncio.sleep(0.01)  # the database applying the batch
        assert seen == list(range(1, until + 1))

        # From the middle, as the swap reads what arrived meanwhile.
        rest = [
            m.metadata.sequence.stream
            async for msgs in read_stream(js, spec.name, after=2500, until=until, batch=64)
            for m in msgs
        ]
        assert rest == list(range(2501, until + 1))
        await nc.close()
    finally:
        server.stop()
