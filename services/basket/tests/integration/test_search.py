"""Finding a service: Polish as people type it (inflection, no diacritics, typos, partial words),
with filters, sorted by relevance, distance or name, paged."""

from __future__ import annotations

from typing import Any

import pytest

A, B = "1219053", "1219043"
WIELICZKA = (49.987, 20.064)
NIEPOLOMICE = (50.034, 20.217)


def place(city: str, lat: float, lon: float, accessible: bool = True) -> list[dict[str, Any]]:
    return [{"city": city, "latitude": lat, "longitude": lon, "accessible": accessible}]


@pytest.fixture(scope="module")
async def catalogue(module_basket, new_offering) -> dict[str, str]:
    b = module_basket
    ngo = await b.partner(A, sector="ngo", name="Fundacja Dobry Start")
    school = await b.partner(A, sector="education", name="Szkoła Podstawowa nr 1")
    ngo_b = await b.partner(B, sector="ngo", name="Stowarzyszenie Razem")
    specs = [
        (
            ngo,
            A,
            "Terapia logopedyczna dla dzieci",
            "Ćwiczenia wymowy dla przedszkolaków.",
            "public_education.speech_therapy",
            ["children"],
            {"kind": "free"},
            place("Wieliczka", *WIELICZKA),
            [1, 3],
        ),
        (
            school,
            A,
            "Pomoc psychologiczna dla uczniów",
            "Konsultacje psychologa szkolnego.",
            "public_education.psych_ped_support",
            ["children", "youth"],
            {"kind": "co_paid", "amount": 10},
            place("Wieliczka", 49.99, 20.07, False),
            [2],
        ),
        (
            ngo,
            A,
            "Klub seniora",
            "Spotkania i zajęcia ruchowe dla seniorów.",
            "civic_activity.senior_clubs",
            ["seniors"],
            {"kind": "paid", "amount": 15},
            place("Grabówki", 49.95, 20.02),
            [4],
        ),
        (
            ngo_b,
            B,
            "Grupa wsparcia dla osób niepełnosprawnych",
            "Spotkania grupy wsparcia dla osób z niepełnosprawnościami i ich rodzin.",
            "disability_support.assistance",
            ["disabled", "families"],
            {"kind": "free"},
            place("Niepołomice", *NIEPOLOMICE),
            [5],
        ),
    ]
    ids = {}
    for institution, tenant, title, description, category, groups, cost, places, days in specs:
        body = new_offering(
            institution,
            title,
            tenant=tenant,
            description=description,
            category=category,
            target_groups=groups,
            cost=cost,
            places=places,
            schedule=[{"weekday": d, "opens_at": "09:00", "closes_at": "12:00"} for d in days],
        )
        user = "coord-a" if tenant == A else "coord-b"
        ids[title] = await b.add(user, body, publish=True)
    return ids


async def titles(basket, **params: Any) -> list[str]:
    response = await basket.get(None, f"/v1/public/{params.pop('tenant', A)}/offerings", **params)
    assert response.status_code == 200, response.text
    return [i["title"] for i in response.json()["items"]]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("logopeda", "Terapia logopedyczna dla dzieci"),  # another form of the word
        ("terapii logopedycznej", "Terapia logopedyczna dla dzieci"),  # another case
        ("dziecku", "Terapia logopedyczna dla dzieci"),  # stem alternation dziecko/dzieci
        ("pomocy psychologicznej", "Pomoc psychologiczna dla uczniów"),
        ("psychologiczna pomoc uczniom", "Pomoc psychologiczna dla uczniów"),
        ("seniorow", "Klub seniora"),  # no diacritics
        ("zajecia ruchowe", "Klub seniora"),
        ("logopedyczan", "Terapia logopedyczna dla dzieci"),  # a typo
        ("psycholgiczna", "Pomoc psychologiczna dla uczniów"),  # a typo
        ("logop", "Terapia logopedyczna dla dzieci"),  # a partial word
        ("senio", "Klub seniora"),
    ],
)
async def test_polish_queries_find_the_offering_first(module_basket, catalogue, q, expected):
    found = await titles(module_basket, q=q)
    assert found, f"nothing found for {q!r}"
    assert found[0] == expected


async def test_filters_sorting_and_paging(module_basket, catalogue):
    b = module_basket
    assert await titles(b, q="niepełnosprawnych") == []  # B's offering is not in A's basket
    assert await titles(b, tenant=B, q="niepelnosprawnosc") == [
        "Grupa wsparcia dla osób niepełnosprawnych"
    ]
    assert set(await titles(b, free=True)) == {"Terapia logopedyczna dla dzieci"}
    assert await titles(b, sector="education") == ["Pomoc psychologiczna dla uczniów"]
    assert await titles(b, target_group="seniors") == ["Klub seniora"]
    assert await titles(b, category="civic_activity.senior_clubs") == ["Klub seniora"]
    assert await titles(b, area="public_education") == [
        "Pomoc psychologiczna dla uczniów",
        "Terapia logopedyczna dla dzieci",
    ]
    assert "Pomoc psychologiczna dla uczniów" not in await titles(b, accessible=True)
    assert await titles(b, weekday=3) == ["Terapia logopedyczna dla dzieci"]

    # Within 3 km of the centre of Wieliczka: not the club in Grabówki (about 5 km away).
    near = (
        await b.get(
            None,
            f"/v1/public/{A}/offerings",
            lat=WIELICZKA[0],
            lon=WIELICZKA[1],
            radius_km=3,
            sort="distance",
        )
    ).json()["items"]
    assert [i["title"] for i in near] == [
        "Terapia logopedyczna dla dzieci",
        "Pomoc psychologiczna dla uczniów",
    ]
    assert near[0]["distance_km"] == 0.0
    assert 0.5 < near[1]["distance_km"] < 1.5
    by_distance = await titles(b, lat=49.95, lon=20.02, sort="distance")
    assert by_distance[0] == "Klub seniora"

    assert await titles(b, sort="name") == [
        "Klub seniora",
        "Pomoc psychologiczna dla uczniów",
        "Terapia logopedyczna dla dzieci",
    ]
    first = (await b.get(None, f"/v1/public/{A}/offerings", sort="name", per_page=2)).json()
    second = (
        await b.get(None, f"/v1/public/{A}/offerings", sort="name", per_page=2, page=2)
    ).json()
    assert (first["total"], second["total"]) == (3, 3)
    assert [i["title"] for i in second["items"]] == ["Terapia logopedyczna dla dzieci"]

    bad = await b.get(None, f"/v1/public/{A}/offerings", lat=52.5, lon=13.4)
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"lon"}
    no_point = await b.get(None, f"/v1/public/{A}/offerings", radius_km=5)
    assert no_point.status_code == 422
    for odd in ("'; DROP TABLE offerings; --", "dla i w", "???", "ł"):
        assert await titles(b, q=odd) == [], odd


async def test_capacity_filter(module_basket, catalogue):
    b = module_basket
    club = catalogue["Klub seniora"]
    response = await b.patch(
        "coord-a", f"/v1/offerings/{club}/capacity", {"capacity_status": "waitlist"}
    )
    assert response.status_code == 200, response.text
    try:
        assert await titles(b, capacity="waitlist") == ["Klub seniora"]
        assert "Klub seniora" not in await titles(b, capacity="available")
        assert await titles(b, capacity="no_capacity") == []
        bad = await b.get(None, f"/v1/public/{A}/offerings", capacity="plenty")
        assert bad.status_code == 422
        assert {e["field"] for e in bad.json()["errors"]} == {"capacity"}
    finally:
        await b.patch("coord-a", f"/v1/offerings/{club}/capacity", {"capacity_status": "available"})


async def test_a_municipality_search_follows_every_change_of_an_offering(basket, new_offering):
    """A municipality's search reads `offering_search`, which a trigger keeps: the municipalities
    served, the title, the status and removal all show at once in the public search."""
    b = basket
    ngo = await b.partner(A, sector="ngo", name="Fundacja Powiatowa")
    body = new_offering(ngo, "Mediacje rodzinne", tenant=A, tenants_served=[A, B])
    oid = await b.add("coord-a", body, publish=True)
    assert await titles(b, tenant=A, q="mediacje") == ["Mediacje rodzinne"]
    assert await titles(b, tenant=B, q="mediacje") == ["Mediacje rodzinne"]

    changed = await b.patch(
        "coord-a", f"/v1/offerings/{oid}", {"title": "Mediacje dla rodzin", "tenants_served": [A]}
    )
    assert changed.status_code == 200, changed.text
    assert await titles(b, tenant=A, q="mediacje") == ["Mediacje dla rodzin"]
    assert await titles(b, tenant=B, q="mediacje") == []
    rows = await b.sql("SELECT tenant_served FROM offering_search WHERE id = :id", id=oid)
    assert [r.tenant_served for r in rows] == [A]

    withdrawn = await b.post("coord-a", f"/v1/offerings/{oid}/withdraw", {"reason": "Koniec"})
    assert withdrawn.status_code == 200, withdrawn.text
    assert await titles(b, tenant=A, q="mediacje") == []
    await b.sql("DELETE FROM offerings WHERE id = :id", id=oid)
    assert await b.sql("SELECT id FROM offering_search WHERE id = :id", id=oid) == []
