"""Who may do what in the partner registry, and which tokens are refused."""

from __future__ import annotations

import time

import jwt


async def test_coordinator_creates_lists_and_changes_institutions(partners, new_institution):
    p = partners
    created = await p.register(
        "coord-a",
        new_institution("Szkoła Podstawowa nr 1 w Wieliczce", regon="123456785", city="Wieliczka"),
    )
    listed = (await p.get("coord-a", "/v1/institutions")).json()
    assert [i["id"] for i in listed["items"]] == [created]
    assert listed["items"][0]["tenants_served"] == ["1219053"]

    changed = await p.patch("coord-a", f"/v1/institutions/{created}", {"phone": "+48 12 111 22 33"})
    assert changed.status_code == 200, changed.text
    assert changed.json()["phone"] == "+48 12 111 22 33"


async def test_other_municipality_gets_404_and_never_sees_it_in_lists(partners, new_institution):
    p = partners
    a_id = await p.register("coord-a", new_institution("Poradnia Psychologiczno-Pedagogiczna"))
    partnership, _ = await p.partnership("coord-a")
    b_id = await p.register("coord-b", new_institution("Szkoła w Niepołomicach"))

    assert (await p.get("coord-b", f"/v1/institutions/{a_id}")).status_code == 404
    assert (
        await p.patch("coord-b", f"/v1/institutions/{a_id}", {"name": "Przejęta"})
    ).status_code == 404
    assert (await p.get("coord-b", f"/v1/partnerships/{partnership}")).status_code == 404
    ids_b = {i["id"] for i in (await p.get("coord-b", "/v1/institutions")).json()["items"]}
    assert ids_b == {b_id}
    assert (await p.get("coord-b", "/v1/partnerships")).json() == []
    memberships_b = (await p.get("coord-b", "/v1/memberships")).json()
    assert memberships_b["total"] == 0
    # Explicitly asking for A's tenant yields nothing either.
    assert (await p.get("coord-b", "/v1/institutions", tenant="1219053")).json()["total"] == 0
    # Regional staff read across municipalities.
    ids_analyst = {i["id"] for i in (await p.get("analyst", "/v1/institutions")).json()["items"]}
    assert {a_id, b_id} <= ids_analyst


async def test_partner_staff_and_analyst_cannot_write(partners, new_institution):
    p = partners
    for user in ("partner-a", "analyst", "manager-a", "director-a"):
        response = await p.post(user, "/v1/institutions", new_institution("Nowa instytucja"))
        assert response.status_code == 403, (user, response.text)
        assert response.headers["content-type"] == "application/problem+json"
    assert (await p.get("partner-a", "/v1/institutions")).status_code == 200


async def test_no_token_is_401(partners, new_institution):
    response = await partners.client.get("/v1/institutions")
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json()["status"] == 401


async def test_bad_tokens_are_401(partners, tokens):
    p = partners
    good = await tokens.user("coord-a")
    now = int(time.time())
    bad = {
        "wrong issuer": tokens.forge({"iss": "http://127.0.0.1:1/realms/cus"}),
        "wrong audience": tokens.forge({"aud": "some-other-api"}),
        "expired": tokens.forge({"iat": now - 3600, "exp": now - 120}),
        "not yet valid": tokens.forge({"nbf": now + 600}),
        "ID token": tokens.forge({"typ": "ID", "aud": "cus-api"}),
        "HS256": jwt.encode(
            {
                "iss": tokens.issuer.issuer_url,
                "aud": "cus-api",
                "sub": "x",
                "exp": now + 300,
                "iat": now,
            },
            "secret",
            algorithm="HS256",
        ),
        "alg none": jwt.encode(
            {
                "iss": tokens.issuer.issuer_url,
                "aud": "cus-api",
                "sub": "x",
                "exp": now + 300,
                "iat": now,
            },
            None,
            algorithm="none",
        ),
        "tampered": good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB"),
        "unknown kid": tokens.forge({}, headers={"kid": "no-such-key"}),
    }
    for reason, token in bad.items():
        response = await p.client.get(
            "/v1/institutions", headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 401, reason
    real_id_token = await _id_token(tokens)
    response = await p.client.get(
        "/v1/institutions", headers={"Authorization": f"Bearer {real_id_token}"}
    )
    assert response.status_code == 401
    assert (
        await p.client.get("/v1/institutions", headers={"Authorization": f"Bearer {good}"})
    ).status_code == 200


async def test_a_30_second_skew_is_tolerated_but_not_more(partners, tokens):
    now = int(time.time())
    within = tokens.forge({"exp": now - 10, "iat": now - 300})
    beyond = tokens.forge({"exp": now - 45, "iat": now - 300})
    ok = await partners.client.get(
        "/v1/institutions", headers={"Authorization": f"Bearer {within}"}
    )
    assert ok.status_code == 200
    no = await partners.client.get(
        "/v1/institutions", headers={"Authorization": f"Bearer {beyond}"}
    )
    assert no.status_code == 401


async def test_partner_system_client_is_a_principal(partners, tokens):
    token = await tokens.client_credentials("partner-system-demo", "partner-system-demo-secret")
    response = await partners.client.get(
        "/v1/institutions", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200


async def _id_token(tokens):
    import httpx

    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"{tokens.issuer.issuer_url}/protocol/openid-connect/token",
            data={
                "grant_type": "password",
                "client_id": "cus-cli",
                "username": "coord-a",
                "password": "demo",
                "scope": "openid",
            },
        )
    return response.json()["id_token"]
