"""The family's own copy of its data (GDPR art. 15(3), art. 20; ADR 0016): a JSON file in a
documented, versioned format (validated against the JSON Schema beside this test) and a tagged
Polish PDF, for the case manager only; every export is a disclosure to the family in the access
log, and every refused attempt is recorded as refused."""

from __future__ import annotations

import json
import subprocess
from datetime import timedelta
from pathlib import Path

import jsonschema
import pytest
from sqlalchemy import text

from shared import clock

SCHEMA = json.loads((Path(__file__).parent / "family_export.schema.json").read_text("utf-8"))
NOTES = "Rodzina zadowolona z zajęć; Anastazja prosi o kolejne spotkanie"
ASSESSMENT = "Anastazja mówi, że depresyjne dni są rzadsze"
WITHDRAWAL = "ustnie, w ośrodku"


async def entries(c, case_id: str) -> list[dict]:
    async with c.runtime.engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT * FROM access_log WHERE case_id = :c ORDER BY chain_pos"), {"c": case_id}
        )
        return [dict(r._mapping) for r in rows]


async def full_case(c) -> tuple[str, list[str]]:
    """A case with every kind of data: family (with PESEL), two consents (one withdrawn), the
    school in the team, diagnosis from both sides, two plan versions, a review, a completed
    referral, a meeting held with decisions."""
    case_id, people, _consent = await c.team_case()
    clinic = await c.consent(case_id, people[1], institutions=[c.CLINIC], kinds=["meetings"])
    withdrawn = await c.post(
        "manager-a", f"/v1/cases/{case_id}/consents/{clinic}/withdraw", {"note": WITHDRAWAL}
    )
    assert withdrawn.status_code == 200, withdrawn.text
    for user, area, perspective, words in (
        ("manager-a", "health", "family", c.DIAGNOSIS_TEXT),
        ("partner-a", "care_and_upbringing", "specialist", "Opinia pedagoga szkolnego"),
    ):
        body = {"area": area, "perspective": perspective, "text": words}
        assert (await c.post(user, f"/v1/cases/{case_id}/diagnosis", body)).status_code == 201
    plan = {
        "goals": [
            {"id": "g-school", "title": "Regularna obecność syna w szkole", "actions": [
                {"title": "Codzienne odprowadzanie", "responsible": {"kind": "family"}}]},
        ]
    }  # fmt: skip
    assert (await c.put("manager-a", f"/v1/cases/{case_id}/plan", plan)).status_code == 200
    plan["goals"].append({"id": "g-work", "title": "Praca matki", "actions": []})
    assert (await c.put("manager-a", f"/v1/cases/{case_id}/plan", plan)).status_code == 200
    today = clock.today()
    await c.created(
        "manager-a",
        f"/v1/cases/{case_id}/reviews",
        {
            "reviewed_on": str(today),
            "goals": [{"goal_id": "g-school", "status": "reached", "note": "Frekwencja 95%"}],
            "family_assessment": ASSESSMENT,
            "next_review_on": str(today + timedelta(days=90)),
        },
    )
    service_id = await c.offering()
    referral_id = await c.created(
        "manager-a", f"/v1/cases/{case_id}/referrals", {"service_id": service_id, "note": "Pilne"}
    )
    for state, extra in [
        ("accepted", {}),
        ("in-progress", {}),
        ("completed", {"outcome_code": "goal_achieved", "outcome": "Oceny poprawione"}),
    ]:
        moved = await c.post(
            "partner-a", f"/v1/referrals/{referral_id}/transitions", {"state": state, **extra}
        )
        assert moved.status_code == 200, moved.text
    starts = clock.now() + timedelta(days=1)
    meeting_id = await c.created(
        "manager-a",
        f"/v1/cases/{case_id}/meetings",
        {
            "starts_at": starts.isoformat(),
            "place": "OPS Wieliczka, pokój 12",
            "participants": [{"kind": "family", "family_member_id": people[1]}],
            "agenda": ["Plan wsparcia"],
        },
    )
    held = await c.post(
        "manager-a",
        f"/v1/meetings/{meeting_id}/held",
        {
            "held_at": starts.isoformat(),
            "notes": NOTES,
            "decisions": [{"text": "Kontynuacja zajęć", "family_consent": "given"}],
        },
    )
    assert held.status_code == 200, held.text
    return case_id, people


async def test_the_json_file_holds_every_kind_of_the_familys_data_in_the_documented_format(cases):
    c = cases
    case_id, people = await full_case(c)
    before = await c.access_count(case_id)
    response = await c.get("manager-a", f"/v1/cases/{case_id}/export", format="json")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment; filename=")
    assert disposition.endswith('.json"')
    assert not c.scan([disposition.encode()])  # no name or PESEL in the file's name
    assert response.headers["cache-control"] == "no-store"
    raw = response.content.decode("utf-8")
    assert "Zmyślona-Testowa" in raw  # UTF-8 itself, not \u escapes
    data = json.loads(raw)
    jsonschema.validate(data, SCHEMA, format_checker=jsonschema.FormatChecker())
    assert (data["format"], data["schema_version"]) == ("cus-family-export", "1.0")

    assert data["case"]["id"] == case_id
    pesels = {p["first_name"]: p["pesel"] for p in data["family"]}
    assert pesels == {"Anastazja": c.PESEL_MOTHER, "Bartłomiej": pesels["Bartłomiej"]}
    assert all(len(p) == 11 for p in pesels.values())
    mother = next(p for p in data["family"] if p["first_name"] == "Anastazja")
    assert mother["address"] == "ul. Nieistniejąca 13/7, 32-020 Wieliczka"
    assert [x["status"] for x in data["consents"]] == ["valid", "withdrawn"]
    withdrawn = data["consents"][1]
    assert withdrawn["withdrawal_note"] == WITHDRAWAL
    assert withdrawn["given_by_member_id"] == people[1]
    assert withdrawn["institutions"] == [
        {"id": str(c.CLINIC), "name": "Poradnia Zdrowia Psychicznego"}
    ]
    assert [(m["institution_id"], m["state"]) for m in data["team"]] == [(str(c.SCHOOL), "active")]
    assert {e["text"] for e in data["diagnosis"]} == {c.DIAGNOSIS_TEXT, "Opinia pedagoga szkolnego"}
    assert [v["version"] for v in data["plan_versions"]] == [1, 2]
    assert [g["title"] for g in data["plan_versions"][1]["goals"]] == [
        "Regularna obecność syna w szkole", "Praca matki",
    ]  # fmt: skip
    [review] = data["reviews"]
    assert review["family_assessment"] == ASSESSMENT
    [referral] = data["referrals"]
    assert (referral["state"], referral["note"], referral["outcome"]) == (
        "completed", "Pilne", "Oceny poprawione",
    )  # fmt: skip
    assert referral["institution_name"] == "Szkoła Podstawowa nr 1 w Wieliczce"
    assert [h["to"] for h in referral["history"]][-1] == "completed"
    [meeting] = data["meetings"]
    assert (meeting["status"], meeting["notes"]) == ("held", NOTES)
    assert meeting["decisions"][0]["family_consent"] == "given"
    assert data["reassignments"] == []
    report = data["access_report"]
    assert any(line["relation"] == "team_member" for line in report)
    assert any("diagnosis" in line["what"] for line in report)

    # The export is one disclosure to the family in the case's log, after the file was made.
    assert await c.access_count(case_id) == before + 1
    last = (await entries(c, case_id))[-1]
    assert (last["action"], last["what"], last["outcome"], last["relation"]) == (
        "disclose", "family-export.json", "allowed", "case_manager",
    )  # fmt: skip
    assert last["purpose"].startswith("udostępnienie rodzinie kopii jej danych")
    assert not any("family-export.json" in line["what"] for line in report)
    again = (await c.get("manager-a", f"/v1/cases/{case_id}/access-report")).json()
    [shared] = [line for line in again if line["action"] == "disclose"]
    assert shared["what"] == ["family-export.json"]


async def test_the_pdf_is_tagged_polish_text_in_reading_order(cases, tmp_path):
    c = cases
    case_id, _people = await full_case(c)
    response = await c.get("manager-a", f"/v1/cases/{case_id}/export", format="pdf")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"].startswith("attachment; filename=")
    assert response.headers["content-disposition"].endswith('.pdf"')
    path = tmp_path / "export.pdf"
    path.write_bytes(response.content)

    def run(*args: str) -> str:
        return subprocess.run(args, check=True, capture_output=True, text=True).stdout

    plain = " ".join(run("pdftotext", "-enc", "UTF-8", str(path), "-").split())
    for expected in (
        "Dane rodziny w platformie Centrum Usług Społecznych",
        "Osoby w rodzinie", "Anastazja Zmyślona-Testowa", f"PESEL: {c.PESEL_MOTHER}",
        "Zgody (cała historia)", "wycofana", WITHDRAWAL, "Diagnoza", c.DIAGNOSIS_TEXT,
        "Plan wsparcia (wszystkie wersje)", "Przeglądy planu", ASSESSMENT,
        "Skierowania do usług", "Oceny poprawione", "Spotkania i ustalenia", NOTES,
        "Kto, kiedy i po co korzystał z danych rodziny", "członek zespołu",
    ):  # fmt: skip
        assert expected in plain, expected
    # Sections in the order of the JSON file.
    headings = [
        "Sprawa", "Osoby w rodzinie", "Zgody", "Zespół", "Diagnoza", "Plan wsparcia",
        "Przeglądy planu", "Skierowania", "Spotkania", "Przekazania sprawy", "Kto, kiedy",
    ]  # fmt: skip
    positions = [plain.index(h) for h in headings]
    assert positions == sorted(positions)

    info = run("pdfinfo", str(path))
    assert "Tagged:          yes" in info
    assert "Title:           Dane rodziny w platformie Centrum Usług Społecznych" in info
    assert b"/Lang (pl-PL)" in response.content
    assert b"/DisplayDocTitle true" in response.content
    structure = run("pdfinfo", "-struct-text", str(path))
    assert "H1" in structure
    assert structure.count("H2") >= 11
    assert "H3" in structure
    assert c.DIAGNOSIS_TEXT in " ".join(structure.split())
    # The running footer is an artifact, outside the structure.
    assert "Strona 1 z" not in structure

    last = (await entries(c, case_id))[-1]
    assert (last["action"], last["what"]) == ("disclose", "family-export.pdf")


@pytest.mark.parametrize(
    ("user", "status"),
    [("partner-a", 403), ("manager-b", 404), ("director-a", 404), ("analyst", 404)],
)
async def test_only_the_case_manager_exports_and_every_refusal_is_recorded(cases, user, status):
    c = cases
    case_id, _people, _consent = await c.team_case()
    before = await c.access_count(case_id)
    outbox = await c.outbox_types()
    for fmt in ("json", "pdf"):
        response = await c.get(user, f"/v1/cases/{case_id}/export", format=fmt)
        assert response.status_code == status, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["cache-control"] == "no-store"
        assert not c.scan([response.content])
    refused = (await entries(c, case_id))[before:]
    assert [(e["actor_username"], e["action"], e["what"], e["outcome"]) for e in refused] == [
        (user, "read", "family-export.json", "refused"),
        (user, "read", "family-export.pdf", "refused"),
    ]
    assert await c.outbox_types() == outbox


async def test_a_bad_format_names_the_field_and_an_unknown_case_is_nobodys(cases):
    c = cases
    case_id, _people, _consent = await c.team_case()
    before = await c.access_count(case_id)
    bad = await c.get("manager-a", f"/v1/cases/{case_id}/export", format="xml")
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "format"
    assert await c.access_count(case_id) == before
    unknown = "00000000-0000-4000-8000-000000000000"
    assert (await c.get("manager-a", f"/v1/cases/{unknown}/export")).status_code == 404
    assert await c.access_count(unknown) == 0


async def test_the_openapi_declares_both_files_and_the_problems(cases):
    document = (await cases.client.get("/openapi.json")).json()
    operation = document["paths"]["/v1/cases/{case_id}/export"]["get"]
    content = operation["responses"]["200"]["content"]
    assert set(content) == {"application/json", "application/pdf"}
    assert content["application/json"]["schema"]["$ref"].endswith("/FamilyExport")
    for status in ("401", "403", "404", "422"):
        assert set(operation["responses"][status]["content"]) == {"application/problem+json"}
    [format_param] = [p for p in operation["parameters"] if p["name"] == "format"]
    assert format_param["schema"]["enum"] == ["json", "pdf"]
