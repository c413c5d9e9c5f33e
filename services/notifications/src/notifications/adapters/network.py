"""Reaching webhook URLs safely: resolve the host, refuse non-public addresses (outside the
allowlist), and connect only to the addresses that were checked.

The check runs again at connect time, not only at registration, so a host name whose DNS answer
changes to a private address afterwards (DNS rebinding) is still refused. aiohttp connects to the
addresses its resolver returns, and our resolver returns only checked ones; the request keeps the
URL's host name for the `Host` header, the TLS server name (SNI) and the certificate check. An IP
address in the URL bypasses resolvers in aiohttp, so it is checked before the request.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult

from notifications.domain.addresses import Allowlist, ForbiddenAddress, check_addresses


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
    except socket.gaierror as exc:
        raise ForbiddenAddress(f"Nie można rozwiązać nazwy hosta {host}.") from exc
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


async def allowed_addresses(url: str, allowlist: Allowlist) -> list[str]:
    """The addresses a URL may be reached at; raises ForbiddenAddress (with a Polish reason)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ForbiddenAddress("Adres musi być adresem http(s) z nazwą hosta.")
    return check_addresses(parts.hostname, await resolve(parts.hostname), allowlist)


class CheckingResolver(AbstractResolver):
    """Resolves like the system resolver, then refuses the host unless every address is allowed."""

    def __init__(self, allowlist: Allowlist) -> None:
        self.allowlist = allowlist

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM, family=family)
        except socket.gaierror as exc:
            raise OSError(f"cannot resolve {host}") from exc
        check_addresses(host, [str(i[4][0]) for i in infos], self.allowlist)
        return [
            {"hostname": host, "host": str(i[4][0]), "port": port, "family": i[0], "proto": i[2],
             "flags": socket.AI_NUMERICHOST}
            for i in infos
        ]  # fmt: skip

    async def close(self) -> None:
        pass


class WebhookClients:
    """One small connection pool per endpoint, so a slow receiver holds only its own connections."""

    def __init__(self, allowlist: Allowlist, timeout: float, per_endpoint: int = 16) -> None:
        self.allowlist = allowlist
        self.timeout = aiohttp.ClientTimeout(total=timeout, connect=min(timeout, 5.0))
        self.per_endpoint = per_endpoint
        self.sessions: dict[object, aiohttp.ClientSession] = {}
        self._allowed_literals: set[str] = set()  # IP literals already checked (fixed allowlist)

    def _session(self, endpoint_id: object) -> aiohttp.ClientSession:
        session = self.sessions.get(endpoint_id)
        if session is None or session.closed:
            connector = aiohttp.TCPConnector(
                limit=self.per_endpoint,
                resolver=CheckingResolver(self.allowlist),
                use_dns_cache=False,  # every new connection is checked again
            )
            session = aiohttp.ClientSession(
                connector=connector,
                timeout=self.timeout,
                headers={"user-agent": "cus-notifications/0.1"},
            )
            self.sessions[endpoint_id] = session
        return session

    async def post(
        self, endpoint_id: object, url: str, body: bytes, headers: dict[str, str]
    ) -> int:
        """POST and return the status code; raises ForbiddenAddress or aiohttp/OS errors."""
        host = urlsplit(url).hostname or ""
        if host not in self._allowed_literals:
            literal = _literal(host)
            if literal is not None:
                check_addresses(host, [literal], self.allowlist)
                self._allowed_literals.add(host)
        async with self._session(endpoint_id).post(
            url, data=body, headers=headers, allow_redirects=False
        ) as response:
            await response.read()
            return response.status

    async def aclose(self) -> None:
        sessions, self.sessions = list(self.sessions.values()), {}
        for session in sessions:
            await session.close()
