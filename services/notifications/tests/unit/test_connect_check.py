"""The delivery client checks the destination again when it connects: a name that resolves to a
loopback address, or a private IP in the URL, is refused unless allowlisted."""

from __future__ import annotations

import pytest

from notifications.adapters.webhook_client import WebhookClient
from notifications.domain.addresses import Allowlist, ForbiddenAddress
from shared.testing.servers import free_port


@pytest.mark.parametrize("url", ["http://localhost:9/hook", "http://10.0.0.1/hook"])
async def test_private_destinations_are_refused_at_connect_time(url: str) -> None:
    clients = WebhookClient(Allowlist.parse([]), timeout=2.0)
    try:
        with pytest.raises(ForbiddenAddress, match=r"127\.0\.0\.1|10\.0\.0\.1"):
            await clients.post("endpoint", url, b"{}", {})
    finally:
        await clients.aclose()


async def test_allowlisted_loopback_is_attempted() -> None:
    clients = WebhookClient(Allowlist.parse(["127.0.0.1"]), timeout=2.0)
    try:
        with pytest.raises(ConnectionRefusedError):  # nothing listens there: we tried
            await clients.post("endpoint", f"http://127.0.0.1:{free_port()}/", b"{}", {})
    finally:
        await clients.aclose()
