"""Publishing the basket: the HSDS 3.0 read API and export (validated against the HSDS schemas
read from shared/standards), CSV, XLSX and the printable PDF."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from openpyxl import load_workbook

A, B = "1219053", "1219043"


def validator(hsds_dir: Path, name: str) -> Draft202012Validator:
    schema = json.loads((hsds_dir / "compiled" / f"{name}.json").read_text(encoding="utf-8"))
    return Draft202012Validator(schema, format_checker=FormatChecker())


def assert_valid(v: Draft202012Validator, instance: object) -> None:
    errors = sorted(v.iter_errors(instance), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])


@pytest.fixture
async def published_basket(basket, new_offering) -> dict[str, str]:
    b = basket
    ngo = await b.partner(A, name="Fundacja „Dobry Start”")
    school = await b.partner(A, sector="education", name="Szkoła Podstawowa nr 1 w Wieliczce")
    ids = {
        "counselling": await b.add("coord-a", new_offering(ngo, "Poradnictwo rodzinne"), True),
        "speech": await b.add(
            "coord-a",
            new_offering(
                school,
                "Terapia logopedyczna",
                category="public_education.speech_therapy",
                target_groups=["children"],
                cost={"kind": "co_paid", "amount": 25.5, "description": "za zajęcia"},
                eligibility={"min_age": 3, "max_age": 10, "referral_required": True},
                waiting_days=14,
                capacity_status="waitlist",
            ),
            True,
        ),
        "draft": await b.add("coord-a", new_offering(school, "Szkic – niepublikowany")),
    }
    return ids


async def test_hsds_export_and_api_validate_against_hsds_3(basket, published_basket, hsds_dir):
    b, ids = basket, published_basket
    service_schema = validator(hsds_dir, "service")
    export = await b.get(None, f"/v1/public/{A}/export.json")
    assert export.status_code == 200
    services = export.json()
    assert {s["id"] for s in services} == {ids["counselling"], ids["speech"]}
    for service in services:
        assert_valid(service_schema, service)
    speech = next(s for s in services if s["id"] == ids["speech"])
    assert speech["organization"]["name"] == "Szkoła Podstawowa nr 1 w Wieliczce"
    assert speech["cost_options"][0]["amount"] == 25.5
    assert speech["minimum_age"] == 3
    assert speech["wait_time"] == "14 dni"
    assert speech["application_process"] == "Wymagane skierowanie."
    location = speech["service_at_locations"][0]["location"]
    assert location["addresses"][0]["state_province"] == "małopolskie"
    assert location["accessibility"]
    assert {a["taxonomy_term"]["code"] for a in speech["attributes"]} == {
        "public_education",
        "public_education.speech_therapy",
        "target_group.children",
    }

    full = (await b.get(None, f"/hsds/services/{ids['speech']}")).json()
    assert_valid(service_schema, full)
    assert (await b.get(None, f"/hsds/services/{ids['draft']}")).status_code == 404

    listing = (await b.get(None, "/hsds/services", per_page=1)).json()
    assert (listing["total_items"], listing["total_pages"], listing["size"]) == (2, 2, 1)
    list_schema = validator(hsds_dir, "service_list")
    for item in listing["contents"]:
        assert_valid(list_schema, item)

    term = next(
        a["taxonomy_term_id"]
        for a in speech["attributes"]
        if a["taxonomy_term"]["code"] == "public_education.speech_therapy"
    )
    by_term = (await b.get(None, "/hsds/services", taxonomy_term_id=term)).json()
    assert [s["id"] for s in by_term["contents"]] == [ids["speech"]]
    by_org = (await b.get(None, "/hsds/services", organization_id=speech["organization_id"])).json()
    assert [s["id"] for s in by_org["contents"]] == [ids["speech"]]
    searched = (await b.get(None, "/hsds/services", search="logopeda")).json()
    assert [s["id"] for s in searched["contents"]] == [ids["speech"]]
    later = (await b.get(None, "/hsds/services", modified_after="2999-01-01T00:00:00Z")).json()
    assert later["empty"] is True

    organizations = (await b.get(None, "/hsds/organizations")).json()
    assert organizations["total_items"] == 2
    org_schema = validator(hsds_dir, "organization_list")
    for org in organizations["contents"]:
        assert_valid(org_schema, org)
    assert (await b.get(None, "/hsds/organizations", tenant=B)).json()["total_items"] == 0


async def test_csv_xlsx_and_pdf_exports_in_polish(basket, published_basket):
    b = basket
    response = await b.get(None, f"/v1/public/{A}/export.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:4] == ["Identyfikator", "Obszar", "Kategoria", "Usługa"]
    assert sorted(r[3] for r in rows[1:]) == ["Poradnictwo rodzinne", "Terapia logopedyczna"]
    speech = next(r for r in rows if r[3] == "Terapia logopedyczna")
    assert "częściowo odpłatna, 25,50 zł (za zajęcia)" in speech
    assert "Logopedia" in speech

    xlsx = await b.get(None, f"/v1/public/{A}/export.xlsx")
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][3] == "Usługa"
    assert sorted(v[3] for v in values[1:]) == ["Poradnictwo rodzinne", "Terapia logopedyczna"]

    pdf = await b.get(None, f"/v1/public/{A}/export.pdf", municipality="Wieliczka")
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert len(pdf.content) > 5000
    empty = await b.get(None, f"/v1/public/{B}/export.pdf")
    assert empty.status_code == 200
