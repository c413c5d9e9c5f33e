"""Inputs that once made the API answer 500 (issue 12) get a 4xx problem naming the field and
change nothing: crafted bearer tokens, NUL in text, a page beyond the bound, a body above the
limit, a query not in UTF-8 (ADR 0009). The OpenAPI document says what is really sent."""

from __future__ import annotations

import base64
import json

import pytest

from shared.guard import DEFAULT_MAX_BODY
from shared.paging import MAX_PAGE


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def crafted(header: dict[str, object]) -> str:
    payload = {"sub": "x", "iss": "x", "aud": "cus-api", "exp": 4102444800}
    return ".".join(
        [
            _b64(json.dumps(header, ensure_ascii=False).encode()),
            _b64(json.dumps(payload).encode()),
            _b64(b"signature"),
        ]
    )


def problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    return body


@pytest.mark.parametrize(
    "token",
    [
        crafted({"alg": "RS256ą", "kid": "k"}),
        crafted({"alg": "ŁÓDŹ", "typ": "JWT"}),
        crafted({"alg": "RS256", "kid": 'k", error="injected'}),
        crafted({"alg": "RS256", "kid": "klucz-żółty"}),
        crafted({"alg": "RS256", "kid": {"nested": ["ł"]}}),
        "not-a-jwt",
        "a.b.c",
        crafted({"alg": "none"}),
    ],
)
async def test_a_crafted_token_gets_401_with_a_fixed_challenge(partners, token):
    response = await partners.client.get(
        "/v1/institutions", headers={"Authorization": f"Bearer {token}"}
    )
    problem(response, 401)
    challenges = response.headers.get_list("www-authenticate")
    assert challenges == [
        'Bearer realm="cus", error="invalid_token", '
        'error_description="The access token is invalid or has expired"'
    ]


async def test_nul_in_a_text_field_is_refused_and_writes_nothing(partners, new_institution):
    before = await partners.outbox_count()
    response = await partners.post(
        "coord-a", "/v1/institutions", new_institution("Szkoła\x00", city="Wieliczka")
    )
    body = problem(response, 422)
    assert [(e["location"], e["field"]) for e in body["errors"]] == [("body", "name")]
    assert await partners.outbox_count() == before
    listed = await partners.get("coord-a", "/v1/institutions")
    assert listed.json()["total"] == 0


async def test_nul_in_a_query_or_path_parameter_is_refused(partners):
    body = problem(await partners.get("coord-a", "/v1/institutions", q="a\x00"), 422)
    assert [(e["location"], e["field"]) for e in body["errors"]] == [("query", "q")]
    body = problem(await partners.get("coord-a", "/v1/benefit-cards/edu%00cation"), 422)
    assert [(e["location"], e["field"]) for e in body["errors"]] == [("path", "sector")]


async def test_a_query_not_in_utf8_is_refused_naming_the_parameter(partners):
    headers = await partners.as_("coord-a")
    response = await partners.client.get("/v1/institutions?q=%FF", headers=headers)
    body = problem(response, 400)
    assert [(e["location"], e["field"]) for e in body["errors"]] == [("query", "q")]


@pytest.mark.parametrize("route", ["/v1/institutions", "/v1/memberships", "/v1/meetings"])
@pytest.mark.parametrize(
    ("query", "field"),
    [
        (f"page={2**63}", "page"),
        (f"page={MAX_PAGE + 1}", "page"),
        ("page=0", "page"),
        ("per_page=201", "per_page"),
        (f"per_page={2**64}", "per_page"),
    ],
)
async def test_every_list_bounds_its_paging(partners, route, query, field):
    headers = await partners.as_("coord-a")
    body = problem(await partners.client.get(f"{route}?{query}", headers=headers), 422)
    assert [(e["location"], e["field"]) for e in body["errors"]] == [("query", field)]
    last = await partners.client.get(f"{route}?page={MAX_PAGE}&per_page=200", headers=headers)
    assert last.status_code == 200, last.text
    assert last.json()["items"] == []


async def test_a_body_above_the_limit_is_refused_before_it_is_read(partners, new_institution):
    before = await partners.outbox_count()
    body = new_institution("Szkoła", description="x" * (10 * DEFAULT_MAX_BODY))
    response = await partners.post("coord-a", "/v1/institutions", body)
    refused = problem(response, 413)
    assert refused["title"] == "Zbyt duża treść żądania"
    assert await partners.outbox_count() == before


async def test_the_openapi_document_declares_problems_and_openid_connect(partners, issuer):
    spec = (await partners.client.get("/openapi.json")).json()
    assert spec["components"]["securitySchemes"]["oidc"] == {
        "type": "openIdConnect",
        "openIdConnectUrl": f"{issuer.issuer_url}/.well-known/openid-configuration",
        "description": spec["components"]["securitySchemes"]["oidc"]["description"],
    }
    assert str(DEFAULT_MAX_BODY) in spec["info"]["description"]
    operation = spec["paths"]["/v1/institutions"]["post"]
    assert operation["security"] == [{"oidc": []}]
    for status in ("400", "401", "403", "413", "422"):
        assert list(operation["responses"][status]["content"]) == ["application/problem+json"]
    parameters = spec["paths"]["/v1/institutions"]["get"]["parameters"]
    page = next(p for p in parameters if p["name"] == "page")
    assert page["schema"]["maximum"] == MAX_PAGE
    # The document is reachable where it says it is.
    discovery = await partners.runtime.http.get(
        spec["components"]["securitySchemes"]["oidc"]["openIdConnectUrl"]
    )
    assert discovery.json()["issuer"] == issuer.issuer_url
