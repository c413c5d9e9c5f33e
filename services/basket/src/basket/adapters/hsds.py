"""The basket in the Open Referral Human Services Data Specification 3.0 (HSDS): services with
their organization, locations, schedules, service areas, costs, documents, contacts, languages
and taxonomy terms (the 14 areas of the CUS act and the finer categories).

Ids of the nested objects are derived (UUID v5) from the offering's id, so they are stable.
"""

from __future__ import annotations

import uuid
from typing import Any

from basket.domain import model
from basket.service.ports import Provider
from shared.contracts.basket import AREA_NAMES_PL
from shared.paging import page_count

HSDS_VERSION = "3.0"
TAXONOMY = "CUS-2019"
_NS = uuid.UUID("0d7f3c1e-8b7a-4e0c-9c55-6a4b4f1a2b3c")

VOIVODESHIPS = {
    "02": "dolnośląskie",
    "04": "kujawsko-pomorskie",
    "06": "lubelskie",
    "08": "lubuskie",
    "10": "łódzkie",
    "12": "małopolskie",
    "14": "mazowieckie",
    "16": "opolskie",
    "18": "podkarpackie",
    "20": "podlaskie",
    "22": "pomorskie",
    "24": "śląskie",
    "26": "świętokrzyskie",
    "28": "warmińsko-mazurskie",
    "30": "wielkopolskie",
    "32": "zachodniopomorskie",
}
BYDAY = ("", "MO", "TU", "WE", "TH", "FR", "SA", "SU")
LANGUAGE_NAMES = {
    "pl": "polski",
    "en": "angielski",
    "uk": "ukraiński",
    "de": "niemiecki",
    "ru": "rosyjski",
    "be": "białoruski",
    "pjm": "polski język migowy",
}
SECTOR_NAMES_PL = {
    "education": "edukacja",
    "health": "ochrona zdrowia",
    "justice": "wymiar sprawiedliwości",
    "police": "policja",
    "ngo": "organizacja pozarządowa",
    "social_economy": "ekonomia społeczna",
    "labour_market": "rynek pracy",
    "family_support": "wspieranie rodziny i piecza zastępcza",
    "business": "biznes lokalny",
    "local_government": "samorząd",
    "social_assistance": "pomoc społeczna",
}
STATUS = {
    model.Status.PUBLISHED: "active",
    model.Status.SUSPENDED: "temporarily closed",
    model.Status.WITHDRAWN: "inactive",
    model.Status.DRAFT: "inactive",
}


def derived_id(*parts: object) -> str:
    return str(uuid.uuid5(_NS, "/".join(str(p) for p in parts)))


def term_id(code: str) -> str:
    """The HSDS taxonomy_term id of an area or a finer category code."""
    return derived_id("taxonomy", code)


def _clean(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None and v != []}


def organization(p: Provider) -> dict[str, Any]:
    sector = SECTOR_NAMES_PL.get(p.sector, p.sector)
    return _clean(
        {
            "id": str(p.id),
            "name": p.name,
            "description": f"{p.name} – partner Modelu Kooperacji (sektor: {sector}).",
        }
    )


def taxonomy_term(code: str, name: str, parent: str | None = None) -> dict[str, Any]:
    return _clean(
        {
            "id": term_id(code),
            "code": code,
            "name": name,
            "description": name,
            "parent_id": term_id(parent) if parent else None,
            "taxonomy": TAXONOMY,
            "language": "pl",
        }
    )


def _attribute(service_id: str, term: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": derived_id(service_id, "attribute", term["code"]),
        "link_id": service_id,
        "link_type": "service",
        "link_entity": "service",
        "taxonomy_term_id": term["id"],
        "taxonomy_term": term,
    }


def _location(sid: str, i: int, place: model.Place, tenant: str) -> dict[str, Any]:
    location_id = derived_id(sid, "location", i)
    address = None
    if place.street and place.city and place.postal_code:
        address = {
            "id": derived_id(sid, "address", i),
            "location_id": location_id,
            "address_1": place.street,
            "city": place.city,
            "state_province": VOIVODESHIPS.get(tenant[:2], "—"),
            "postal_code": place.postal_code,
            "country": "PL",
            "address_type": "physical",
        }
    accessibility = {
        "id": derived_id(sid, "accessibility", i),
        "location_id": location_id,
        "description": (
            "Miejsce dostępne dla osób z niepełnosprawnością ruchową"
            if place.accessible
            else "Miejsce bez pełnej dostępności architektonicznej"
        ),
        "details": place.accessibility_notes,
    }
    return _clean(
        {
            "id": location_id,
            "location_type": "physical",
            "name": place.name or place.street or place.city,
            "latitude": place.latitude,
            "longitude": place.longitude,
            "addresses": [address] if address else [],
            "accessibility": [_clean(accessibility)],
        }
    )


def _cost_option(sid: str, cost: model.Cost) -> dict[str, Any]:
    return _clean(
        {
            "id": derived_id(sid, "cost"),
            "service_id": sid,
            "option": model.COST_NAMES_PL[cost.kind],
            "currency": cost.currency if cost.amount is not None else None,
            "amount": cost.amount,
            "amount_description": cost.description,
        }
    )


def service(
    o: model.Offering, provider: Provider | None, category_names: dict[str, str]
) -> dict[str, Any]:
    """The fully nested HSDS service of an offering."""
    sid = str(o.id)
    e = o.eligibility
    application = []
    if e.referral_required:
        application.append("Wymagane skierowanie.")
    if e.decision_required:
        application.append("Wymagana decyzja administracyjna.")
    contact_id = derived_id(sid, "contact")
    phones = (
        [{"id": derived_id(sid, "phone"), "contact_id": contact_id, "number": o.contact.phone}]
        if o.contact.phone
        else []
    )
    area_term = taxonomy_term(o.area, AREA_NAMES_PL.get(o.area, o.area))
    category_term = taxonomy_term(o.category, category_names.get(o.category, o.category), o.area)
    group_terms = [
        taxonomy_term(f"target_group.{g}", model.TARGET_GROUPS.get(g, g)) for g in o.target_groups
    ]
    data: dict[str, Any] = {
        "id": sid,
        "organization_id": str(o.institution_id),
        "name": o.title,
        "description": o.description or None,
        "url": o.website,
        "email": o.contact.email,
        "status": STATUS[o.status],
        "application_process": " ".join(application) or None,
        "fees_description": model.COST_NAMES_PL[o.cost.kind]
        + (f": {o.cost.amount:.2f} PLN" if o.cost.amount is not None else "")
        + (f" ({o.cost.description})" if o.cost.description else ""),
        "wait_time": f"{o.waiting_days} dni" if o.waiting_days is not None else None,
        "eligibility_description": e.description,
        "minimum_age": e.min_age,
        "maximum_age": e.max_age,
        "assured_date": o.last_verified_on.isoformat() if o.last_verified_on else None,
        "alert": o.status_reason if o.status is not model.Status.PUBLISHED else None,
        "last_modified": o.updated_at.isoformat() if o.updated_at else None,
        "phones": [dict(p, service_id=sid) for p in phones],
        "schedules": [
            _clean(
                {
                    "id": derived_id(sid, "schedule", i),
                    "service_id": sid,
                    "freq": "WEEKLY",
                    "wkst": "MO",
                    "byday": BYDAY[slot.weekday],
                    "opens_at": slot.opens_at.strftime("%H:%M"),
                    "closes_at": slot.closes_at.strftime("%H:%M"),
                    "description": f"{model.WEEKDAYS_PL[slot.weekday]} "
                    f"{slot.opens_at:%H:%M}–{slot.closes_at:%H:%M}",
                    "notes": slot.notes,
                }
            )
            for i, slot in enumerate(o.schedule)
        ],
        "service_areas": [
            {
                "id": derived_id(sid, "area", teryt),
                "service_id": sid,
                "name": teryt,
                "description": f"Gmina o kodzie TERYT {teryt}",
                "extent_type": "teryt",
                "extent": teryt,
            }
            for teryt in o.tenants_served
        ],
        "service_at_locations": [
            {
                "id": derived_id(sid, "service_at_location", i),
                "service_id": sid,
                "location_id": derived_id(sid, "location", i),
                "location": _location(sid, i, place, o.tenant),
            }
            for i, place in enumerate(o.places)
        ],
        "languages": [
            {
                "id": derived_id(sid, "language", code),
                "service_id": sid,
                "code": code,
                "name": LANGUAGE_NAMES.get(code, code),
            }
            for code in o.languages
        ],
        "organization": organization(provider) if provider else None,
        "cost_options": [_cost_option(sid, o.cost)],
        "required_documents": [
            {"id": derived_id(sid, "document", i), "service_id": sid, "document": doc}
            for i, doc in enumerate(o.required_documents)
        ],
        "contacts": [
            _clean(
                {
                    "id": contact_id,
                    "service_id": sid,
                    "name": o.contact.name,
                    "title": o.contact.role,
                    "email": o.contact.email,
                    "phones": phones,
                }
            )
        ],
        "attributes": [_attribute(sid, t) for t in (area_term, category_term, *group_terms)],
    }
    return _clean(data)


LIST_FIELDS = (
    "id",
    "organization_id",
    "name",
    "description",
    "url",
    "email",
    "status",
    "application_process",
    "fees_description",
    "wait_time",
    "eligibility_description",
    "minimum_age",
    "maximum_age",
    "assured_date",
    "alert",
    "last_modified",
    "organization",
)


def service_list_item(full: dict[str, Any]) -> dict[str, Any]:
    """The one-to-one fields of a service (the HSDS API's paginated listing)."""
    return {k: full[k] for k in LIST_FIELDS if k in full}


def page(contents: list[dict[str, Any]], *, total: int, page: int, per_page: int) -> dict[str, Any]:
    pages = page_count(total, per_page)
    return {
        "total_items": total,
        "total_pages": pages,
        "page_number": page,
        "size": len(contents),
        "first_page": page == 1,
        "last_page": page >= pages,
        "empty": total == 0,
        "contents": contents,
    }
