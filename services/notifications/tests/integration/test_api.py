"""Bad input gets 422 naming the field and changes nothing; who may do what; AsyncAPI."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text


@pytest.fixture
async def strict(harness):
    """The service without a development allowlist: only public addresses are accepted."""
    async with harness.run(await harness.settings(webhook_allowlist=[])) as svc:
        yield svc


def field_of(response) -> list[str]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return [e["field"] for e in response.json()["errors"]]


BAD = [
    ({"url": "http://127.0.0.1:9/hook"}, "url"),
    ({"url": "https://10.0.0.1/hook"}, "url"),
    ({"url": "http://169.254.169.254/latest/meta-data"}, "url"),
    ({"url": "http://localhost:8080/"}, "url"),
    ({"url": "ftp://example.org/"}, "url"),
    # IPv6 forms of refused IPv4 addresses (6to4, NAT64, Teredo, IPv4-mapped), ADR 0031
    ({"url": "http://[2002:a9fe:a9fe::1]/"}, "url"),
    ({"url": "http://[64:ff9b::a9fe:a9fe]/"}, "url"),
    ({"url": "http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/"}, "url"),
    ({"url": "http://[::ffff:169.254.169.254]/"}, "url"),
    # characters that could split the request, and URLs the parser cannot take apart
    ({"url": "https://93.184.216.34/h\r\nX-Injected: 1"}, "url"),
    ({"url": "https://93.184.216.34/h\x00"}, "url"),
    ({"url": "https://93.184.216.34/a b"}, "url"),
    ({"url": "http://[2002:a9fe:a9fe::1/"}, "url"),
    ({"url": "https://93.184.216.34:99999/"}, "url"),
    ({"url": "https://" + "a" * 64 + ".example.org/"}, "url"),
    ({"url": "https://93.184.216.34/h", "event_types": ["cases.referral.sent"]}, "event_types"),
    ({"url": "https://93.184.216.34/h", "secret": "whsec_short"}, "secret"),
    ({"url": "https://93.184.216.34/h", "secret": "sekret"}, "secret"),
]


async def test_bad_endpoint_registration_names_the_field(strict) -> None:
    system = await strict.system()
    for body, field in BAD:
        response = await strict.client.post("/v1/endpoints", json=body, headers=system)
        assert field_of(response) == [field], body
    async with strict.built.runtime.engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM endpoints"))).scalar_one() == 0


async def test_public_endpoint_accepted_and_other_checks(strict) -> None:
    system = await strict.system()
    ok = await strict.client.post(
        "/v1/endpoints",
        json={"url": "https://93.184.216.34/hook", "event_types": ["cases.referral.requested"]},
        headers=system,
    )
    assert ok.status_code == 201, ok.text
    endpoint = ok.json()
    for url in ("http://10.0.0.1/", "http://[2002:a9fe:a9fe::1]/", "https://93.184.216.34/\r\n"):
        patch = await strict.client.patch(
            f"/v1/endpoints/{endpoint['id']}", json={"url": url}, headers=system
        )
        assert field_of(patch) == ["url"]
    kept = await strict.client.get(f"/v1/endpoints/{endpoint['id']}", headers=system)
    assert kept.json()["url"] == "https://93.184.216.34/hook"
    rotate = await strict.client.post(
        f"/v1/endpoints/{endpoint['id']}/secret/rotate", json={"secret": "whsec_x"}, headers=system
    )
    assert field_of(rotate) == ["secret"]
    feed = await strict.client.get("/v1/feed?types=cases.nope", headers=system)
    assert field_of(feed) == ["types"]
    cursor = await strict.client.get("/v1/feed?after=abc", headers=system)
    assert field_of(cursor) == ["after"]

    # Another institution's system does not see the endpoint; staff without an institution
    # register none.
    other = await strict.system(uuid.uuid4())
    assert (
        await strict.client.get(f"/v1/endpoints/{endpoint['id']}", headers=other)
    ).status_code == 404
    assert (await strict.client.get("/v1/endpoints", headers=other)).json() == []
    coordinator = await strict.user("coord-a")
    denied = await strict.client.post(
        "/v1/endpoints", json={"url": "https://93.184.216.34/"}, headers=coordinator
    )
    assert denied.status_code == 403
    assert (await strict.client.get("/v1/feed", headers=coordinator)).status_code == 403
    assert (await strict.client.get("/v1/feed")).status_code == 401


async def test_asyncapi_lists_every_receivable_subject(strict) -> None:
    doc = (await strict.client.get("/v1/asyncapi.json")).json()
    assert doc["asyncapi"].startswith("3.")
    addresses = {ch["address"] for ch in doc["channels"].values()}
    assert {"cases.referral.requested", "cases.consent.withdrawn", "basket.service.added",
            "partners.contact_person.changed"} <= addresses  # fmt: skip
    message = doc["components"]["messages"]["cases_consent_withdrawn"]
    assert "institution_ids" in message["payload"]["properties"]["data"]["properties"]


BIGINT_OVERFLOW = str(2**63)


async def test_numbers_beyond_the_database_columns_are_refused(strict) -> None:
    system = await strict.system()
    person = await strict.user("coord-a")
    for after in (BIGINT_OVERFLOW, "9" * 40, "²", "١٢", "-1", "1.5"):
        response = await strict.client.get("/v1/feed", params={"after": after}, headers=system)
        assert field_of(response) == ["after"], after
    for method, url, headers in [
        ("GET", f"/v1/deliveries/{BIGINT_OVERFLOW}/attempts", system),
        ("POST", f"/v1/dead-letters/{BIGINT_OVERFLOW}/replay", system),
        ("POST", f"/v1/inbox/{BIGINT_OVERFLOW}/read", person),
        ("POST", f"/v1/inbox/{'9' * 40}/read", person),
    ]:
        response = await strict.client.request(method, url, headers=headers)
        fields = field_of(response)
        assert fields in (["delivery_id"], ["notice_id"]), (url, fields)
        assert response.json()["errors"][0]["location"] == "path"
    top = await strict.client.get("/v1/feed", params={"after": str(2**63 - 1)}, headers=system)
    assert top.status_code == 200, top.text
    assert top.json()["items"] == []


async def test_oversized_lists_are_refused(strict) -> None:
    person = await strict.user("coord-a")
    before = (await strict.client.get("/v1/preferences", headers=person)).json()
    many = [{"kind": "referral", "channel": "email", "enabled": False}] * 101
    response = await strict.client.put("/v1/preferences", json={"channels": many}, headers=person)
    assert field_of(response) == ["channels"]
    assert (await strict.client.get("/v1/preferences", headers=person)).json() == before
    system = await strict.system()
    body = {"url": "https://93.184.216.34/h", "event_types": ["cases.referral.requested"] * 501}
    assert field_of(await strict.client.post("/v1/endpoints", json=body, headers=system)) == [
        "event_types"
    ]
