"""The basket pages' form logic: form → API body, offering → form, error paths → fields."""

from __future__ import annotations

import uuid

from shared.auth import Principal, Role
from web.clients.base import ApiProblem
from web.i18n import Translator
from web.routes.basket import (
    field_label,
    form_field,
    may_edit,
    offering_values,
    own_institution_only,
    page_number,
    parse_number,
    parse_offering,
    problem_errors,
    search_filters,
)

INSTITUTION = "7a1c3e52-5d0b-4a53-9b1e-2f6d0c8a0001"


def form(**extra: object) -> dict[str, object]:
    values: dict[str, object] = {
        "institution_id": INSTITUTION,
        "title": "Żłobek",
        "category": "family_policy.early_childcare",
        "contact_name": "Maria Kowalczyk",
        "cost_kind": "co_paid",
        "cost_amount": "1 250,50",
        "target_groups": ["children"],
        "languages": "pl, UK",
        "tenants_served": "1219043",
        "places_0_city": "Wieliczka",
        "places_0_accessible": "on",
        "places_1_city": "",
        "places_2_street": "ul. Polna 1",
        "schedule_0_weekday": "2",
        "schedule_0_opens_at": "",
        "schedule_1_weekday": "3",
        "schedule_1_opens_at": "09:00",
        "schedule_1_closes_at": "15:00",
        "required_documents": "Dowód osobisty\n\n Karta zgłoszenia ",
    }
    values.update(extra)
    return values


def test_form_becomes_the_api_body_blank_rows_left_out() -> None:
    parsed = parse_offering(form(), create=True)
    assert parsed.errors == {}
    body = parsed.body
    assert body["cost"] == {"kind": "co_paid", "amount": 1250.5, "description": None}
    assert body["languages"] == ["pl", "uk"]
    assert body["required_documents"] == ["Dowód osobisty", "Karta zgłoszenia"]
    assert [p["city"] for p in body["places"]] == ["Wieliczka", None]
    assert body["places"][0]["accessible"] is True
    assert parsed.place_rows == [0, 2]
    assert body["schedule"] == [
        {"weekday": 3, "opens_at": "09:00", "closes_at": "15:00", "notes": None}
    ]
    assert parsed.slot_rows == [1]
    assert body["institution_id"] == INSTITUTION


def test_the_forms_own_errors() -> None:
    parsed = parse_offering(
        form(title="", eligibility_min_age="dwa", tenants_served="12", cost_amount="x"),
        create=True,
    )
    assert parsed.errors == {
        "title": "basket.error.required",
        "eligibility_min_age": "basket.error.integer",
        "tenants_served": "basket.error.teryt",
        "cost_amount": "basket.error.number",
    }


def test_service_error_paths_name_the_form_rows() -> None:
    parsed = parse_offering(form(), create=True)
    assert form_field("places.1.latitude", parsed) == "places_2_latitude"
    assert form_field("schedule.0.closes_at", parsed) == "schedule_1_closes_at"
    assert form_field("eligibility.max_age") == "eligibility_max_age"
    assert form_field("contact.name") == "contact_name"
    assert form_field("contact") == "contact_name"
    assert form_field("target_groups.2") == "target_groups"
    problem = ApiProblem(
        422,
        errors=[
            {"field": "cost.amount", "detail": "Podaj kwotę."},
            {"field": "secret", "detail": "Coś innego."},
        ],
    )
    assert problem_errors(problem, parsed, ["cost_amount"]) == {
        "cost_amount": "Podaj kwotę.",
        "_form": "Coś innego.",
    }
    t = Translator("pl")
    assert field_label(t, "schedule_1_closes_at") == "Termin 2: Do godziny"
    assert field_label(t, "cost_amount") == "Kwota (zł)"


def test_an_offering_round_trips_through_the_form() -> None:
    offering = {
        "tenant": "1219053",
        "institution_id": INSTITUTION,
        "title": "Żłobek",
        "category": "family_policy.early_childcare",
        "target_groups": ["children"],
        "eligibility": {"min_age": 1, "max_age": 3, "residence": [], "referral_required": True},
        "required_documents": ["Karta"],
        "cost": {"kind": "paid", "amount": 20.5, "description": None},
        "places": [
            {"city": "Wieliczka", "latitude": 49.987, "longitude": 20.064, "accessible": True}
        ],
        "schedule": [{"weekday": 1, "opens_at": "06:30:00", "closes_at": "17:00:00"}],
        "languages": ["pl"],
        "tenants_served": ["1219053", "1219043"],
        "contact": {"name": "Maria"},
        "capacity_status": "waitlist",
        "waiting_days": 14,
    }
    values = offering_values(offering)
    assert values["cost_amount"] == "20,5"
    assert values["places_0_latitude"] == "49,987"
    assert values["tenants_served"] == "1219043"
    assert values["schedule_0_opens_at"] == "06:30"
    body = parse_offering(values, create=False).body
    assert body["cost"]["amount"] == 20.5
    assert body["places"][0]["latitude"] == 49.987
    assert body["eligibility"]["referral_required"] is True
    assert body["schedule"][0]["opens_at"] == "06:30"
    assert "institution_id" not in body


def test_polish_numbers() -> None:
    assert parse_number("1\u00a0234,5") == 1234.5
    assert parse_number("") is None
    assert parse_number("7", integer=True) == 7


def test_who_may_edit_and_whose_offerings_a_partner_sees() -> None:
    offering = {"tenant": "1219053", "institution_id": INSTITUTION}
    coord = Principal("c", "coord-a", frozenset({Role.COORDINATOR}), frozenset({"1219053"}))
    other = Principal("c", "coord-b", frozenset({Role.COORDINATOR}), frozenset({"1219043"}))
    editor = Principal(
        "p",
        "partner-a",
        frozenset({Role.PARTNER_EDITOR, Role.PARTNER_STAFF}),
        frozenset({"1219053"}),
        institution_id=uuid.UUID(INSTITUTION),
    )
    assert may_edit(coord, offering)
    assert not may_edit(other, offering)
    assert may_edit(editor, offering)
    assert not may_edit(editor, {**offering, "institution_id": str(uuid.uuid4())})
    assert own_institution_only(editor) == INSTITUTION
    assert own_institution_only(coord) is None


def test_search_filters_drop_what_the_service_would_refuse() -> None:
    assert search_filters(
        {"q": " zlobek ", "category": "family_policy", "capacity": "lots", "free": "on"}
    ) == {"q": "zlobek", "area": "family_policy", "free": "true"}
    assert search_filters({"category": "family_policy.early_childcare", "weekday": "9"}) == {
        "category": "family_policy.early_childcare"
    }


def test_digits_other_than_ascii_are_no_page_nor_weekday() -> None:
    assert [page_number(v) for v in ("3", "²", "١٢", "0", "99999", None, "")] == [
        3,
        1,
        1,
        1,
        1,
        1,
        1,
    ]
    assert search_filters({"weekday": "²"}).get("weekday") is None
    assert search_filters({"weekday": "3"})["weekday"] == "3"
