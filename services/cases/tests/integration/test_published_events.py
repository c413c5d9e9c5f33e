"""No personal data in any event. Every test's own events are scanned when its service stops
(the `cases` fixture's teardown, see conftest: names, PESEL numbers, address, phone, e-mail,
diagnosis text, free-text reasons, and that each event is a declared contract); this module
makes the service publish the events that carry the most about a family and scans them itself,
so it shows the scan at work whatever else runs, and in whatever order."""

from __future__ import annotations

from shared.contracts import event_type_registry


async def test_the_events_of_a_family_case_carry_no_personal_data(cases):
    c = cases
    case_id, _people, _consent = await c.team_case()
    diagnosis = await c.post(
        "manager-a",
        f"/v1/cases/{case_id}/diagnosis",
        {"area": "health", "perspective": "family", "text": c.DIAGNOSIS_TEXT},
    )
    assert diagnosis.status_code == 201, diagnosis.text
    await c.put("manager-a", f"/v1/cases/{case_id}/plan", {"goals": [{"title": "Cel"}]})
    bodies = await c.outbox_bodies()
    types = {line.split(b'"type":"')[1].split(b'"')[0].decode() for line in bodies}
    assert {"cases.case.opened", "cases.family.consented"} <= types, types
    assert c.scan(bodies) == []
    # The scan is not vacuous: it finds a planted name.
    assert c.scan([b'{"data": {"note": "Anastazja"}}']) == ["Anastazja"]
    # Every event is a declared contract of shared.contracts.cases.
    registry = event_type_registry()
    assert all(t in registry for t in types)
    assert all(t.startswith("cases.") for t in types)


async def test_the_asyncapi_document_lists_every_cases_event(cases):
    document = (await cases.client.get("/asyncapi.json")).text
    cases_types = [t for t in event_type_registry() if t.startswith("cases.")]
    assert len(cases_types) == 21  # with cases.referral.withdrawn_consent (ADR 0037)
    assert all(t in document for t in cases_types)
    assert "cases-basket" in document  # the consumers feeding the read models are listed too
    assert "cases-partners" in document
