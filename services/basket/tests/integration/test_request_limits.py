"""Inputs that once made the basket answer 500 or search for U+FFFD (issue 12): every list route
bounds `page` and `per_page` the one shared way (the public HSDS routes included, which keep
HSDS's field names), NUL and bytes not in UTF-8 are refused naming the parameter (ADR 0009)."""

from __future__ import annotations

import pytest

from shared.guard import DEFAULT_MAX_BODY
from shared.paging import MAX_PAGE

A = "1219053"
LISTS = [
    ("/v1/offerings", True),
    (f"/v1/public/{A}/offerings", False),
    ("/hsds/services", False),
    ("/hsds/organizations", False),
]


def problem(response, status: int) -> list[tuple[str, str]]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    return [(e["location"], e["field"]) for e in body["errors"]]


@pytest.mark.parametrize(("route", "signed_in"), LISTS)
@pytest.mark.parametrize(
    ("query", "field"),
    [
        (f"page={2**63}", "page"),
        (f"page={MAX_PAGE + 1}", "page"),
        ("page=0", "page"),
        ("per_page=201", "per_page"),
        ("per_page=0", "per_page"),
    ],
)
async def test_every_list_bounds_its_paging(module_basket, route, signed_in, query, field):
    headers = await module_basket.tokens.headers("coord-a") if signed_in else {}
    response = await module_basket.client.get(f"{route}?{query}", headers=headers)
    assert problem(response, 422) == [("query", field)]


@pytest.mark.parametrize(("route", "signed_in"), LISTS)
async def test_the_last_allowed_page_is_an_empty_page(module_basket, route, signed_in):
    headers = await module_basket.tokens.headers("coord-a") if signed_in else {}
    response = await module_basket.client.get(
        f"{route}?page={MAX_PAGE}&per_page=200", headers=headers
    )
    assert response.status_code == 200, response.text
    body = response.json()
    if route.startswith("/hsds/"):
        assert body["contents"] == []
        assert body["page_number"] == MAX_PAGE
        assert (body["size"], body["last_page"]) == (0, True)
    else:
        assert body["items"] == []
        assert (body["page"], body["per_page"]) == (MAX_PAGE, 200)


@pytest.mark.parametrize(
    ("url", "status", "where"),
    [
        ("/hsds/services?search=%FF", 400, ("query", "search")),
        ("/hsds/organizations?search=ab%C3", 400, ("query", "search")),
        (f"/v1/public/{A}/offerings?q=%FF%FE", 400, ("query", "q")),
        ("/hsds/services?search=a%00", 422, ("query", "search")),
        (f"/v1/public/{A}/offerings?q=%00", 422, ("query", "q")),
        ("/v1/public/12190%0053/offerings", 422, ("path", "tenant")),
        ("/v1/public/12190%FF/offerings", 400, ("path", "tenant")),
        ("/v1/public/12190%FF/export.json", 400, ("path", "tenant")),
    ],
)
async def test_nul_or_bytes_not_in_utf8_are_refused_naming_the_parameter(
    module_basket, url, status, where
):
    assert problem(await module_basket.client.get(url), status) == [where]


async def test_a_body_above_the_limit_is_refused(basket, new_offering):
    body = new_offering("7a1c3e52-5d0b-4a53-9b1e-2f6d0c8a0001", description="x" * DEFAULT_MAX_BODY)
    response = await basket.client.post(
        "/v1/offerings", json=body, headers=await basket.tokens.headers("partner-a")
    )
    assert problem(response, 413) == [("body", "body")]
