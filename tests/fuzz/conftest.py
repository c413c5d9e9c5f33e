"""Fuzzing every service's OpenAPI with schemathesis against the real stack.

Each service runs as `./run` starts it (`uvicorn --factory <service>.bootstrap:app`, its own
process) against the suite's real PostgreSQL, a nats-server of these tests' own and the
development OIDC issuer. Schemathesis' engine (the one behind `schemathesis run`) runs all its
phases against the service over HTTP on the loopback, once per demo user, with that user's access
token, on the operations the user's roles may call (read from the routes' `require_role`
dependencies), with every check it has. Seeded and derandomized, with no example database on
disk, so a run is the same every time.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.routing import APIRoute
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events
from schemathesis.engine import from_schema as engine_for
from schemathesis.engine.statistic import Statistic

from shared.auth.roles import Role
from shared.testing.issuer import RunningIssuer
from shared.testing.plugin import REPO_ROOT, Databases
from shared.testing.servers import NatsServer, free_port

# The demo users of the realm (deploy/keycloak/realm-cus.json) and their realm roles.
USERS: dict[str, frozenset[Role]] = {
    "coord-a": frozenset({Role.COORDINATOR}),
    "manager-a": frozenset({Role.CASE_MANAGER}),
    "partner-a": frozenset({Role.PARTNER_STAFF, Role.PARTNER_EDITOR}),
    "director-a": frozenset({Role.DIRECTOR}),
    "analyst": frozenset({Role.ANALYST}),
    "admin": frozenset({Role.REGIONAL_ADMIN}),
}

SEED = 20261207
# Examples per operation and phase for the fuzzing (random) phase; the examples and coverage
# phases add their own deterministic cases, the stateful phase its own steps.
MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "10"))


def required_roles(app: FastAPI) -> dict[tuple[str, str], list[frozenset[Role]]]:
    """(METHOD, path) → the role sets its `require_role` dependencies ask for (each must hold)."""

    def walk(dependant: Any) -> Iterator[frozenset[Role]]:
        for dep in dependant.dependencies:
            call = dep.call
            if getattr(call, "__qualname__", "") == "require_role.<locals>.check":
                cells = [c.cell_contents for c in call.__closure__ or ()]
                roles = next(c for c in cells if isinstance(c, tuple))
                yield frozenset(Role(r) for r in roles)
            yield from walk(dep)

    def routes(items: list[Any]) -> Iterator[APIRoute]:
        for route in items:
            if isinstance(route, APIRoute):
                yield route
            elif hasattr(route, "original_router"):  # an included router (FastAPI ≥ 0.160)
                yield from routes(route.original_router.routes)

    out: dict[tuple[str, str], list[frozenset[Role]]] = {}
    for route in routes(app.routes):
        if route.include_in_schema:
            for method in route.methods:
                out[(method.upper(), route.path_format)] = list(walk(route.dependant))
    documented = {
        (method.upper(), path) for path, item in app.openapi()["paths"].items() for method in item
    }
    assert documented
    assert documented == set(out), documented ^ set(out)
    return out


def allowed(user: str, requirements: list[frozenset[Role]]) -> bool:
    return all(USERS[user] & roles for roles in requirements)


@dataclass
class Stack:
    """The servers the services under test use."""

    databases: Databases
    nats_url: str
    issuer: RunningIssuer
    logs: Path
    smtp_port: int

    def token(self, user: str) -> str:
        response = httpx.post(
            f"{self.issuer.issuer_url}/protocol/openid-connect/token",
            data={
                "grant_type": "password",
                "client_id": "cus-cli",
                "username": user,
                "password": "demo",
                "scope": "openid",
            },
        )
        response.raise_for_status()
        return str(response.json()["access_token"])


@dataclass
class Running:
    name: str
    url: str
    log: Path
    process: subprocess.Popen[bytes]

    def log_tail(self, lines: int = 80) -> str:
        text = self.log.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])


@contextlib.contextmanager
def run_service(
    stack: Stack, name: str, database_url: str, env: dict[str, str] | None = None
) -> Iterator[Running]:
    """The service as `./run` starts it, on a free port; stopped at the end."""
    port = free_port()
    log = stack.logs / f"{name}.log"
    environ = {
        **os.environ,
        "DATABASE_URL": database_url,
        "NATS_URL": stack.nats_url,
        "OIDC_ISSUER": stack.issuer.issuer_url,
        "LOG_LEVEL": "WARNING",
        "DB_POOL_SIZE": "5",
        "SMTP_PORT": str(stack.smtp_port),
        "PYTHONUNBUFFERED": "1",
        **(env or {}),
    }
    with log.open("ab") as out:
        process = subprocess.Popen(
            [
                *(sys.executable, "-m", "uvicorn", "--factory", f"{name}.bootstrap:app"),
                *("--host", "127.0.0.1", "--port", str(port), "--no-access-log"),
            ],
            cwd=REPO_ROOT,
            env=environ,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    running = Running(name, f"http://127.0.0.1:{port}", log, process)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise AssertionError(f"{name} exited while starting:\n{running.log_tail()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{running.url}/healthz", timeout=1).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise AssertionError(f"{name} did not start:\n{running.log_tail()}")
            time.sleep(0.1)
        yield running
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def engine_config(token: str) -> SchemathesisConfig:
    return SchemathesisConfig.from_dict(
        {
            "seed": SEED,
            "headers": {"Authorization": f"Bearer {token}"},
            "request-timeout": 10,
            # The unread stream (text/event-stream) sends its first event at once and the next
            # only when the count changes: read one, or each call would wait for the timeout.
            "max-stream-events": 1,
            "workers": 1,
            "generation": {
                "mode": "all",
                "max-examples": MAX_EXAMPLES,
                "deterministic": True,
                "database": "none",
            },
            # Every check schemathesis has. A schema-valid request may still be refused with 422
            # here: checksums (REGON, NIP, PESEL), cross-field and state rules, and references
            # to what does not exist in the caller's municipality are not JSON Schema; the
            # refusal names the field (RFC 9457). 422 is accepted as an answer to valid data
            # for that reason only; every other status the check expects is unchanged.
            "checks": {
                "enabled": True,
                "positive_data_acceptance": {
                    "expected-statuses": ["2xx", "3xx", "401", "403", "404", "409", "422", "429"]
                },
            },
            "phases": {"stateful": {"max-steps": 20}},
        }
    )


@dataclass
class Summary:
    service: str
    operations: set[str] = field(default_factory=set)
    cases: int = 0
    by_user: dict[str, tuple[int, int]] = field(default_factory=dict)
    failures: Counter[str] = field(default_factory=Counter)
    reports: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def line(self) -> str:
        failures = ", ".join(f"{k} {v}" for k, v in sorted(self.failures.items())) or "none"
        users = ", ".join(f"{u} {o} ops/{c} cases" for u, (o, c) in self.by_user.items())
        return (
            f"schemathesis {self.service}: {len(self.operations)} operations, {self.cases} cases, "
            f"failures: {failures}; errors: {len(self.errors)} ({users})"
        )


def fuzz_service(
    stack: Stack,
    running: Running,
    app: FastAPI,
    users: list[str],
    skip: Callable[[str, str], bool] | None = None,
) -> Summary:
    """Every operation of the service, with each user in `users` that may call it."""
    requirements = required_roles(app)
    summary = Summary(running.name)
    all_ops = set(requirements)
    reached: set[tuple[str, str]] = set()
    for user in users:
        ops = {
            op
            for op, req in requirements.items()
            if allowed(user, req) and not (skip and skip(*op))
        }
        if not ops:
            continue
        reached |= ops
        config = engine_config(stack.token(user))
        schema = schemathesis.openapi.from_url(f"{running.url}/openapi.json", config=config)
        schema = schema.include(
            lambda ctx, ops=ops: (ctx.operation.method.upper(), ctx.operation.path) in ops
        )
        statistic = Statistic()
        user_cases = 0
        for event in engine_for(schema).execute():
            if isinstance(event, events.ScenarioFinished):
                statistic.on_scenario_finished(event.recorder)
                user_cases += len(event.recorder.cases)
            elif isinstance(event, events.NonFatalError):
                summary.errors.append(f"[{user}] {event.label}: {event.info.format()}")
            elif isinstance(event, events.FatalError):
                summary.errors.append(f"[{user}] fatal: {event.exception!r}")
        summary.cases += user_cases
        summary.by_user[user] = (len(ops), user_cases)
        summary.operations |= {f"{m} {p}" for m, p in ops}
        for label, grouped in statistic.failures.items():
            for group in grouped.values():
                for failure in group.failures:
                    summary.failures[type(failure).__name__] += 1
                response = group.response
                status = response.status_code if response is not None else "-"
                body = response.content[:400].decode(errors="replace") if response else ""
                summary.reports.append(
                    f"[{user}] {label} → {status} {body}\n"
                    + "\n".join(f"  - {f.title}: {f.message[:600]}" for f in group.failures)
                    + f"\n  {group.code_sample}"
                )
    assert summary.cases > 0
    missing = all_ops - reached - {op for op in all_ops if skip and skip(*op)}
    assert not missing, f"operations no fuzzed user may call: {sorted(missing)}"
    return summary


def report(summary: Summary, running: Running) -> None:
    print()
    for text in summary.reports:
        print(text)
    for text in summary.errors:
        print(text)
    print(summary.line())
    problems = summary.reports or summary.errors
    if problems:
        print(f"--- the end of the {running.name} log ---\n{running.log_tail(200)}")
    assert not problems, summary.line()


@pytest.fixture(scope="session")
def fuzz_nats(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A nats-server of the fuzz tests' own: what the fuzzer makes services publish stays here."""
    server = NatsServer(tmp_path_factory.mktemp("fuzz-nats")).start()
    yield server.url
    server.stop()


@dataclass
class Fuzz:
    """What a service's fuzz test uses: `run_service`, `fuzz_service`, `report` on one stack."""

    stack: Stack

    def service(
        self, name: str, database_url: str, env: dict[str, str] | None = None
    ) -> contextlib.AbstractContextManager[Running]:
        return run_service(self.stack, name, database_url, env)

    def run(
        self,
        running: Running,
        app: FastAPI,
        users: list[str],
        skip: Callable[[str, str], bool] | None = None,
    ) -> Summary:
        return fuzz_service(self.stack, running, app, users, skip)

    report = staticmethod(report)


@pytest.fixture(scope="session")
def fuzz(stack: Stack) -> Fuzz:
    return Fuzz(stack)


@pytest.fixture(scope="session")
async def stack(
    databases: Databases,
    fuzz_nats: str,
    issuer: RunningIssuer,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[Stack]:
    from notifications.devsmtp import start as start_smtp

    smtp_port = free_port()
    controller, _ = start_smtp(smtp_port)
    try:
        yield Stack(databases, fuzz_nats, issuer, tmp_path_factory.mktemp("fuzz-logs"), smtp_port)
    finally:
        controller.stop()
