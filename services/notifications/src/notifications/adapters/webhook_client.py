"""The webhook HTTP client: signed POSTs over kept-alive HTTP/1.1 connections, a small pool per
endpoint, every new connection made only to addresses that were checked (ADR 0031, ADR 0035).

A webhook POST needs little of a general HTTP client: no cookies, redirects, proxies, compression
or response bodies (only the status code is recorded). aiohttp spent about 0.1–0.2 ms of CPU per
request on all of that, the largest share of the service's CPU per delivery; here a request is one
`transport.write` of bytes prepared per endpoint plus the signature headers, and the response is
parsed by httptools (llhttp, the parser uvicorn uses). The status is taken as soon as the headers
are in; the body is read and discarded (never buffered) before the connection is reused.
"""

from __future__ import annotations

import asyncio
import base64
import collections
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import quote, unquote

import httptools

from notifications.domain.addresses import Allowlist, check_addresses, split_url

USER_AGENT = "cus-notifications/0.1"
# An idle connection is closed after this long: below the 5 s keep-alive of common servers
# (uvicorn, Node), so we rarely send on a connection the receiver is closing at that moment.
IDLE_S = 4.0
# Characters sent as they are in a request target; anything else (spaces, controls, non-ASCII)
# is percent-encoded, so a stored URL can never break the request line.
_TARGET_SAFE = "!#$%&'()*+,/:;=?@[]~"


class ServerDisconnected(ConnectionError):
    """The receiver closed the connection before answering."""


class BadResponse(ConnectionError):
    """The receiver's answer is not HTTP/1.x."""


@dataclass(frozen=True)
class Target:
    """What is fixed per endpoint URL: where to connect and the start of every request."""

    scheme: str
    host: str  # IDNA-encoded, without brackets
    port: int
    literal: str | None  # the address, when the URL names one
    head: bytes  # request line and the headers that do not change between deliveries


def target_of(url: str) -> Target:
    parts = split_url(url)  # the registration's check of the URL's text, again
    host = parts.hostname
    assert host is not None
    try:
        literal: str | None = str(ipaddress.ip_address(host))
    except ValueError:
        literal = None
        host = host.encode("idna").decode("ascii")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    authority = f"[{host}]" if literal and ":" in host else host
    if parts.port is not None:
        authority += f":{parts.port}"
    path = quote(parts.path or "/", safe=_TARGET_SAFE)
    if parts.query:
        path += "?" + quote(parts.query, safe=_TARGET_SAFE)
    lines = [f"POST {path} HTTP/1.1", f"Host: {authority}", f"User-Agent: {USER_AGENT}"]
    if parts.username is not None:  # credentials in the URL: Basic authentication, as browsers do
        user = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
        lines.append("Authorization: Basic " + base64.b64encode(user.encode()).decode())
    head = ("\r\n".join(lines) + "\r\n").encode("ascii")
    return Target(parts.scheme, host, port, literal, head)


def request_bytes(target: Target, body: bytes, headers: dict[str, str]) -> bytes:
    lines = []
    for name, value in headers.items():
        if "\r" in value or "\n" in value:
            raise ValueError(f"header {name} must not contain a line break")
        lines.append(f"{name}: {value}\r\n")
    return b"".join(
        (
            target.head,
            "".join(lines).encode("latin-1"),
            b"Content-Length: %d\r\n\r\n" % len(body),
            body,
        )
    )


class _Connection(asyncio.Protocol):
    """One HTTP/1.1 connection, one request at a time."""

    def __init__(self, pool: _Pool) -> None:
        self.pool = pool
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.answer: asyncio.Future[int] | None = None
        self.timer: asyncio.TimerHandle | None = None
        self.busy = False
        self.closed = False
        self.idle_since = 0.0

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        if not self.busy:  # nothing was asked: a confused receiver; do not reuse the connection
            self.close()
            return
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._fail(BadResponse("the receiver switched protocols"))
        except httptools.HttpParserError as exc:
            self._fail(BadResponse(f"malformed HTTP response: {exc}"))

    def eof_received(self) -> bool:
        return False  # close our side too; connection_lost follows

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._stop_timer()
        if self.answer is not None and not self.answer.done():
            self.answer.set_exception(
                ServerDisconnected("the receiver closed the connection before answering")
            )
        self.pool.discard(self)

    # httptools callbacks
    def on_headers_complete(self) -> None:
        status = self.parser.get_status_code()
        if status >= 200 and self.answer is not None and not self.answer.done():
            self.answer.set_result(status)

    def on_message_complete(self) -> None:
        if self.parser.get_status_code() < 200:
            return  # informational (103 Early Hints): the final answer follows
        self._stop_timer()
        busy, self.busy = self.busy, False
        self.answer = None
        if busy and self.parser.should_keep_alive() and not self.closed:
            self.pool.release(self)
        else:
            self.close()

    # our side
    def send(self, data: bytes, deadline: float) -> asyncio.Future[int]:
        assert self.transport is not None
        loop = self.pool.loop
        self.busy = True
        self.answer = loop.create_future()
        self.timer = loop.call_at(deadline, self._timed_out)
        self.transport.write(data)
        return self.answer

    def _timed_out(self) -> None:
        self.timer = None
        self._fail(TimeoutError("no answer in time"))

    def _fail(self, exc: Exception) -> None:
        if self.answer is not None and not self.answer.done():
            self.answer.set_exception(exc)
        self.close()

    def _stop_timer(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            if self.transport is not None:
                self.transport.abort()
            self.pool.discard(self)


class _Pool:
    """The connections to one endpoint's origin: at most `limit`, idle ones reused newest first."""

    def __init__(self, client: WebhookClient, target: Target) -> None:
        self.client = client
        self.target = target
        self.loop = asyncio.get_running_loop()
        self.idle: list[_Connection] = []
        self.members: set[_Connection] = set()
        self.opening = 0
        self.waiters: collections.deque[asyncio.Future[None]] = collections.deque()
        self.sweep: asyncio.TimerHandle | None = None

    async def acquire(self, deadline: float) -> _Connection:
        while True:
            while self.idle:
                conn = self.idle.pop()
                if not conn.closed:
                    if self.loop.time() - conn.idle_since < IDLE_S:
                        return conn
                    conn.close()
            if len(self.members) + self.opening < self.client.per_endpoint:
                return await self._open(deadline)
            waiter = self.loop.create_future()
            self.waiters.append(waiter)
            try:
                async with asyncio.timeout_at(deadline):
                    await waiter
            except BaseException:
                if waiter.done() and not waiter.cancelled():
                    self._wake()  # we were handed a turn we cannot take: pass it on
                raise
            finally:
                if waiter in self.waiters:
                    self.waiters.remove(waiter)

    async def _open(self, deadline: float) -> _Connection:
        self.opening += 1
        try:
            async with asyncio.timeout_at(min(deadline, self.loop.time() + self.client.connect_s)):
                addresses = await self.client.addresses(self.target)
                last: Exception | None = None
                for address in addresses:
                    try:
                        transport, conn = await self.loop.create_connection(
                            lambda: _Connection(self),
                            address,
                            self.target.port,
                            ssl=self.client.tls if self.target.scheme == "https" else None,
                            server_hostname=(
                                self.target.host if self.target.scheme == "https" else None
                            ),
                        )
                    except OSError as exc:
                        last = exc
                        continue
                    conn.transport = transport  # (uvloop may call connection_made later)
                    self.members.add(conn)
                    return conn
                assert last is not None
                raise last
        finally:
            self.opening -= 1
            self._wake()

    def release(self, conn: _Connection) -> None:
        conn.idle_since = self.loop.time()
        self.idle.append(conn)
        if self.sweep is None:
            self.sweep = self.loop.call_later(IDLE_S, self._close_idle)
        self._wake()

    def _close_idle(self) -> None:
        self.sweep = None
        now = self.loop.time()
        for conn in [c for c in self.idle if now - c.idle_since >= IDLE_S]:
            conn.close()
        self.idle = [c for c in self.idle if not c.closed]
        if self.idle:
            self.sweep = self.loop.call_later(IDLE_S, self._close_idle)

    def discard(self, conn: _Connection) -> None:
        self.members.discard(conn)
        self._wake()

    def _wake(self) -> None:
        while self.waiters:
            waiter = self.waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    def close(self) -> None:
        if self.sweep is not None:
            self.sweep.cancel()
        for conn in list(self.members):
            conn.close()


class WebhookClient:
    """POSTs to endpoints: one small connection pool per endpoint, so a slow receiver holds only
    its own connections."""

    def __init__(
        self,
        allowlist: Allowlist,
        timeout: float,
        per_endpoint: int = 16,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.allowlist = allowlist
        self.timeout = timeout
        self.connect_s = min(timeout, 5.0)
        self.per_endpoint = per_endpoint
        self.tls = tls or ssl.create_default_context()
        self.targets: dict[str, Target] = {}
        self.pools: dict[tuple[object, str, str, int], _Pool] = {}

    async def addresses(self, target: Target) -> list[str]:
        """The addresses to connect to, checked now (a name is resolved for every connection, so
        a DNS answer that changes to a private address is refused)."""
        if target.literal is not None:
            return check_addresses(target.host, [target.literal], self.allowlist)
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                target.host, target.port, type=socket.SOCK_STREAM
            )
        except socket.gaierror as exc:
            raise OSError(f"cannot resolve {target.host}") from exc
        found = list(dict.fromkeys(str(info[4][0]) for info in infos))
        return check_addresses(target.host, found, self.allowlist)

    async def post(
        self, endpoint_id: object, url: str, body: bytes, headers: dict[str, str]
    ) -> int:
        """POST and return the status code; raises ForbiddenAddress, OSError or TimeoutError."""
        target = self.targets.get(url)
        if target is None:
            target = target_of(url)
            if target.literal is not None:  # refused before any pool is made for it
                check_addresses(target.host, [target.literal], self.allowlist)
            self.targets[url] = target  # the allowlist is fixed: checked once is enough
        key = (endpoint_id, target.scheme, target.host, target.port)
        pool = self.pools.get(key)
        if pool is None:
            pool = self.pools[key] = _Pool(self, target)
        data = request_bytes(target, body, headers)
        deadline = pool.loop.time() + self.timeout
        conn = await pool.acquire(deadline)
        return await conn.send(data, deadline)

    async def aclose(self) -> None:
        pools, self.pools = list(self.pools.values()), {}
        for pool in pools:
            pool.close()
