"""Fixtures of the notifications tests: the service in-process against a NATS server of the test's
own and a fresh database, a local webhook receiver, a local SMTP server, event helpers."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import nats
import pytest
from sqlalchemy import text
from standardwebhooks import Webhook

from notifications.bootstrap import Notifications, build
from notifications.config import NotificationsSettings
from notifications.devsmtp import Mailbox
from notifications.devsmtp import start as start_smtp
from shared.contracts import CloudEvent, EventData
from shared.testing.issuer import RunningIssuer
from shared.testing.plugin import Databases, Tokens, serve
from shared.testing.servers import NatsServer, free_port

A, B = "1219053", "1219043"
DEMO_INSTITUTION = uuid.UUID("7a1c3e52-5d0b-4a53-9b1e-2f6d0c8a0001")
DEMO_SYSTEM = ("partner-system-demo", "partner-system-demo-secret")
SOURCES = {"partners": "/cus/partners", "basket": "/cus/basket", "cases": "/cus/cases"}


def event(data: EventData, tenant: str | None = A, subject: object | None = None) -> CloudEvent:
    source = SOURCES[data.event_type.split(".", 1)[0]]
    return CloudEvent.wrap(data, source=source, tenant=tenant, subject=str(subject or uuid.uuid4()))


async def publish(url: str, *events: CloudEvent, fresh_msg_id: bool = False) -> None:
    """Publish into JetStream as a producer's relay does (Nats-Msg-Id = event id); with
    `fresh_msg_id`, the same event arrives again as a new message (a redelivery after the
    duplicate window)."""
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        for e in events:
            msg_id = f"{e.id}-{uuid.uuid4()}" if fresh_msg_id else str(e.id)
            await js.publish(e.type, e.model_dump_json().encode(), headers={"Nats-Msg-Id": msg_id})
    finally:
        await nc.close()


async def eventually(predicate: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


@dataclass
class Hit:
    path: str
    headers: dict[str, str]
    body: bytes
    status: int

    @property
    def event_id(self) -> str:
        return self.headers["webhook-id"]

    def cloud_event(self) -> CloudEvent:
        return CloudEvent.model_validate_json(self.body)


@dataclass
class Receiver:
    """A webhook receiver on 127.0.0.1 answering `status` (after `delay` seconds)."""

    port: int = field(default_factory=free_port)
    status: int = 200
    delay: float = 0.0
    hits: list[Hit] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                if receiver.delay:
                    time.sleep(receiver.delay)
                status = receiver.status
                receiver.hits.append(
                    Hit(self.path, {k.lower(): v for k, v in self.headers.items()}, body, status)
                )
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def delivered(self, path: str | None = None) -> list[Hit]:
        return [h for h in self.hits if 200 <= h.status < 300 and (path is None or h.path == path)]

    def verified(self, secret: str, path: str | None = None) -> list[CloudEvent]:
        """Every delivered body, checked with the reference Standard Webhooks library."""
        wh = Webhook(secret)
        out = []
        for hit in self.delivered(path):
            wh.verify(hit.body, hit.headers)
            out.append(hit.cloud_event())
        return out


@pytest.fixture
def receivers() -> Iterator[Callable[[], Receiver]]:
    """Start local webhook receivers; all are stopped at the end of the test."""
    started: list[Receiver] = []

    def make() -> Receiver:
        started.append(Receiver().start())
        return started[-1]

    yield make
    for r in started:
        r.stop()


@pytest.fixture
def receiver(receivers: Callable[[], Receiver]) -> Receiver:
    return receivers()


@pytest.fixture(scope="session")
def smtp() -> Iterator[tuple[int, Mailbox]]:
    port = free_port()
    controller, mailbox = start_smtp(port)
    yield port, mailbox
    controller.stop()


@dataclass
class Service:
    built: Notifications
    client: httpx.AsyncClient
    tokens: Tokens
    nats_url: str
    settings: NotificationsSettings

    async def system(
        self, institution: uuid.UUID | None = None, tenants: list[str] | None = None
    ) -> dict[str, str]:
        """Headers of a partner system: the demo one, or a forged one of another institution."""
        if institution is None:
            token = await self.tokens.client_credentials(*DEMO_SYSTEM)
        else:
            token = self.tokens.forge(
                {
                    "azp": f"system-{institution}",
                    "preferred_username": f"service-account-system-{institution}",
                    "realm_access": {"roles": ["partner-staff"]},
                    "institution": str(institution),
                    "tenants": tenants or [A],
                }
            )
        return {"Authorization": f"Bearer {token}"}

    async def user(self, name: str) -> dict[str, str]:
        return await self.tokens.headers(name)

    async def endpoint(self, headers: dict[str, str], url: str, **body: Any) -> dict[str, Any]:
        response = await self.client.post(
            "/v1/endpoints", json={"url": url, **body}, headers=headers
        )
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    async def publish(self, *events: CloudEvent, fresh_msg_id: bool = False) -> None:
        await publish(self.nats_url, *events, fresh_msg_id=fresh_msg_id)

    async def applied(self, count: int, timeout: float = 15.0) -> None:
        await eventually(
            lambda: sum(s.applied for s in self.built.stats.values()) >= count, timeout
        )

    async def failed_attempts(self, count: int, timeout: float = 15.0) -> None:
        """Wait until at least `count` delivery attempts have failed."""
        failed = text("SELECT count(*) FROM delivery_attempts WHERE error IS NOT NULL")
        deadline = time.monotonic() + timeout
        while True:
            async with self.built.runtime.engine.connect() as conn:
                seen = int((await conn.execute(failed)).scalar_one())
            if seen >= count:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"{seen} failed attempts after {timeout} s, not {count}")
            await asyncio.sleep(0.02)

    async def settled(self, timeout: float = 15.0) -> None:
        """Wait until no webhook delivery and no e-mail queued so far is still to be sent (each
        was sent, or failed for good). A row stays pending until its outcome is committed, and a
        receiver records a request before it answers: what the receivers and the mailbox hold
        then is all they get of what was queued, which shows that nothing more arrives."""
        pending = text(
            "SELECT (SELECT count(*) FROM deliveries WHERE status = 'pending')"
            " + (SELECT count(*) FROM emails WHERE status = 'pending')"
        )
        deadline = time.monotonic() + timeout
        while True:
            async with self.built.runtime.engine.connect() as conn:
                left = int((await conn.execute(pending)).scalar_one())
            if left == 0:
                return
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{left} deliveries or e-mails still pending after {timeout} s"
                )
            await asyncio.sleep(0.02)


@dataclass
class Harness:
    databases: Databases
    nats: NatsServer
    issuer: RunningIssuer
    tokens: Tokens
    smtp_port: int

    async def settings(
        self, database_url: str | None = None, **overrides: Any
    ) -> NotificationsSettings:
        values: dict[str, Any] = {
            "database_url": database_url or await self.databases.create("notifications"),
            "nats_url": self.nats.url,
            "oidc_issuer": self.issuer.issuer_url,
            "db_pool_size": 4,
            "webhook_allowlist": ["127.0.0.1"],
            "webhook_retry_delays": (0.2, 0.3, 0.5, 0.5, 0.5),
            "webhook_retry_jitter": 0.0,
            "webhook_timeout_s": 3.0,
            "delivery_poll_s": 0.1,
            "delivery_workers": 1,
            "smtp_port": self.smtp_port,
            "email_poll_s": 0.1,
            "reminder_interval_s": 3600.0,
        }
        values.update(overrides)
        return NotificationsSettings(**values)

    @contextlib.asynccontextmanager
    async def run(self, settings: NotificationsSettings) -> AsyncIterator[Service]:
        built = build(settings)
        async with serve(built.app, built.runtime) as client:
            yield Service(built, client, self.tokens, self.nats.url, settings)


@pytest.fixture
def harness(
    databases: Databases,
    own_nats: NatsServer,
    issuer: RunningIssuer,
    tokens: Tokens,
    smtp: tuple[int, Mailbox],
) -> Harness:
    return Harness(databases, own_nats, issuer, tokens, smtp[0])


@pytest.fixture
async def service(harness: Harness) -> AsyncIterator[Service]:
    async with harness.run(await harness.settings()) as svc:
        yield svc


@pytest.fixture(name="eventually")
def eventually_fixture() -> Callable[..., Any]:
    """`await eventually(lambda: condition, timeout=15)`."""
    return eventually
