"""The web front end is ready while the issuer and its session store answer; a backend service
that is down is reported (its pages say so), not a reason to refuse (ADR 0014)."""

from __future__ import annotations

import httpx

from shared.testing.issuer import RunningIssuer
from shared.testing.servers import free_port
from web.bootstrap import create_app
from web.config import WebSettings


async def _readyz(settings: WebSettings) -> httpx.Response:
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://web") as client:
        return await client.get("/readyz")


def _settings(issuer: str) -> WebSettings:
    down = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    return WebSettings(
        oidc_issuer=issuer,
        session_secret="s",
        partners_url=down,
        basket_url=down,
        cases_url=down,
        notifications_url=down,
        evaluation_url=down,
    )


async def test_ready_with_the_issuer_even_while_the_services_are_down(
    issuer: RunningIssuer,
) -> None:
    response = await _readyz(_settings(issuer.issuer_url))
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["issuer"], body["sessions"]) == ("ready", "ok", "ok")
    assert body["services"]["basket"] == "down"
    assert set(body["degraded"]) == {"partners", "basket", "cases", "notifications", "evaluation"}


async def test_not_ready_while_the_issuer_is_down() -> None:
    response = await _readyz(_settings(f"http://127.0.0.1:{free_port()}/realms/cus"))
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert "retry-after" in response.headers
    body = response.json()
    assert body["title"] == "Usługa chwilowo niedostępna"
    assert body["detail"] == "Niedostępne: dostawca tożsamości (logowanie)."
    assert body["issuer"] == "down"
