"""The web front end's /readyz (ADR 0014): ready while it can sign people in and keep their
sessions — the issuer answers its discovery document and the session store answers. The backend
services are reported, not required: a page whose service is down is a friendly 503 page
(`error.unavailable`), while every other page, and the public basket pages, keep working."""

from __future__ import annotations

import asyncio

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from web.deps import Web

router = APIRouter(include_in_schema=False)

TIMEOUT_SECONDS = 2.0
MEDIA_TYPE = "application/problem+json"
_NAMES = {"issuer": "dostawca tożsamości (logowanie)", "sessions": "magazyn sesji"}


async def _answers(http: httpx.AsyncClient, url: str) -> str:
    try:
        response = await http.get(url, timeout=TIMEOUT_SECONDS)
    except httpx.HTTPError:
        return "down"
    return "ok" if response.status_code == 200 else "down"


async def _sessions(web: Web) -> str:
    try:
        await asyncio.wait_for(web.store.get("readiness-probe"), TIMEOUT_SECONDS)
    except Exception:
        return "down"
    return "ok"


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    web: Web = request.app.state.web
    settings = web.settings
    services = {
        "partners": settings.partners_url,
        "basket": settings.basket_url,
        "cases": settings.cases_url,
        "notifications": settings.notifications_url,
        "evaluation": settings.evaluation_url,
    }
    issuer, sessions, *states = await asyncio.gather(
        _answers(web.http, f"{web.oidc.issuer}/.well-known/openid-configuration"),
        _sessions(web),
        *(_answers(web.http, f"{url.rstrip('/')}/healthz") for url in services.values()),
    )
    checks = {"issuer": issuer, "sessions": sessions}
    service_states = dict(zip(services, states, strict=True))
    missing = [name for name, state in checks.items() if state != "ok"]
    degraded = [name for name, state in service_states.items() if state != "ok"]
    body = {**checks, "services": service_states, "degraded": degraded}
    if not missing:
        return JSONResponse({"status": "ready", **body})
    return JSONResponse(
        {
            "type": "https://cus.gov.pl/problems/not-ready",
            "title": "Usługa chwilowo niedostępna",
            "status": 503,
            "detail": "Niedostępne: " + ", ".join(_NAMES[n] for n in missing) + ".",
            "instance": "/readyz",
            **body,
        },
        status_code=503,
        media_type=MEDIA_TYPE,
        headers={"Retry-After": "5"},
    )
