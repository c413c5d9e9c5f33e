"""The HSDS mapping, validated against the HSDS 3.0 compiled schemas (no database needed)."""

from __future__ import annotations

import json
import uuid
from datetime import time

from jsonschema import Draft202012Validator, FormatChecker

from basket.adapters import hsds
from basket.domain import model
from basket.service.ports import Provider
from shared import clock


def test_a_full_offering_maps_to_a_valid_hsds_service(hsds_dir):
    schema = json.loads((hsds_dir / "compiled" / "service.json").read_text(encoding="utf-8"))
    validator = Draft202012Validator(schema, format_checker=FormatChecker())
    o = model.Offering.add(
        by="coord-a",
        today=clock.today(),
        area="disability_support",
        id=uuid.uuid4(),
        tenant="1219043",
        institution_id=uuid.uuid4(),
        provider_sector="ngo",
        title="Opieka wytchnieniowa",
        description="Zastępstwo w opiece",
        category="disability_support.respite_care",
        target_groups=["carers", "disabled"],
        eligibility=model.Eligibility("Opiekunowie", 18, None, [], True, True),
        required_documents=["Orzeczenie o niepełnosprawności"],
        cost=model.Cost(model.CostKind.PAID, 30.0, description="za godzinę"),
        places=[
            model.Place("Siedziba", "ul. Zamkowa 2", "32-005", "Niepołomice", 50.03, 20.21, True),
            model.Place(city="Kłaj"),
        ],
        schedule=[model.ScheduleSlot(7, time(8), time(16, 30), "co drugi tydzień")],
        languages=["pl", "uk"],
        tenants_served=["1219032"],
        contact=model.Contact("Irena Wróbel", "koordynatorka", "604 118 272", "irena@example.org"),
        waiting_days=7,
    )
    o.updated_at = clock.now()
    provider = Provider(o.institution_id, "Stowarzyszenie „Razem”", "ngo", ["1219043"])
    service = hsds.service(o, provider, {"disability_support.respite_care": "Opieka"})
    errors = list(validator.iter_errors(service))
    assert not errors, [e.message for e in errors]
    assert service["status"] == "inactive"  # a draft
    assert service["schedules"][0]["byday"] == "SU"
    assert [a["name"] for a in service["service_areas"]] == ["1219043", "1219032"]
    assert service["service_at_locations"][1]["location"].get("addresses") is None
    assert hsds.service(o, provider, {})["id"] == service["id"]
    assert hsds.derived_id(o.id, "location", 0) == service["service_at_locations"][0]["location_id"]
