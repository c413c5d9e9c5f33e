"""Checking a webhook URL when it is registered: resolve the host and refuse non-public addresses
(outside the allowlist).

The check runs again for every new connection the delivery client opens
(`adapters/webhook_client.py`), so a host name whose DNS answer changes to a private address
afterwards (DNS rebinding) is still refused.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket

from notifications.domain.addresses import Allowlist, ForbiddenAddress, check_addresses, split_url


def _literal(host: str) -> str | None:
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        return None


async def resolve(host: str) -> list[str]:
    literal = _literal(host)
    if literal is not None:
        return [literal]
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise ForbiddenAddress(f"Nie można rozwiązać nazwy hosta {host}.") from exc
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


async def allowed_addresses(url: str, allowlist: Allowlist) -> list[str]:
    """The addresses a URL may be reached at; raises ForbiddenAddress (with a Polish reason)."""
    host = split_url(url).hostname
    assert host is not None
    return check_addresses(host, await resolve(host), allowlist)
