"""Inputs that once made notifications answer 500 (issue 12): pages, the feed's cursor and bigint
keys beyond PostgreSQL's range, NUL in a text field (ADR 0009). Each a 4xx naming the field."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from shared.paging import MAX_PAGE

BIG = 2**63


def problem(response, status: int) -> list[tuple[str, str]]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return [(e["location"], e["field"]) for e in response.json()["errors"]]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        (f"page={BIG}", "page"),
        (f"page={MAX_PAGE + 1}", "page"),
        ("per_page=201", "per_page"),
    ],
)
async def test_every_list_bounds_its_paging(service, query, field) -> None:
    system = await service.system()
    endpoint = await service.endpoint(system, "http://127.0.0.1:9/hook")
    lists = [
        (f"/v1/endpoints/{endpoint['id']}/deliveries", system),
        ("/v1/dead-letters", system),
        ("/v1/inbox", await service.user("coord-a")),
    ]
    for route, headers in lists:
        response = await service.client.get(f"{route}?{query}", headers=headers)
        assert problem(response, 422) == [("query", field)], route
        last = await service.client.get(f"{route}?page={MAX_PAGE}", headers=headers)
        assert last.status_code == 200, (route, last.text)
        assert last.json()["items"] == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        (f"after={BIG}", "after"),
        (f"after={10**30}", "after"),
        ("after=%C2%B2", "after"),  # '²' is a digit to str.isdigit(), not to int()
        ("after=-1", "after"),
        ("limit=501", "limit"),
    ],
)
async def test_the_feed_bounds_its_cursor(service, query, field) -> None:
    system = await service.system()
    response = await service.client.get(f"/v1/feed?{query}", headers=system)
    assert problem(response, 422) == [("query", field)]
    last = await service.client.get(f"/v1/feed?after={BIG - 1}", headers=system)
    assert last.status_code == 200, last.text
    assert last.json() == {"items": [], "next_cursor": str(BIG - 1)}


async def test_bigint_keys_beyond_range_are_refused(service) -> None:
    system = await service.system()
    coordinator = await service.user("coord-a")
    for method, url, headers in [
        ("GET", f"/v1/deliveries/{BIG}/attempts", system),
        ("POST", f"/v1/dead-letters/{BIG}/replay", system),
        ("POST", f"/v1/inbox/{BIG}/read", coordinator),
    ]:
        response = await service.client.request(method, url, headers=headers)
        assert problem(response, 422)[0][0] == "path", url


async def test_nul_in_a_text_field_is_refused_and_writes_nothing(service) -> None:
    system = await service.system()
    response = await service.client.post(
        "/v1/endpoints",
        json={"url": "http://127.0.0.1:9/hook", "description": "a\x00b"},
        headers=system,
    )
    assert problem(response, 422) == [("body", "description")]
    other = await service.client.post(
        "/v1/endpoints", json={"url": "http://127.0.0.1:9/ho\x00ok"}, headers=system
    )
    assert problem(other, 422) == [("body", "url")]
    async with service.built.runtime.engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM endpoints"))).scalar_one() == 0
