"""The case manager corrects a person's details (the PESEL validated, encrypted and found by its
keyed hash as at intake) and removes a person from the family record, never the last one nor the
giver of a consent in force (ADR 0024); every change is in the access log with its purpose."""

from __future__ import annotations

from sqlalchemy import text

from cases.domain.pesel import with_check_digit

NEW_PESEL = with_check_digit("1523050457")
TABLES = ("family_members", "consents", "access_log", "outbox")


async def counts(c) -> dict[str, int]:
    async with c.runtime.engine.connect() as conn:
        return {
            t: int((await conn.execute(text(f"SELECT count(*) FROM {t}"))).scalar_one())
            for t in TABLES
        }


async def stored(c, member_id: str) -> dict:
    async with c.runtime.engine.connect() as conn:
        row = (
            await conn.execute(
                text("SELECT * FROM family_members WHERE id = :id"), {"id": member_id}
            )
        ).first()
    return dict(row._mapping) if row else {}


async def test_the_case_manager_corrects_a_person_and_the_new_pesel_finds_the_case(cases):
    c = cases
    case_id, (_mother, child) = await c.open_case()
    url = f"/v1/cases/{case_id}/family/{child}"
    response = await c.request(
        "PATCH", "manager-a", url, json={"first_name": "Bartosz", "phone": "+48 111 222 333",
        "pesel": NEW_PESEL}, headers={"X-Purpose": "korekta danych"},
    )  # fmt: skip
    assert response.status_code == 200, response.text
    out = response.json()
    assert (out["first_name"], out["last_name"], out["phone"]) == (
        "Bartosz", "Zmyślony", "+48 111 222 333"
    )  # fmt: skip
    assert out["has_pesel"] is True
    assert NEW_PESEL not in response.text
    row = await stored(c, child)
    assert NEW_PESEL.encode() not in row["pesel_encrypted"]
    assert NEW_PESEL not in row["pesel_hash"]

    found = await c.post("manager-a", "/v1/families/search", {"pesel": NEW_PESEL})
    assert found.json() == {"case_ids": [case_id]}
    old_pesel = c.family()[1]["pesel"]
    assert (await c.post("manager-a", "/v1/families/search", {"pesel": old_pesel})).json() == {
        "case_ids": []
    }
    family = (await c.get("manager-a", f"/v1/cases/{case_id}/family")).json()
    [person] = [p for p in family if p["id"] == child]
    assert person["pesel"] == NEW_PESEL

    # null clears an optional field, the PESEL included.
    cleared = await c.request("PATCH", "manager-a", url, json={"phone": None, "pesel": None})
    assert cleared.status_code == 200
    assert (cleared.json()["phone"], cleared.json()["has_pesel"]) == (None, False)
    assert (await stored(c, child))["pesel_hash"] is None

    log = (await c.get("manager-a", f"/v1/cases/{case_id}/access-log")).json()
    edits = [e for e in log if e["what"] == "family.edit"]
    assert [e["purpose"] for e in edits] == ["korekta danych", "praca z rodziną"]
    assert all(e["action"] == "change" for e in edits)


async def test_bad_edits_are_named_and_change_nothing(cases):
    c = cases
    case_id, (mother, child) = await c.open_case()
    url = f"/v1/cases/{case_id}/family/{child}"
    before = await counts(c)
    wrong = NEW_PESEL[:-1] + str((int(NEW_PESEL[-1]) + 1) % 10)
    for body, field in [
        ({"pesel": wrong}, "pesel"),
        ({"first_name": None}, "first_name"),
        ({"last_name": ""}, "last_name"),
        ({"year_of_birth": 1850}, "year_of_birth"),
        ({"email": "nie-mail"}, "email"),
        ({"nickname": "Bartek"}, "nickname"),
        ({}, "body"),
    ]:
        response = await c.request("PATCH", "manager-a", url, json=body)
        assert response.status_code == 422, (body, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert [e["field"] for e in response.json()["errors"]] == [field]
        assert wrong not in response.text
    other_case, _ = await c.open_case()
    for user, path, status in [
        ("manager-b", url, 404),
        ("director-a", url, 404),
        ("manager-a", f"/v1/cases/{other_case}/family/{child}", 404),
        ("manager-a", f"/v1/cases/{case_id}/family/{other_case}", 404),
    ]:
        response = await c.request("PATCH", user, path, json={"first_name": "X"})
        assert response.status_code == status
    assert (await counts(c))["family_members"] == before["family_members"] + 2
    assert (await stored(c, mother))["first_name"] == "Anastazja"


async def test_removal_keeps_the_consent_history_and_refuses_a_consent_in_force(cases):
    c = cases
    await c.institutions()
    case_id, (mother, child) = await c.open_case()
    consent_id = await c.consent(case_id, mother, institutions=[c.SCHOOL])
    mother_url = f"/v1/cases/{case_id}/family/{mother}"
    before = await counts(c)

    refused = await c.request("DELETE", "manager-a", mother_url)
    assert refused.status_code == 409
    assert "zgod" in refused.json()["detail"]
    assert await counts(c) == before

    # The child never consented: removed outright.
    gone = await c.request("DELETE", "manager-a", f"/v1/cases/{case_id}/family/{child}")
    assert gone.status_code == 204
    assert await stored(c, child) == {}
    # The last person stays.
    last = await c.request("DELETE", "manager-a", mother_url)
    assert last.status_code == 409

    # With another person who gives a new consent, and the mother's consent withdrawn, she can
    # leave: her row keeps the names for the consent history, contact and PESEL are erased.
    father = await c.created(
        "manager-a", f"/v1/cases/{case_id}/family", {"first_name": "Cyprian", "last_name": "Z."}
    )
    await c.consent(case_id, father, institutions=[c.SCHOOL])
    withdrawn = await c.post("manager-a", f"/v1/cases/{case_id}/consents/{consent_id}/withdraw", {})
    assert withdrawn.status_code == 200
    assert (await c.request("DELETE", "manager-a", mother_url)).status_code == 204
    row = await stored(c, mother)
    assert row["removed_at"] is not None
    assert (row["phone"], row["email"], row["address"]) == (None, None, None)
    assert (row["pesel_encrypted"], row["pesel_hash"]) == (None, None)
    family = (await c.get("manager-a", f"/v1/cases/{case_id}/family")).json()
    assert [p["id"] for p in family] == [father]
    search = await c.post("manager-a", "/v1/families/search", {"pesel": c.PESEL_MOTHER})
    assert search.json() == {"case_ids": []}
    form = await c.get("manager-a", f"/v1/cases/{case_id}/consents/{consent_id}/form.html")
    assert "Anastazja" in form.text
    # Once removed, the person cannot be edited, removed again or give consent.
    assert (
        await c.request("PATCH", "manager-a", mother_url, json={"relation": "x"})
    ).status_code == 404
    assert (await c.request("DELETE", "manager-a", mother_url)).status_code == 404
    again = await c.post(
        "manager-a", f"/v1/cases/{case_id}/consents",
        {"given_by_member_id": mother, "method": "paper",
         "scope": {"sectors": ["education"], "data_kinds": ["plan"]}},
    )  # fmt: skip
    assert [e["field"] for e in again.json()["errors"]] == ["given_by_member_id"]

    log = (await c.get("manager-a", f"/v1/cases/{case_id}/access-log")).json()
    removals = [e["outcome"] for e in log if e["what"] == "family.remove"]
    assert removals == ["allowed", "allowed", "refused"]  # the last: that person is gone
    # The family record is never published: no event for these changes.
    types = await c.outbox_types()
    assert not [t for t in types if "family" in t and t != "cases.family.consented"]


async def test_a_team_member_cannot_change_the_family(cases):
    c = cases
    case_id, people, _consent = await c.team_case()
    url = f"/v1/cases/{case_id}/family/{people[1]}"
    assert (await c.request("PATCH", "partner-a", url, json={"first_name": "X"})).status_code == 403
    assert (await c.request("DELETE", "partner-a", url)).status_code == 403
