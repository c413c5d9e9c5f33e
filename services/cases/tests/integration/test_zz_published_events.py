"""No personal data in any event: every event the test suite made the service publish (each test's
outbox is collected when its service stops, see conftest) is scanned for the personal data the
fixtures used — names, PESEL numbers, address, phone, e-mail, diagnosis text, free-text reasons.
(Each test's own events are also checked when it ends; this module runs last in the folder.)"""

from __future__ import annotations

from shared.contracts import event_type_registry


async def test_no_event_published_by_the_suite_carries_personal_data(cases):
    c = cases
    case_id, _people, _consent = await c.team_case()
    await c.put("manager-a", f"/v1/cases/{case_id}/plan", {"goals": [{"title": "Cel"}]})
    bodies = [*c.published_bodies, *await c.outbox_bodies()]
    assert len(bodies) >= 4
    assert c.scan(bodies) == []
    # The scan is not vacuous: it finds a planted name.
    assert c.scan([b'{"data": {"note": "Anastazja"}}']) == ["Anastazja"]
    # Every event is a declared contract of shared.contracts.cases.
    registry = event_type_registry()
    types = {line.split(b'"type":"')[1].split(b'"')[0].decode() for line in bodies}
    assert all(t in registry for t in types)
    assert all(t.startswith("cases.") for t in types)


async def test_the_asyncapi_document_lists_every_cases_event(cases):
    document = (await cases.client.get("/asyncapi.json")).text
    cases_types = [t for t in event_type_registry() if t.startswith("cases.")]
    assert len(cases_types) == 19
    assert all(t in document for t in cases_types)
    assert "cases-basket" in document  # the consumers feeding the read models are listed too
    assert "cases-partners" in document
