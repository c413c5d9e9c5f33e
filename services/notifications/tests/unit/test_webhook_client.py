"""The webhook HTTP client against small raw HTTP servers: keep-alive reuse, the answers a
receiver may give (chunked bodies, early hints, `Connection: close`, no answer), and the request
it sends (target quoting, `Host`, Basic credentials from the URL, no header injection)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from notifications.adapters.webhook_client import ServerDisconnected, WebhookClient, target_of
from notifications.domain.addresses import Allowlist

Answer = Callable[[bytes], bytes | None]  # request head → raw response (None: close silently)

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


class RawServer:
    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.requests: list[bytes] = []
        self.connections = 0
        self.server: asyncio.Server | None = None

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    int(line.split(b":", 1)[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                )
                self.requests.append(head + await reader.readexactly(length))
                response = self.answer(head)
                if response is None:
                    break
                writer.write(response)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    def url(self, path: str = "/hook") -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}{path}"


@pytest.fixture
async def serve() -> AsyncIterator[Callable[[Answer], Awaitable[RawServer]]]:
    servers: list[asyncio.Server] = []

    async def start(answer: Answer) -> RawServer:
        raw = RawServer(answer)
        raw.server = await asyncio.start_server(raw.handle, "127.0.0.1", 0)
        servers.append(raw.server)
        return raw

    yield start
    for server in servers:
        server.close()


@pytest.fixture
async def client() -> AsyncIterator[WebhookClient]:
    http = WebhookClient(Allowlist.parse(["127.0.0.1"]), timeout=1.0)
    yield http
    await http.aclose()


async def test_connections_are_kept_alive_and_reused(serve, client) -> None:
    server = await serve(lambda _: OK)
    for _ in range(5):
        assert await client.post("e", server.url(), b"{}", {"webhook-id": "1"}) == 200
    assert server.connections == 1
    codes = await asyncio.gather(*(client.post("e", server.url(), b"{}", {}) for _ in range(40)))
    assert codes == [200] * 40
    assert server.connections <= client.per_endpoint


async def test_the_request_carries_the_body_and_headers(serve, client) -> None:
    server = await serve(lambda _: OK)
    await client.post("e", server.url("/a%20b/ż?x=1%202"), b'{"a":1}', {"webhook-id": "msg_1"})
    request = server.requests[0]
    assert request.startswith(b"POST /a%20b/%C5%BC?x=1%202 HTTP/1.1\r\n")
    assert b"\r\nHost: 127.0.0.1:" in request
    assert b"\r\nwebhook-id: msg_1\r\n" in request
    assert b"\r\nContent-Length: 7\r\n" in request
    assert request.endswith(b'\r\n\r\n{"a":1}')


def test_credentials_in_the_url_become_basic_authentication() -> None:
    head = target_of("https://user:p%40ss@example.org/hook").head
    assert b"Authorization: Basic dXNlcjpwQHNz\r\n" in head  # user:p@ss
    assert b"Host: example.org\r\n" in head
    assert b"user" not in head.split(b"\r\n")[0]


async def test_a_header_value_cannot_inject_lines(serve, client) -> None:
    server = await serve(lambda _: OK)
    with pytest.raises(ValueError, match="line break"):
        await client.post("e", server.url(), b"{}", {"webhook-id": "1\r\nX-Evil: 1"})


async def test_chunked_bodies_early_hints_and_error_statuses(serve, client) -> None:
    answers = iter(
        [
            b"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
            b"HTTP/1.1 202 Accepted\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"5\r\nhello\r\n0\r\n\r\n",
            b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n",
            b"HTTP/1.1 410 Gone\r\nContent-Length: 4\r\n\r\ngone",
        ]
    )
    server = await serve(lambda _: next(answers))
    assert [await client.post("e", server.url(), b"{}", {}) for _ in range(3)] == [202, 503, 410]
    assert server.connections == 1


async def test_connection_close_opens_a_new_connection(serve, client) -> None:
    server = await serve(
        lambda _: b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
    )
    for _ in range(3):
        assert await client.post("e", server.url(), b"{}", {}) == 200
    assert server.connections == 3


async def test_a_receiver_closing_without_an_answer_is_an_error(serve, client) -> None:
    server = await serve(lambda _: None)
    with pytest.raises(ServerDisconnected):
        await client.post("e", server.url(), b"{}", {})


async def test_a_receiver_that_does_not_answer_times_out(serve, client) -> None:
    server = await serve(lambda _: b"")  # reads the request, never answers
    with pytest.raises(TimeoutError):
        await client.post("e", server.url(), b"{}", {})
    server.answer = lambda _: OK  # the next delivery gets a fresh connection
    assert await client.post("e", server.url(), b"{}", {}) == 200


async def test_garbage_is_a_bad_response(serve, client) -> None:
    server = await serve(lambda _: b"SMTP ready\r\n\r\n")
    with pytest.raises(ConnectionError, match="malformed"):
        await client.post("e", server.url(), b"{}", {})
