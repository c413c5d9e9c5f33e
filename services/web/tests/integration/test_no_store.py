"""Every answer of every service's API says `Cache-Control: no-store` (issue 13 §3), walked over
the services' own OpenAPI documents against the running stack: each GET operation, signed in as
a case manager and without a token (401), with unknown ids (404) and a bad query (422), and the
request guard's refusal (400) — problem details included. Only a route that sets a public cache
header on purpose (the partners' public list of municipalities) answers with its own."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

PUBLIC = {("partners", "/v1/municipalities"): "public, max-age=300"}


def _value(parameter: dict[str, Any]) -> str:
    schema = parameter.get("schema", {})
    schema = next(iter(schema.get("anyOf", [])), schema) if "anyOf" in schema else schema
    if schema.get("format") == "uuid":
        return str(uuid.uuid4())
    if schema.get("type") == "integer":
        return "1"
    if schema.get("enum"):
        return str(schema["enum"][0])
    return "1219053"  # a TERYT code: fits the patterns of the path parameters that are codes


async def _headers(client: httpx.AsyncClient, url: str, **kw: Any) -> tuple[int, httpx.Headers]:
    """Status and headers only: an event stream would never end."""
    async with client.stream("GET", url, **kw) as response:
        return response.status_code, response.headers


async def test_every_api_answer_of_every_service_says_no_store(stack):
    services = {
        "partners": stack.partners_url,
        "basket": stack.basket_url,
        "cases": stack.cases_url,
        "notifications": stack.notifications_url,
        "evaluation": stack.evaluation_url,
    }
    manager = await stack.tokens.headers("manager-a")
    checked: list[tuple[str, str, int]] = []
    async with httpx.AsyncClient(timeout=20) as client:
        for service, base in services.items():
            document = (await client.get(f"{base}/openapi.json")).json()
            paths = [p for p, item in document["paths"].items() if "get" in item]
            assert paths, service
            for path in paths:
                params = document["paths"][path]["get"].get("parameters", [])
                url = path
                for p in params:
                    if p["in"] == "path":
                        url = url.replace("{" + p["name"] + "}", _value(p))
                for who in (manager, {}):
                    status, headers = await _headers(client, base + url, headers=who)
                    expected = PUBLIC.get((service, path), "no-store")
                    assert headers.get("cache-control") == expected, (service, path, status)
                    checked.append((service, path, status))
            # A path no route takes, a query the app refuses, and one the guard refuses.
            for url, expected_status in (
                ("/v1/no-such-thing", 404),
                ("/v1/cases?page=x%FF", 400),
            ):
                status, headers = await _headers(client, base + url, headers=manager)
                assert status == expected_status, (service, url)
                assert headers["cache-control"] == "no-store", (service, url)
                assert headers["content-type"] == "application/problem+json"
        bad = await client.get(f"{stack.cases_url}/v1/cases/not-a-uuid", headers=manager)
        assert bad.status_code == 422
        assert bad.headers["cache-control"] == "no-store"
    statuses = {status for _s, _p, status in checked}
    assert {200, 401} <= statuses
    assert {s for s, _p, _st in checked} == set(services)
