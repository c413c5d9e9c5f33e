"""The partnership at work: coordinators, coverage, meetings with a rotating host, contact
persons, benefit cards and the invitation, searching and filtering, the OpenAPI document."""

from __future__ import annotations

import re
from uuid import uuid4


async def test_coordinators_warning_and_coverage(partners, new_institution):
    p = partners
    partnership, _ = await p.partnership()
    detail = (await p.get("coord-a", f"/v1/partnerships/{partnership}")).json()
    assert "nie ma aktywnego koordynatora" in detail["coordinator_warning"]
    first = await p.post(
        "coord-a",
        f"/v1/partnerships/{partnership}/coordinators",
        {"name": "Anna Kowalska", "email": "a.kowalska@example.org"},
    )
    assert first.status_code == 201
    detail = (await p.get("coord-a", f"/v1/partnerships/{partnership}")).json()
    assert "1 aktywnego" in detail["coordinator_warning"]
    await p.post("coord-a", f"/v1/partnerships/{partnership}/coordinators", {"name": "Jan Nowak"})
    detail = (await p.get("coord-a", f"/v1/partnerships/{partnership}")).json()
    assert detail["coordinator_warning"] is None
    ended = await p.post("coord-a", f"/v1/coordinators/{first.json()['id']}/end", {})
    assert ended.status_code == 204
    detail = (await p.get("coord-a", f"/v1/partnerships/{partnership}")).json()
    assert detail["coordinator_warning"] is not None
    await p.tap.wait_for(
        lambda evs: len([e for e in evs if e.type == "partners.coordinators.changed"]) == 3
    )
    last = p.tap.of_type("partners.coordinators.changed")[-1].payload()
    assert last.coordinator_count == 1
    assert last.understaffed

    coverage = (await p.get("coord-a", f"/v1/partnerships/{partnership}/coverage")).json()
    assert set(coverage["missing_recommended"]) == {
        "education",
        "labour_market",
        "justice",
        "police",
        "health",
    }
    school = await p.register("coord-a", new_institution("Szkoła Podstawowa nr 5"))
    police = await p.register("coord-a", new_institution("Komisariat Policji", "police"))
    await p.member(partnership, school, "declared", declaration_reference="D/1/2026")
    await p.member(partnership, police, "invited")  # invited is not yet taking part
    coverage = (await p.get("coord-a", f"/v1/partnerships/{partnership}/coverage")).json()
    assert set(coverage["missing_recommended"]) == {"labour_market", "justice", "police", "health"}
    assert "Policja" in coverage["missing_recommended_names"]


async def test_meetings_rotate_the_host(partners, new_institution):
    p = partners
    partnership, leader = await p.partnership()
    school = await p.register("coord-a", new_institution("Szkoła Podstawowa nr 1"))
    await p.member(partnership, school, "informal")
    proposal = (await p.get("coord-a", f"/v1/partnerships/{partnership}/proposed-host")).json()
    first_host = proposal["institution_id"]
    assert first_host in (leader, school)
    response = await p.post(
        "coord-a",
        "/v1/meetings",
        {
            "partnership_id": partnership,
            "title": "Spotkanie I",
            "starts_at": "2026-12-01T10:00:00+01:00",
            "place": "Sala narad",
            "agenda": ["Koszyk usług"],
        },
    )
    meeting = (await p.get("coord-a", f"/v1/meetings/{response.json()['id']}")).json()
    assert meeting["host_institution_id"] == first_host  # the proposal is taken by default
    proposal = (await p.get("coord-a", f"/v1/partnerships/{partnership}/proposed-host")).json()
    assert proposal["institution_id"] not in (first_host, None)
    held = await p.post(
        "coord-a",
        f"/v1/meetings/{meeting['id']}/held",
        {
            "attendance": [{"institution_id": leader, "person_name": "Dyrektor OPS"}],
            "minutes": "Protokół",
            "decisions": ["Uchwalono plan pracy"],
        },
    )
    assert held.json()["status"] == "held"
    again = await p.post(
        "coord-a",
        f"/v1/meetings/{meeting['id']}/held",
        {"attendance": [{"institution_id": leader}]},
    )
    assert again.status_code == 409
    listed = (await p.get("coord-a", "/v1/meetings", partnership_id=partnership)).json()
    assert listed["total"] == 1


async def test_contact_persons(partners, new_institution):
    p = partners
    school = await p.register("coord-a", new_institution("Szkoła Podstawowa nr 4"))
    response = await p.post(
        "coord-a",
        f"/v1/institutions/{school}/contact-persons",
        {"name": "Marta Nowak", "position": "pedagog szkolny", "email": "m.nowak@example.org"},
    )
    assert response.status_code == 201
    contacts = (await p.get("coord-a", f"/v1/institutions/{school}/contact-persons")).json()
    assert contacts[0]["position"] == "pedagog szkolny"
    assert (await p.get("coord-b", f"/v1/institutions/{school}/contact-persons")).status_code == 404
    changed = await p.patch(
        "coord-a", f"/v1/contact-persons/{contacts[0]['id']}", {"active": False}
    )
    assert changed.json() == {"changed": ["active"]}
    await p.tap.wait_for(lambda evs: len(p.tap.of_type("partners.contact_person.changed")) == 2)


async def test_benefit_cards_are_public_and_faithful(partners):
    client = partners.client
    family = (await client.get("/v1/benefit-cards/family")).json()
    assert any(
        "wyłącznie za zgodą osoby lub rodziny" in b
        for s in family["sections"]
        for b in s["benefits"]
    )
    education = await client.get("/v1/benefit-cards/education")
    assert education.status_code == 200
    assert education.json()["sector_name"]
    assert (await client.get("/v1/benefit-cards/social_assistance")).status_code == 404
    unknown = await client.get("/v1/benefit-cards/astrology")
    assert unknown.status_code == 422
    cards = (await client.get("/v1/benefit-cards")).json()
    assert len(cards) == 11  # the family and ten sectors


async def test_municipalities_are_public_with_their_names(partners):
    await partners.partnership()
    response = await partners.client.get("/v1/municipalities")  # no token
    assert response.status_code == 200
    assert "public" in response.headers["cache-control"]
    found = {m["teryt"]: m["name"] for m in response.json()}
    assert found["1219053"] == "Wieliczka"
    assert all(set(m) == {"teryt", "name"} for m in response.json())


async def test_invitation_html_and_pdf(partners, new_institution):
    p = partners
    partnership, _ = await p.partnership()
    await p.post(
        "coord-a",
        f"/v1/partnerships/{partnership}/coordinators",
        {"name": "Anna Kowalska", "email": "a.kowalska@example.org"},
    )
    html = await p.get(
        "coord-a",
        f"/v1/partnerships/{partnership}/invitation",
        institution_name="Komenda Powiatowa Policji & <Wieliczka>",
        sector="police",
    )
    assert html.status_code == 200
    assert html.headers["content-type"].startswith("text/html")
    assert 'lang="pl"' in html.text
    assert "Komenda Powiatowa Policji &amp; &lt;Wieliczka&gt;" in html.text
    assert "Anna Kowalska" in html.text
    school = await p.register("coord-a", new_institution("Szkoła Podstawowa nr 9"))
    pdf = await p.get(
        "coord-a", f"/v1/partnerships/{partnership}/invitation", institution_id=school, format="pdf"
    )
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    missing = await p.get("coord-a", f"/v1/partnerships/{partnership}/invitation")
    assert missing.status_code == 422
    no_card = await p.get(
        "coord-a",
        f"/v1/partnerships/{partnership}/invitation",
        institution_name="MOPS",
        sector="social_assistance",
    )
    assert no_card.json()["errors"][0]["field"] == "sector"


async def test_lists_are_paged_filtered_and_searchable(partners, new_institution):
    p = partners
    partnership, _ = await p.partnership()
    names = [
        "Żłobek Miejski",
        "Poradnia Zdrowia Psychicznego",
        "Stowarzyszenie Źródło",
        "Szkoła Muzyczna",
        "Przychodnia Rodzinna",
    ]
    sectors = ["family_support", "health", "ngo", "education", "health"]
    ids = {}
    for name, sector in zip(names, sectors, strict=True):
        ids[name] = await p.register("coord-a", new_institution(name, sector))
    await p.member(partnership, ids["Przychodnia Rodzinna"], "informal")
    health = (await p.get("coord-a", "/v1/institutions", sector="health")).json()
    assert {i["name"] for i in health["items"]} == {
        "Poradnia Zdrowia Psychicznego",
        "Przychodnia Rodzinna",
    }
    informal = (await p.get("coord-a", "/v1/institutions", status="informal")).json()
    assert [i["name"] for i in informal["items"]] == ["Przychodnia Rodzinna"]
    assert informal["items"][0]["membership"]["state"] == "informal"
    # Without Polish diacritics and in lower case.
    found = (await p.get("coord-a", "/v1/institutions", q="zlobek")).json()
    assert [i["name"] for i in found["items"]] == ["Żłobek Miejski"]
    found = (await p.get("coord-a", "/v1/institutions", q="ZRODLO")).json()
    assert [i["name"] for i in found["items"]] == ["Stowarzyszenie Źródło"]
    page = (await p.get("coord-a", "/v1/institutions", per_page=2, page=2)).json()
    assert page["total"] == 6  # five and the leader
    assert len(page["items"]) == 2
    memberships = (await p.get("coord-a", "/v1/memberships", status="declared")).json()
    assert memberships["items"][0]["institution_name"] == "Ośrodek Pomocy Społecznej"


async def test_openapi_documents_every_route_with_examples(partners):
    spec = (await partners.client.get("/openapi.json")).json()
    paths = spec["paths"]
    for required in (
        "/v1/institutions",
        "/v1/partnerships",
        "/v1/memberships",
        "/v1/meetings",
        "/v1/benefit-cards/{sector}",
    ):
        assert required in paths
    for path, operations in paths.items():
        for method, op in operations.items():
            assert op.get("summary"), (method, path)
            if method in ("post", "patch") and "requestBody" in op:
                ref = op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
                assert re.match(r"#/components/schemas/\w+", ref)
    schemas = spec["components"]["schemas"]
    for name in (
        "InstitutionCreate",
        "PartnershipCreate",
        "MembershipCreate",
        "MembershipTransition",
        "MeetingCreate",
    ):
        assert schemas[name].get("examples"), name
    assert "Problem" in schemas


async def test_asyncapi_lists_every_partners_subject_with_its_schema(partners):
    document = (await partners.client.get("/asyncapi.json")).json()
    assert document["asyncapi"].startswith("3.")
    channels = set(document["channels"])
    for subject in (
        "partners.institution.registered",
        "partners.institution.updated",
        "partners.membership.changed",
        "partners.meeting.scheduled",
        "partners.meeting.held",
    ):
        assert subject in channels
    schemas = document["components"]["schemas"]
    membership = schemas["MembershipChangedEvent"]
    assert "data" in membership["properties"]


async def test_an_institution_can_be_registered_with_a_given_id(partners, new_institution):
    given = "7a1c3e52-5d0b-4a53-9b1e-2f6d0c8a0001"
    created = await partners.register("coord-a", new_institution("Szkoła", id=given))
    assert created == given
    again = await partners.post("coord-a", "/v1/institutions", new_institution("Inna", id=given))
    assert again.status_code == 422
    assert again.json()["errors"][0]["field"] == "id"


async def test_patch_cannot_clear_a_required_field(partners, new_institution):
    """Found by schemathesis: `{"active": null}` on a contact person reached the NOT NULL column
    and answered 500. A PATCH may leave out what must stay set, never null it: 422 naming the
    field, nothing changed, and the OpenAPI no longer offers null for those fields."""
    p = partners
    school = await p.register("coord-a", new_institution("Szkoła Podstawowa nr 5"))
    created = await p.post(
        "coord-a", f"/v1/institutions/{school}/contact-persons", {"name": "Ewa Lis"}
    )
    person = created.json()["id"]
    partnership, _ = await p.partnership()
    cases = [
        (f"/v1/contact-persons/{person}", {"active": None}, "active"),
        (f"/v1/contact-persons/{person}", {"name": None}, "name"),
        (
            f"/v1/partnerships/{partnership}",
            {"leader_institution_id": None},
            "leader_institution_id",
        ),
        (f"/v1/partnerships/{partnership}", {"municipality_name": None}, "municipality_name"),
        (f"/v1/institutions/{school}", {"tenants_served": None}, "tenants_served"),
    ]
    for url, body, field in cases:
        response = await p.patch("coord-a", url, body)
        assert response.status_code == 422, (url, body, response.text)
        assert [e["field"] for e in response.json()["errors"]] == [field]
    contacts = (await p.get("coord-a", f"/v1/institutions/{school}/contact-persons")).json()
    assert contacts[0]["active"] is True
    assert contacts[0]["name"] == "Ewa Lis"
    schemas = (await p.client.get("/openapi.json")).json()["components"]["schemas"]
    for model, field in [
        ("ContactPersonPatch", "active"),
        ("PartnershipPatch", "leader_institution_id"),
        ("InstitutionPatch", "tenants_served"),
    ]:
        assert "anyOf" not in schemas[model]["properties"][field], (model, field)


async def test_coordinator_of_an_unknown_institution_is_refused(partners):
    """Found by schemathesis: a coordinator with an `institution_id` that is not in the
    registry reached the foreign key and answered 500; now 422 naming the field, nothing added."""
    p = partners
    partnership, leader = await p.partnership()
    url = f"/v1/partnerships/{partnership}/coordinators"
    before = await p.outbox_count()
    refused = await p.post("coord-a", url, {"name": "Jan Nowak", "institution_id": str(uuid4())})
    assert refused.status_code == 422, refused.text
    assert [e["field"] for e in refused.json()["errors"]] == ["institution_id"]
    assert await p.outbox_count() == before
    added = await p.post("coord-a", url, {"name": "Jan Nowak", "institution_id": leader})
    assert added.status_code == 201, added.text
