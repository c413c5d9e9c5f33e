"""Tenant isolation and ownership: who may see and change which offering."""

from __future__ import annotations

A, B = "1219053", "1219043"
PARTNER_A = "7a1c3e52-5d0b-4a53-9b1e-2f6d0c8a0001"


async def test_other_municipality_sees_no_drafts_and_changes_nothing(basket, new_offering):
    b = basket
    provider = await b.partner(A)
    draft = await b.add("coord-a", new_offering(provider, "Szkic usługi w Wieliczce"))
    published = await b.add("coord-a", new_offering(provider, "Opublikowana usługa"), True)

    assert (await b.get("coord-b", f"/v1/offerings/{draft}")).status_code == 404
    assert (await b.get("coord-b", f"/v1/offerings/{draft}/history")).status_code == 404
    listed_b = (await b.get("coord-b", "/v1/offerings", tenant=A)).json()
    assert [i["id"] for i in listed_b["items"]] == [published]
    everything_b = (await b.get("coord-b", "/v1/offerings")).json()
    assert [i["id"] for i in everything_b["items"]] == [published]
    assert (await b.get("coord-b", "/v1/offerings", status="draft")).json()["total"] == 0

    # B's coordinator may read A's published offering but change nothing of A's.
    assert (await b.get("coord-b", f"/v1/offerings/{published}")).status_code == 200
    before = await b.counts()
    for url, body in [
        (f"/v1/offerings/{published}", {"title": "Przejęta"}),
        (f"/v1/offerings/{draft}", {"title": "Przejęta"}),
    ]:
        response = await b.patch("coord-b", url, body)
        assert response.status_code in (403, 404), response.text
    assert (await b.post("coord-b", f"/v1/offerings/{published}/verify")).status_code == 403
    suspend = await b.post("coord-b", f"/v1/offerings/{published}/suspend", {"reason": "Nie"})
    assert suspend.status_code == 403
    assert (await b.post("coord-b", f"/v1/offerings/{draft}/publish")).status_code == 404
    # ... nor add an offering to A's basket.
    added = await b.post("coord-b", "/v1/offerings", new_offering(provider, tenant=A))
    assert added.status_code == 403
    assert await b.counts() == before

    # Signed-in staff of any role read A's basket; a case manager writes nothing.
    assert (await b.get("manager-a", f"/v1/offerings/{draft}")).status_code == 200
    assert (await b.get("analyst", f"/v1/offerings/{draft}")).status_code == 200
    forbidden = await b.patch("manager-a", f"/v1/offerings/{draft}", {"title": "Zmiana"})
    assert forbidden.status_code == 403


async def test_partner_editor_changes_only_own_institutions_offerings(basket, new_offering):
    b = basket
    own = await b.partner(A, institution_id=PARTNER_A, sector="education", name="SP1 Wieliczka")
    other = await b.partner(A, name="Inna fundacja")
    mine = await b.add("partner-a", new_offering(own, "Zajęcia wyrównawcze"))
    theirs = await b.add("coord-a", new_offering(other, "Usługa innej instytucji"))

    ok = await b.patch("partner-a", f"/v1/offerings/{mine}", {"description": "Nowy opis"})
    assert ok.status_code == 200, ok.text
    assert (await b.post("partner-a", f"/v1/offerings/{mine}/publish")).status_code == 200
    capacity = await b.patch(
        "partner-a", f"/v1/offerings/{mine}/capacity", {"capacity_status": "no_capacity"}
    )
    assert capacity.status_code == 200

    before = await b.counts()
    denied = await b.patch("partner-a", f"/v1/offerings/{theirs}", {"title": "Cudza"})
    assert denied.status_code == 403
    assert (await b.post("partner-a", f"/v1/offerings/{theirs}/publish")).status_code == 403
    foreign = await b.post("partner-a", "/v1/offerings", new_offering(other, "Nie moja"))
    assert foreign.status_code == 403
    assert await b.counts() == before

    # The coordinator edits every offering of the municipality, the partner's too.
    coordinator = await b.patch("coord-a", f"/v1/offerings/{mine}", {"title": "Zajęcia z matmy"})
    assert coordinator.status_code == 200
    history = (await b.get("coord-a", f"/v1/offerings/{mine}/history")).json()
    assert [h["changed_by"] for h in history] == [
        "partner-a",
        "partner-a",
        "partner-a",
        "partner-a",
        "coord-a",
    ]


async def test_public_sees_only_published_offerings(basket, new_offering):
    b = basket
    provider = await b.partner(A)
    draft = await b.add("coord-a", new_offering(provider, "Usługa w przygotowaniu"))
    published = await b.add("coord-a", new_offering(provider, "Usługa dostępna publicznie"), True)
    suspended = await b.add("coord-a", new_offering(provider, "Usługa zawieszona"), True)
    await b.post("coord-a", f"/v1/offerings/{suspended}/suspend", {"reason": "Brak kadry"})

    listed = (await b.get(None, f"/v1/public/{A}/offerings")).json()
    assert [i["id"] for i in listed["items"]] == [published]
    assert (await b.get(None, f"/v1/public/{A}/offerings/{published}")).status_code == 200
    for hidden in (draft, suspended):
        assert (await b.get(None, f"/v1/public/{A}/offerings/{hidden}")).status_code == 404
        assert (await b.get(None, f"/hsds/services/{hidden}")).status_code == 404
    assert (await b.get(None, f"/v1/public/{B}/offerings")).json()["total"] == 0
    assert (await b.get(None, f"/v1/public/{B}/offerings/{published}")).status_code == 404
    hsds_ids = [s["id"] for s in (await b.get(None, "/hsds/services")).json()["contents"]]
    assert hsds_ids == [published]
    # The staff API needs a token.
    assert (await b.get(None, "/v1/offerings")).status_code == 401
