"""Where a notice leads: every Polish link the notifications service writes (in the inbox and in
its e-mails) must open an existing page of this front end."""

from __future__ import annotations

import uuid

import pytest
from fastapi.routing import APIRoute
from starlette.routing import Match

from web.bootstrap import ROUTERS
from web.routes.notifications import page_for

CASE = str(uuid.uuid4())
REFERRAL = str(uuid.uuid4())
OFFERING = str(uuid.uuid4())
PARTNERSHIP = str(uuid.uuid4())

# The links of notifications.service.notices and notifications.adapters.reminders.
LINKS = {
    f"/sprawy/{CASE}": f"/cases/{CASE}",
    f"/sprawy/{CASE}/skierowania/{REFERRAL}": f"/cases/{CASE}/referrals#referral-{REFERRAL}",
    f"/partnerstwa/{PARTNERSHIP}": "/partnership",
    f"/koszyk/{OFFERING}": f"/basket/{OFFERING}",
}


@pytest.fixture(scope="module")
def get_routes() -> list[APIRoute]:
    # the app's routes, in the order the app includes them
    return [
        r
        for router in ROUTERS
        for r in router.routes
        if isinstance(r, APIRoute) and "GET" in r.methods
    ]


def route_for(routes: list[APIRoute], path: str) -> APIRoute | None:
    scope = {"type": "http", "method": "GET", "path": path.split("#")[0]}
    return next((r for r in routes if r.matches(scope)[0] == Match.FULL), None)


@pytest.mark.parametrize(("link", "page"), LINKS.items())
def test_each_link_leads_to_an_existing_page(
    get_routes: list[APIRoute], link: str, page: str
) -> None:
    assert page_for(link) == page
    route = route_for(get_routes, page)
    assert route is not None, page
    # not the Polish catch-all itself, and for a case the workspace, not the error page
    assert not route.path.startswith(("/sprawy", "/koszyk", "/partnerstwa"))
    # the e-mails link to the Polish path on this app: it answers too
    assert route_for(get_routes, link) is not None


def test_a_referral_opens_at_the_referral_on_the_cases_page() -> None:
    target = page_for(f"/sprawy/{CASE}/skierowania/{REFERRAL}")
    assert target is not None
    path, _, anchor = target.partition("#")
    assert path == f"/cases/{CASE}/referrals"
    assert anchor == f"referral-{REFERRAL}"  # the id of the referral's article (_referral.html)


def test_links_the_front_end_does_not_know_lead_nowhere() -> None:
    assert page_for(None) is None
    assert page_for("/sprawy/") is None
    assert page_for("/koszyk/not-a-uuid") is None
    assert page_for("https://example.org/sprawy/" + CASE) is None
