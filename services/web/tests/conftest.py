"""Fixtures of the web tests: the dev issuer, the partners, basket and cases services and the web
app, each on a real port (the web app calls the services over HTTP, the services exchange events
over NATS, and the browser talks to the web app and the issuer)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI

from basket.bootstrap import bootstrap as basket_bootstrap
from basket.config import BasketSettings
from cases.adapters.crypto import new_key
from cases.bootstrap import bootstrap as cases_bootstrap
from cases.config import CasesSettings
from evaluation.bootstrap import bootstrap as evaluation_bootstrap
from evaluation.config import EvaluationSettings
from notifications.bootstrap import bootstrap as notifications_bootstrap
from notifications.config import NotificationsSettings
from partners.bootstrap import bootstrap as partners_bootstrap
from partners.config import PartnersSettings
from shared.testing.issuer import RunningIssuer, start_issuer
from shared.testing.plugin import REPO_ROOT, Databases, Tokens
from web.bootstrap import create_app
from web.config import WebSettings

REALM_FILE = REPO_ROOT / "deploy" / "keycloak" / "realm-cus.json"
# The realm allows cus-web back only to port 8100; when we start the issuer ourselves, we give it
# a copy of the realm that allows the port the test's web app listens on.
REALM_WEB_PORT = 8100


class _Server(uvicorn.Server):
    """uvicorn inside the test's event loop; the test runner keeps its own signal handlers."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def bound_socket(port: int = 0) -> socket.socket:
    """A listening address held from the start, so no other process can take the port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    return sock


@contextlib.asynccontextmanager
async def run_server(app: FastAPI, sock: socket.socket) -> AsyncIterator[str]:
    port = sock.getsockname()[1]
    server = _Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    for _ in range(400):
        if server.started or task.done():
            break
        await asyncio.sleep(0.025)
    if not server.started:
        server.should_exit = True
        await task
        raise RuntimeError(f"server on port {port} did not start")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 15)


# A second case manager of Wieliczka (manager-a's municipality; manager-b works in Niepołomice),
# so a case can be handed over to someone who then sees it (ADR 0023). Only in the tests' copy.
SECOND_MANAGER = {
    "id": "0c1d2e3f-4a5b-4c6d-8e7f-a0b1c2d3e4f5",
    "username": "manager-c",
    "enabled": True,
    "emailVerified": True,
    "firstName": "Ewa",
    "lastName": "Mazur",
    "email": "manager-c@example.org",
    "credentials": [{"type": "password", "value": "demo", "temporary": False}],
    "realmRoles": ["case-manager"],
    "groups": ["/tenants/1219053"],
}


def realm_for_port(port: int, target: Path) -> Path:
    realm = json.loads(REALM_FILE.read_text(encoding="utf-8"))
    if not any(u["username"] == SECOND_MANAGER["username"] for u in realm["users"]):
        realm["users"].append(SECOND_MANAGER)
    for client in realm["clients"]:
        if client["clientId"] == "cus-web":
            client["redirectUris"] = [f"http://127.0.0.1:{port}/*"]
            client["attributes"]["post.logout.redirect.uris"] = f"http://127.0.0.1:{port}/*"
    target.write_text(json.dumps(realm), encoding="utf-8")
    return target


@dataclass
class Stack:
    web_url: str
    partners_url: str
    basket_url: str
    cases_url: str
    notifications_url: str
    evaluation_url: str
    issuer: RunningIssuer
    tokens: Tokens


@pytest.fixture(scope="module")
async def stack(
    databases: Databases, nats_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Stack]:
    work = tmp_path_factory.mktemp("web")
    external = bool(os.environ.get("OIDC_ISSUER"))
    web_socket = bound_socket(REALM_WEB_PORT if external else 0)
    web_port = web_socket.getsockname()[1]
    issuer = await start_issuer(
        None,
        work / "issuer",
        realm_file=None if external else realm_for_port(web_port, work / "realm.json"),
    )
    common: dict[str, object] = {
        "nats_url": nats_url,
        "oidc_issuer": issuer.issuer_url,
        "db_pool_size": 3,
    }
    partners_app, _ = partners_bootstrap(
        PartnersSettings(database_url=await databases.create("partners"), **common)  # type: ignore[arg-type]
    )
    basket_app, _ = basket_bootstrap(
        BasketSettings(database_url=await databases.create("basket"), **common)  # type: ignore[arg-type]
    )
    cases_app, _ = cases_bootstrap(
        CasesSettings(
            database_url=await databases.create("cases"),
            cases_pesel_key=new_key(),
            cases_pesel_hash_key=new_key(),
            **common,  # type: ignore[arg-type]
        )
    )
    notifications_app, _ = notifications_bootstrap(
        NotificationsSettings(
            database_url=await databases.create("notifications"),
            web_base_url=f"http://127.0.0.1:{web_port}",
            smtp_port=bound_socket().getsockname()[1],  # nothing listens: mail waits and retries
            **common,  # type: ignore[arg-type]
        )
    )
    evaluation_app, _, _ = evaluation_bootstrap(
        EvaluationSettings(database_url=await databases.create("evaluation"), **common)  # type: ignore[arg-type]
    )
    try:
        async with (
            run_server(partners_app, bound_socket()) as partners_url,
            run_server(basket_app, bound_socket()) as basket_url,
            run_server(cases_app, bound_socket()) as cases_url,
            run_server(notifications_app, bound_socket()) as notifications_url,
            run_server(evaluation_app, bound_socket()) as evaluation_url,
        ):
            web_app = create_app(
                WebSettings(
                    public_url=f"http://127.0.0.1:{web_port}",
                    oidc_issuer=issuer.issuer_url,
                    partners_url=partners_url,
                    basket_url=basket_url,
                    cases_url=cases_url,
                    notifications_url=notifications_url,
                    evaluation_url=evaluation_url,
                    session_secret="test-secret",
                )
            )
            async with run_server(web_app, web_socket) as web_url:
                yield Stack(
                    web_url=web_url,
                    partners_url=partners_url,
                    basket_url=basket_url,
                    cases_url=cases_url,
                    notifications_url=notifications_url,
                    evaluation_url=evaluation_url,
                    issuer=issuer,
                    tokens=Tokens(issuer),
                )
    finally:
        web_socket.close()
        issuer.stop()
