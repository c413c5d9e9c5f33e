"""The start page: public for visitors, fitted to the role of a signed-in user."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from shared import clock
from web.deps import OptionalSession, User, render, signed_in_user
from web.routes.basket import stale_summary as basket_stale_summary
from web.routes.cases import home_summary as cases_summary
from web.routes.evaluation import monitoring_summary
from web.routes.notifications import unread_summary
from web.routes.partners import parse_time

router = APIRouter(tags=["home"])


async def coordinator_summary(user: User) -> dict[str, Any]:
    """The coordinator's partnership at a glance: members, coordinators, gaps, next meetings."""
    client = user.partners()
    partnerships = await client.partnerships()
    if not partnerships:
        return {"partnership": None}
    partnership = partnerships[0]
    coverage = await client.coverage(partnership["id"])
    meetings = await client.meetings(partnership["id"], status="scheduled")
    now = clock.now()
    upcoming = sorted(
        (m for m in meetings["items"] if parse_time(m["starts_at"]) >= now),
        key=lambda m: parse_time(m["starts_at"]),
    )[:3]
    return {"partnership": partnership, "coverage": coverage, "upcoming": upcoming}


@router.get("/")
async def home(request: Request, session: OptionalSession) -> Response:
    if session is None or not session.signed_in:
        return render(request, "home_public.html")
    user = await signed_in_user(request, session)
    context: dict[str, Any] = {"roles": sorted(user.principal.roles)}
    if user.is_coordinator:
        context.update(await coordinator_summary(user))
        context.update(await basket_stale_summary(user))
    context.update(await cases_summary(user))
    context.update(await unread_summary(user))
    context.update(await monitoring_summary(user))
    return render(request, "home.html", context)


@router.get("/healthz", include_in_schema=False)
async def healthz() -> dict[str, str]:
    return {"status": "ok"}
