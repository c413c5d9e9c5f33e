"""What every service process wires at start: engine, sessions, broker, outbox relay, token
verifier, and the FastAPI app whose lifespan starts and stops them.

A service's `bootstrap.py` calls `build_runtime` and `create_app`; nothing here runs at import.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import APIRouter, FastAPI, Response
from fastapi.responses import JSONResponse
from faststream.nats import NatsBroker
from nats.aio.client import Client as NatsClient
from opentelemetry.sdk.trace import TracerProvider
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from shared.auth.tokens import TokenVerifier
from shared.caching import NoStoreByDefault
from shared.clock import SYSTEM, Clock, clock_starting_at, install
from shared.config import ServiceSettings
from shared.db.engine import create_engine, create_read_engine, session_factory
from shared.errors.problems import MEDIA_TYPE, PROBLEM_BASE, install_problem_handlers
from shared.guard import DEFAULT_MAX_BODY, RequestGuard
from shared.messaging import retention as inbox_retention
from shared.messaging.asyncapi import asyncapi_json, declare_publishers
from shared.messaging.broker import make_broker, start_broker
from shared.messaging.consumer import stop_consumers
from shared.messaging.outbox import OutboxRelay
from shared.observability.tracing import configure_tracing, instrument_app
from shared.openapi import body_limit_note, install_openapi

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    service: str
    settings: ServiceSettings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    broker: NatsBroker
    relay: OutboxRelay
    tracer_provider: TracerProvider
    http: httpx.AsyncClient
    verifier: TokenVerifier
    background: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    broker_ready: asyncio.Event = field(default_factory=asyncio.Event)
    # Reads that write nothing transactional (at most one statement that stands alone, like an
    # access-log entry) go through an autocommit engine without pre-ping: no BEGIN, COMMIT or
    # ping round trips around them (ADR 0007). Its pool opens connections only when used.
    read_engine: AsyncEngine | None = None
    read_sessions: async_sessionmaker[AsyncSession] | None = None
    # A service that publishes no events (evaluation) has no outbox: no relay runs for it.
    publishes: bool = True
    # Whether /readyz answers 503 while NATS is down (ADR 0014): a service that consumes events
    # cannot do its work without it; a producer only (partners) still commits its changes and
    # their events to the outbox, so for it NATS down is reported but not a reason to refuse.
    requires_nats: bool = True
    # The business clock (ADR 0015): the real time, or CLOCK_START's shifted one.
    clock: Clock = SYSTEM
    # Whether the runtime prunes the inbox daily (ADR 0018); False where the service's own
    # retention job does it (cases, notifications).
    prunes_inbox: bool = True

    def nats_connection(self) -> NatsClient | None:
        if not self.broker_ready.is_set():
            return None
        try:
            return self.broker.connection
        except Exception:
            return None


def build_runtime(
    service: str,
    settings: ServiceSettings,
    *,
    publishes: bool = True,
    requires_nats: bool = True,
) -> Runtime:
    provider = configure_tracing(service)
    engine = create_engine(settings.database_url, pool_size=settings.db_pool_size)
    broker = make_broker(settings.nats_url, service=service, tracer_provider=provider)
    http = httpx.AsyncClient(timeout=10.0)
    runtime = Runtime(
        service=service,
        settings=settings,
        engine=engine,
        sessions=session_factory(engine),
        broker=broker,
        relay=OutboxRelay(engine, lambda: None),
        tracer_provider=provider,
        http=http,
        verifier=TokenVerifier(
            settings.oidc_issuer,
            settings.oidc_audience,
            http=http,
            refresh_interval=settings.jwks_refresh_interval_s,
        ),
        publishes=publishes,
        requires_nats=requires_nats,
        clock=clock_starting_at(settings.clock_start),
    )
    install(runtime.clock)
    # The relay has a pool of its own: under load it must not queue behind request handlers for
    # a connection (measured: that queueing was the event path's p99).
    runtime.relay = OutboxRelay(
        create_engine(settings.database_url, pool_size=1), runtime.nats_connection
    )
    runtime.read_engine = create_read_engine(settings.database_url, pool_size=settings.db_pool_size)
    runtime.read_sessions = session_factory(runtime.read_engine)
    declare_publishers(broker, service)
    return runtime


async def _run_forever(name: str, job: Callable[[], Awaitable[None]]) -> None:
    while True:
        try:
            await job()
            return
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("background task failed; restarting", extra={"task": name})
            await asyncio.sleep(1.0)


def freeze_startup_objects() -> None:
    """Move everything alive after start-up (modules, the ORM's and pydantic's machinery, pools)
    out of the cyclic garbage collector's reach, as `gc.freeze()` documents for servers.

    Without it every full collection walks those ~150,000 objects again: measured in the event
    path benchmark, a 170–190 ms pause of the whole process a few times a minute, which stalls
    every request, relay batch and consumer in it and made the event path's p99 (ADR 0008).
    Objects created afterwards are collected as before. Once per process: the tests start many
    services in one process, whose later garbage must stay collectable.
    """
    global _frozen
    if _frozen:
        return
    _frozen = True
    gc.collect()
    gc.freeze()


_frozen = False


@contextlib.asynccontextmanager
async def running(runtime: Runtime) -> AsyncIterator[None]:
    """Start the broker (in the background, so the API serves even while NATS is down), the
    outbox relay and the service's background jobs; stop them all on exit."""

    async def connect() -> None:
        await start_broker(
            runtime.broker,
            stream_max_bytes=runtime.settings.stream_max_bytes,
            stream_max_age_days=runtime.settings.stream_max_age_days,
        )
        runtime.broker_ready.set()
        runtime.relay.wake()

    tasks = [asyncio.create_task(connect(), name="broker")]
    if runtime.publishes:
        relay = _run_forever("outbox-relay", runtime.relay.run)
        tasks.append(asyncio.create_task(relay, name="relay"))
    tasks += [
        asyncio.create_task(_run_forever(job.__name__, job), name=job.__name__)
        for job in runtime.background
    ]
    interval = runtime.settings.retention_interval_s
    if runtime.prunes_inbox and interval > 0:
        days = runtime.settings.retention_inbox_days
        pruning = _run_forever(
            "inbox-retention",
            lambda: inbox_retention.run_periodically(runtime.engine, days, interval),
        )
        tasks.append(asyncio.create_task(pruning, name="inbox-retention"))
    freeze_startup_objects()
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        _, stuck = await asyncio.wait(tasks, timeout=5.0)
        for task in stuck:
            log.error("background task did not stop in time", extra={"task": task.get_name()})
        with contextlib.suppress(Exception):
            await runtime.broker.stop()
        await stop_consumers(runtime.broker)
        await runtime.http.aclose()
        await runtime.engine.dispose()
        await runtime.relay.engine.dispose()
        if runtime.read_engine is not None:
            await runtime.read_engine.dispose()


READY_TIMEOUT_SECONDS = 2.0


async def _database_ok(engine: AsyncEngine) -> bool:
    async def probe() -> None:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    try:
        await asyncio.wait_for(probe(), READY_TIMEOUT_SECONDS)
    except Exception:
        return False
    return True


async def readiness(runtime: Runtime) -> JSONResponse:
    """200 when every dependency the service cannot work without answers, else 503 as problem
    details; either way the body says which is up (`ok`) and which is `down` (ADR 0014)."""
    nc = runtime.nats_connection()
    checks = {
        "database": "ok" if await _database_ok(runtime.engine) else "down",
        "nats": "ok" if nc is not None and nc.is_connected else "down",
    }
    required = ["database", "nats"] if runtime.requires_nats else ["database"]
    missing = [name for name in required if checks[name] != "ok"]
    degraded = [name for name, state in checks.items() if state != "ok" and name not in missing]
    if not missing:
        return JSONResponse({"status": "ready", **checks, "degraded": degraded})
    names = {"database": "baza danych", "nats": "NATS (zdarzenia)"}
    return JSONResponse(
        {
            "type": PROBLEM_BASE + "not-ready",
            "title": "Usługa chwilowo niedostępna",
            "status": 503,
            "detail": "Niedostępne: " + ", ".join(names[n] for n in missing) + ".",
            "instance": "/readyz",
            **checks,
            "required": required,
        },
        status_code=503,
        media_type=MEDIA_TYPE,
        headers={"Retry-After": "5"},
    )


def create_app(
    runtime: Runtime,
    *,
    title: str,
    description: str,
    routers: Sequence[APIRouter],
    openapi_tags: list[dict[str, Any]] | None = None,
    version: str = "0.1.0",
    max_body: int = DEFAULT_MAX_BODY,
) -> FastAPI:
    """The service's app. `max_body` is the largest request body it reads, in bytes (413 above
    it, before parsing; ADR 0009)."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with running(runtime):
            yield

    app = FastAPI(
        title=title,
        description=description + body_limit_note(max_body),
        version=version,
        lifespan=lifespan,
        openapi_tags=openapi_tags,
        docs_url="/docs",
        openapi_url="/openapi.json",
    )
    app.state.runtime = runtime
    app.state.token_verifier = runtime.verifier
    install_problem_handlers(app)
    install_openapi(app, issuer=runtime.settings.oidc_issuer)
    app.add_middleware(RequestGuard, max_body=max_body)
    app.add_middleware(NoStoreByDefault)  # outside the guard: its refusals carry it too
    for router in routers:
        app.include_router(router)

    @app.get("/asyncapi.json", include_in_schema=False)
    async def asyncapi() -> Response:
        """The AsyncAPI 3 document of the events this service publishes and consumes."""
        return Response(
            asyncapi_json(runtime.broker, title=f"{title} – zdarzenia", version=version),
            media_type="application/json",
        )

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> JSONResponse:
        return await readiness(runtime)

    instrument_app(app)
    return app
