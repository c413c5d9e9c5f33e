"""pytest fixtures for every service's tests: a real nats-server with JetStream, a real
PostgreSQL, the development OIDC issuer, access tokens, migrated databases, and a tap on streams.

NATS_URL / DATABASE_URL / OIDC_ISSUER, when set, point the fixtures at servers already running.

CUS_TEST_NOW (an ISO 8601 instant with its UTC offset, e.g. 2027-03-15T10:00:00+01:00) runs the
tests and every service they start on a clock that starts at that instant and runs forward in
real time (ADR 0015); unset, the real time. Tests read it as `shared.clock.now()` / `today()`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import nats
import pytest
from fastapi import FastAPI
from nats.js.api import ConsumerConfig, DeliverPolicy
from sqlalchemy.engine import make_url

from shared import clock
from shared.auth.roles import API_AUDIENCE
from shared.contracts import CloudEvent
from shared.db.engine import plain_url
from shared.db.migrations import upgrade
from shared.db.roles import ServiceRoles, bootstrap, role_url
from shared.runtime import Runtime
from shared.testing.issuer import RunningIssuer, sign_token, start_issuer_sync
from shared.testing.servers import NatsServer, Postgres

REPO_ROOT = Path(__file__).resolve().parents[4]
TEST_NOW = "CUS_TEST_NOW"


def pytest_configure(config: pytest.Config) -> None:
    """Put the tests and the services they start on one clock: CUS_TEST_NOW, passed on to the
    services' settings as CLOCK_START, or the real time."""
    start = clock.parse_start(os.environ.get(TEST_NOW))
    if start is not None:
        os.environ["CLOCK_START"] = start.isoformat()
    clock.install(clock.clock_starting_at(clock.parse_start(os.environ.get("CLOCK_START"))))


def pytest_report_header(config: pytest.Config) -> str:
    now = clock.local_now()
    return f"clock: {clock.current()!r}, now {now:%Y-%m-%d %H:%M %Z} in Warsaw"


def service_dir(name: str) -> Path:
    return REPO_ROOT / "services" / name


@pytest.fixture(scope="session")
def work_dir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="cus-test-", dir="/tmp"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def nats_url(work_dir: Path) -> Iterator[str]:
    if os.environ.get("NATS_URL"):
        yield os.environ["NATS_URL"]
        return
    server = NatsServer(work_dir / "nats").start()
    yield server.url
    server.stop()


@pytest.fixture
def own_nats(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NatsServer]:
    """A nats-server of the test's own, which the test may stop and start again."""
    server = NatsServer(tmp_path_factory.mktemp("nats")).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def postgres_url(work_dir: Path) -> Iterator[str]:
    """URL of a database on a server where the tests may create databases."""
    if os.environ.get("DATABASE_URL"):
        yield plain_url(os.environ["DATABASE_URL"])
        return
    server = Postgres(work_dir / "pg", fast=True).start()
    yield server.url()
    server.stop()


def _with_database(url: str, database: str) -> str:
    return make_url(url).set(database=database).render_as_string(hide_password=False)


def fixed_password(role: str) -> str:
    """The password of a role the tests make: fixed, so that test sessions sharing one server
    (DATABASE_URL) do not change each other's."""
    return f"{role}-test"


@dataclass
class Databases:
    """Creates fresh, migrated databases as a deployment has them (ADR 0019): the bootstrap makes
    the service's roles and a template database owned by `<service>_owner`, the migrations run
    once into it as that owner, and each test's copy is handed out with the URL of
    `<service>_app` — so every test runs the service with the privileges it has in production.
    `owner_url` gives the same database as its owner (for a test that plays the owner)."""

    admin_url: str
    templates: dict[str, str] = field(default_factory=dict)

    def url(self, database: str) -> str:
        return _with_database(self.admin_url, database)

    async def _execute(self, *statements: str) -> None:
        conn = await asyncpg.connect(self.admin_url)
        try:
            for sql in statements:
                await conn.execute(sql)
        finally:
            await conn.close()

    @staticmethod
    def roles(service: str, database: str) -> ServiceRoles:
        return ServiceRoles.of(service, database)

    def role_url(self, database: str, role: str) -> str:
        return role_url(self.admin_url, database, role, fixed_password(role))

    def owner_url(self, app_url: str) -> str:
        """The URL of the database of `app_url` (one `create` handed out) as its owner role."""
        parsed = make_url(app_url)
        role = str(parsed.username)
        assert role.endswith("_app"), f"not an app role's URL: {role}"
        owner = role.removesuffix("_app") + "_owner"
        return self.role_url(str(parsed.database), owner)

    async def create(self, service: str) -> str:
        run = uuid.uuid4().hex[:8]
        template = self.templates.get(service)
        if template is None:
            template = f"tpl_{service}_{run}"
            roles = self.roles(service, template)
            await bootstrap(
                self.admin_url, roles, fixed_password(roles.owner), fixed_password(roles.app)
            )
            owner_url = self.role_url(template, roles.owner)
            await asyncio.to_thread(upgrade, service_dir(service), owner_url)
            self.templates[service] = template
        roles = self.roles(service, f"{service}_{run}")
        await self._execute(
            f'CREATE DATABASE "{roles.database}" TEMPLATE "{template}" OWNER "{roles.owner}"',
            f'REVOKE ALL ON DATABASE "{roles.database}" FROM PUBLIC',
            f'GRANT CONNECT ON DATABASE "{roles.database}" TO "{roles.app}"',
        )
        return self.role_url(roles.database, roles.app)


@pytest.fixture(scope="session")
def databases(postgres_url: str) -> Databases:
    return Databases(postgres_url)


@pytest.fixture(scope="session")
def issuer(work_dir: Path) -> Iterator[RunningIssuer]:
    running = start_issuer_sync(None, work_dir / "issuer")
    yield running
    running.stop()


@dataclass
class Tokens:
    """Access tokens from the issuer (password grant of `cus-cli`, as scripts use it), cached."""

    issuer: RunningIssuer
    cache: dict[str, tuple[str, float]] = field(default_factory=dict)

    async def user(self, username: str, password: str = "demo") -> str:
        cached = self.cache.get(username)
        if cached and cached[1] > time.time() + 30:
            return cached[0]
        async with httpx.AsyncClient() as client:
            response = await client.post(
                f"{self.issuer.issuer_url}/protocol/openid-connect/token",
                data={
                    "grant_type": "password",
                    "client_id": "cus-cli",
                    "username": username,
                    "password": password,
                    "scope": "openid",
                },
            )
        response.raise_for_status()
        body = response.json()
        self.cache[username] = (body["access_token"], time.time() + body["expires_in"])
        return str(body["access_token"])

    async def headers(self, username: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {await self.user(username)}"}

    async def client_credentials(self, client_id: str, secret: str) -> str:
        async with httpx.AsyncClient() as client:
            response = await client.post(
                f"{self.issuer.issuer_url}/protocol/openid-connect/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": client_id,
                    "client_secret": secret,
                },
            )
        response.raise_for_status()
        return str(response.json()["access_token"])

    def forge(self, overrides: dict[str, Any], headers: dict[str, Any] | None = None) -> str:
        """A token signed with the issuer's own key, with chosen claims (to test rejections)."""
        assert self.issuer.jwks_file is not None, "forging needs the dev issuer's key"
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer.issuer_url,
            "aud": API_AUDIENCE,
            "sub": str(uuid.uuid4()),
            "typ": "Bearer",
            "azp": "cus-cli",
            "iat": now,
            "exp": now + 300,
            "preferred_username": "forged",
            "realm_access": {"roles": ["coordinator"]},
            "tenants": ["1219053"],
        }
        claims.update(overrides)
        return sign_token(
            self.issuer.jwks_file, {k: v for k, v in claims.items() if v is not None}, headers
        )


@pytest.fixture(scope="session")
def tokens(issuer: RunningIssuer) -> Tokens:
    return Tokens(issuer)


@dataclass
class EventTap:
    """Everything published on a stream since the tap opened, as CloudEvents with headers."""

    events: list[tuple[CloudEvent, dict[str, str]]] = field(default_factory=list)

    def of_type(self, event_type: str) -> list[CloudEvent]:
        return [e for e, _ in self.events if e.type == event_type]

    def about(self, subject: str) -> list[CloudEvent]:
        return [e for e, _ in self.events if e.subject == subject]

    async def wait_for(
        self, predicate: Callable[[list[CloudEvent]], bool], timeout: float = 10.0
    ) -> list[CloudEvent]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            current = [e for e, _ in self.events]
            if predicate(current):
                return current
            await asyncio.sleep(0.02)
        seen = [e.type for e, _ in self.events]
        raise AssertionError(f"events not seen in {timeout} s; got {seen}")

    async def through(
        self, marker: Callable[[CloudEvent], bool], timeout: float = 10.0
    ) -> list[CloudEvent]:
        """Wait for a marker event, one the test caused after the actions it checks, and return
        what arrived before it. A service publishes its outbox in order and the tap reads the
        stream in order, so once the marker is here nothing caused earlier is still on its way:
        "nothing more came" is shown without a fixed sleep."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            current = [e for e, _ in self.events]
            for i, event in enumerate(current):
                if marker(event):
                    return current[:i]
            await asyncio.sleep(0.02)
        seen = [e.type for e, _ in self.events]
        raise AssertionError(f"marker event not seen in {timeout} s; got {seen}")


async def open_tap(url: str, stream: str) -> AsyncIterator[EventTap]:
    nc = await nats.connect(url)
    js = nc.jetstream()
    tap = EventTap()

    async def on_message(msg: Any) -> None:
        tap.events.append((CloudEvent.model_validate_json(msg.data), dict(msg.headers or {})))

    for _ in range(100):  # the service under test declares the streams when it starts
        try:
            await js.stream_info(stream)
            break
        except Exception:
            await asyncio.sleep(0.05)
    sub = await js.subscribe(
        f"{stream.lower()}.>",
        stream=stream,
        ordered_consumer=True,
        cb=on_message,
        config=ConsumerConfig(deliver_policy=DeliverPolicy.NEW),
    )
    try:
        yield tap
    finally:
        await sub.unsubscribe()
        await nc.close()


@contextlib.asynccontextmanager
async def serve(
    app: FastAPI, runtime: Runtime, timeout: float = 20.0
) -> AsyncIterator[httpx.AsyncClient]:
    """Run a service in-process with its real lifespan (broker, relay, consumers) and hand out
    an HTTP client for it; returns once the broker is connected and its consumers started."""
    async with app.router.lifespan_context(app):
        await asyncio.wait_for(runtime.broker_ready.wait(), timeout)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
            yield client
