"""Staff pages over the basket service: the editor (search the municipality's basket, add and edit
an offering, its status workflow, capacity, verification and history) and the stale list.

The offering form's logic is in pure functions at the top (form → API body, offering → form,
the service's error paths → form fields, who may do what), covered by unit tests."""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from babel import Locale
from fastapi import APIRouter, Request
from fastapi.responses import Response

from shared.auth import Principal, Role
from shared.contracts.basket import TARGET_GROUPS
from web.clients.base import ApiProblem, ServiceUnavailable
from web.deps import SignedIn, T, User, redirect, render, safe_return_path
from web.i18n import SECTORS, Translator, polish_sort_key

log = logging.getLogger(__name__)
router = APIRouter(tags=["basket"])
PER_PAGE = 20

STATUSES = ("draft", "published", "suspended", "withdrawn")
CAPACITIES = ("available", "waitlist", "no_capacity")
COST_KINDS = ("free", "co_paid", "paid")
WEEKDAYS = (1, 2, 3, 4, 5, 6, 7)
# What each status may become (the basket service's TRANSITIONS); verify is separate.
ACTIONS: dict[str, tuple[str, ...]] = {
    "draft": ("publish", "withdraw"),
    "published": ("suspend", "withdraw"),
    "suspended": ("publish", "withdraw"),
    "withdrawn": (),
}
PLACE_FIELDS = (
    "name",
    "street",
    "postal_code",
    "city",
    "latitude",
    "longitude",
    "accessible",
    "accessibility_notes",
)
SLOT_FIELDS = ("weekday", "opens_at", "closes_at", "notes")
# Scalar fields of the form (places and schedule rows are numbered: places_0_city, ...).
SCALAR_FIELDS = (
    "institution_id",
    "title",
    "description",
    "category",
    "eligibility_description",
    "eligibility_min_age",
    "eligibility_max_age",
    "eligibility_residence",
    "eligibility_referral_required",
    "eligibility_decision_required",
    "required_documents",
    "cost_kind",
    "cost_amount",
    "cost_description",
    "languages",
    "tenants_served",
    "contact_name",
    "contact_role",
    "contact_phone",
    "contact_email",
    "website",
    "capacity_status",
    "waiting_days",
)
CHECKBOXES = frozenset(
    {"eligibility_referral_required", "eligibility_decision_required", "accessible"}
)
# List fields whose items the service names by index (target_groups.2): one form field each.
LIST_FIELDS = frozenset(
    {
        "target_groups",
        "required_documents",
        "languages",
        "tenants_served",
        "eligibility_residence",
    }
)
BLANK_PLACES = 1
BLANK_SLOTS = 2
_SPLIT = re.compile(r"[\s,;]+")
_TERYT = re.compile(r"^\d{4}(\d{3})?$")
_TIME = re.compile(r"^\d{2}:\d{2}(:\d{2})?$")


@dataclass
class Parsed:
    """The API body made from a form, the form's own errors (field → message key) and, for the
    numbered rows, which form row each item of the body came from."""

    body: dict[str, Any]
    errors: dict[str, str] = field(default_factory=dict)
    place_rows: list[int] = field(default_factory=list)
    slot_rows: list[int] = field(default_factory=list)


def form_dict(items: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """Form fields as the templates use them: strings stripped, target groups as a list."""
    out: dict[str, Any] = {"target_groups": []}
    for name, value in items:
        if not isinstance(value, str):
            continue
        if name == "target_groups":
            if value in TARGET_GROUPS and value not in out["target_groups"]:
                out["target_groups"].append(value)
        elif name != "csrf_token":
            out[name] = value.strip()
    return out


def rows(values: Mapping[str, Any], prefix: str) -> int:
    """How many numbered rows (places_N_…, schedule_N_…) the form holds."""
    found = [-1]
    for name in values:
        m = re.match(rf"^{prefix}_(\d+)_", name)
        if m:
            found.append(int(m.group(1)))
    return min(max(found) + 1, 50)


def split_words(value: str) -> list[str]:
    return [w for w in _SPLIT.split(value or "") if w]


def parse_number(value: str, *, integer: bool = False) -> float | int | None:
    """A number as people type it in Poland: `12,50`, `12.5`, `1 200`. Raises ValueError."""
    text = (value or "").replace("\u00a0", "").replace(" ", "").replace(",", ".")
    if not text:
        return None
    return int(text) if integer else float(text)


def number_text(value: float | int | None) -> str:
    """A number back into a form field, Polish style (decimal comma, no trailing zeros)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).replace(".", ",")


def parse_offering(values: Mapping[str, Any], *, create: bool) -> Parsed:
    """The basket API's body (POST /v1/offerings when `create`, else the PATCH) from form values."""
    errors: dict[str, str] = {}

    def text(name: str) -> str:
        return str(values.get(name) or "").strip()

    def optional(name: str) -> str | None:
        return text(name) or None

    def number(name: str, *, integer: bool = False) -> Any:
        try:
            return parse_number(text(name), integer=integer)
        except ValueError:
            errors[name] = "basket.error.integer" if integer else "basket.error.number"
            return None

    def checked(name: str) -> bool:
        return text(name) in ("on", "true", "1", "yes")

    residence = split_words(text("eligibility_residence"))
    tenants = split_words(text("tenants_served"))
    for name, codes in (("eligibility_residence", residence), ("tenants_served", tenants)):
        if any(not _TERYT.match(code) for code in codes):
            errors[name] = "basket.error.teryt"
    body: dict[str, Any] = {
        "title": text("title"),
        "description": text("description"),
        "category": text("category"),
        "target_groups": [g for g in values.get("target_groups") or [] if g in TARGET_GROUPS],
        "eligibility": {
            "description": optional("eligibility_description"),
            "min_age": number("eligibility_min_age", integer=True),
            "max_age": number("eligibility_max_age", integer=True),
            "residence": residence,
            "referral_required": checked("eligibility_referral_required"),
            "decision_required": checked("eligibility_decision_required"),
        },
        "required_documents": [
            line.strip() for line in text("required_documents").splitlines() if line.strip()
        ],
        "cost": {
            "kind": text("cost_kind") or "free",
            "amount": number("cost_amount"),
            "description": optional("cost_description"),
        },
        "languages": [w.lower() for w in split_words(text("languages"))] or ["pl"],
        "tenants_served": tenants,
        "contact": {
            "name": text("contact_name"),
            "role": optional("contact_role"),
            "phone": optional("contact_phone"),
            "email": optional("contact_email"),
        },
        "website": optional("website"),
    }
    places: list[dict[str, Any]] = []
    place_rows: list[int] = []
    for i in range(rows(values, "places")):
        p = f"places_{i}_"
        if not any(text(p + k) for k in PLACE_FIELDS if k != "accessible"):
            continue  # a blank row: no place
        places.append(
            {
                "name": optional(p + "name"),
                "street": optional(p + "street"),
                "postal_code": optional(p + "postal_code"),
                "city": optional(p + "city"),
                "latitude": number(p + "latitude"),
                "longitude": number(p + "longitude"),
                "accessible": checked(p + "accessible"),
                "accessibility_notes": optional(p + "accessibility_notes"),
            }
        )
        place_rows.append(i)
    body["places"] = places
    schedule: list[dict[str, Any]] = []
    slot_rows: list[int] = []
    for i in range(rows(values, "schedule")):
        p = f"schedule_{i}_"
        if not any(text(p + k) for k in ("opens_at", "closes_at", "notes")):
            continue
        for part in ("opens_at", "closes_at"):
            if not _TIME.match(text(p + part)):
                errors[p + part] = "basket.error.time"
        weekday = number(p + "weekday", integer=True)
        if weekday is None and p + "weekday" not in errors:
            errors[p + "weekday"] = "basket.error.required"
        schedule.append(
            {
                "weekday": weekday,
                "opens_at": text(p + "opens_at"),
                "closes_at": text(p + "closes_at"),
                "notes": optional(p + "notes"),
            }
        )
        slot_rows.append(i)
    body["schedule"] = schedule
    if create:
        body["institution_id"] = text("institution_id")
        if text("tenant"):  # regional staff name the municipality whose basket it joins
            body["tenant"] = text("tenant")
        body["capacity_status"] = text("capacity_status") or "available"
        body["waiting_days"] = number("waiting_days", integer=True)
        for name in ("title", "category", "institution_id", "contact_name"):
            if not text(name):
                errors.setdefault(name, "basket.error.required")
    else:
        for name in ("title", "category", "contact_name"):
            if not text(name):
                errors.setdefault(name, "basket.error.required")
    return Parsed(body=body, errors=errors, place_rows=place_rows, slot_rows=slot_rows)


def offering_values(o: Mapping[str, Any]) -> dict[str, Any]:
    """An offering from the API as values of the edit form."""
    e = o.get("eligibility") or {}
    cost = o.get("cost") or {}
    contact = o.get("contact") or {}
    values: dict[str, Any] = {
        "institution_id": str(o.get("institution_id") or ""),
        "title": o.get("title") or "",
        "description": o.get("description") or "",
        "category": o.get("category") or "",
        "target_groups": list(o.get("target_groups") or []),
        "eligibility_description": e.get("description") or "",
        "eligibility_min_age": number_text(e.get("min_age")),
        "eligibility_max_age": number_text(e.get("max_age")),
        "eligibility_residence": ", ".join(e.get("residence") or []),
        "eligibility_referral_required": "on" if e.get("referral_required") else "",
        "eligibility_decision_required": "on" if e.get("decision_required") else "",
        "required_documents": "\n".join(o.get("required_documents") or []),
        "cost_kind": cost.get("kind") or "free",
        "cost_amount": number_text(cost.get("amount")),
        "cost_description": cost.get("description") or "",
        "languages": ", ".join(o.get("languages") or []),
        # The basket adds its own municipality itself; the form lists only the others.
        "tenants_served": ", ".join(
            t for t in o.get("tenants_served") or [] if t != o.get("tenant")
        ),
        "contact_name": contact.get("name") or "",
        "contact_role": contact.get("role") or "",
        "contact_phone": contact.get("phone") or "",
        "contact_email": contact.get("email") or "",
        "website": o.get("website") or "",
        "capacity_status": o.get("capacity_status") or "available",
        "waiting_days": number_text(o.get("waiting_days")),
    }
    for i, place in enumerate(o.get("places") or []):
        for key in PLACE_FIELDS:
            value = place.get(key)
            if key == "accessible":
                values[f"places_{i}_{key}"] = "on" if value else ""
            elif key in ("latitude", "longitude"):
                values[f"places_{i}_{key}"] = number_text(value)
            else:
                values[f"places_{i}_{key}"] = value or ""
    for i, slot in enumerate(o.get("schedule") or []):
        values[f"schedule_{i}_weekday"] = str(slot.get("weekday") or "")
        values[f"schedule_{i}_opens_at"] = str(slot.get("opens_at") or "")[:5]
        values[f"schedule_{i}_closes_at"] = str(slot.get("closes_at") or "")[:5]
        values[f"schedule_{i}_notes"] = slot.get("notes") or ""
    return values


def form_field(path: str, parsed: Parsed | None = None) -> str:
    """The form field a service error names by its dotted path (`places.0.longitude` →
    `places_2_longitude` when the body's first place came from the form's third row)."""
    parts = [p for p in path.split(".") if p and p != "body"]
    if not parts:
        return "_form"
    head = parts[0]
    if head in ("places", "schedule") and len(parts) >= 2 and parts[1].isdigit():
        index = int(parts[1])
        source = (parsed.place_rows if head == "places" else parsed.slot_rows) if parsed else []
        row = source[index] if index < len(source) else index
        return f"{head}_{row}_{parts[2]}" if len(parts) >= 3 else f"{head}_{row}_name"
    if head == "eligibility" and len(parts) >= 2:
        return f"eligibility_{parts[1]}"
    if head in ("cost", "contact"):
        return (
            f"{head}_{parts[1]}"
            if len(parts) >= 2
            else f"{head}_{'kind' if head == 'cost' else 'name'}"
        )
    if head in LIST_FIELDS:
        return head
    return head


def may_edit(principal: Principal | None, offering: Mapping[str, Any]) -> bool:
    """Whether the page offers editing (the basket service decides; this mirrors its rule)."""
    if principal is None:
        return False
    if principal.has_role(Role.REGIONAL_ADMIN):
        return True
    if offering.get("tenant") not in principal.tenants:
        return False
    if principal.has_role(Role.COORDINATOR):
        return True
    return principal.has_role(Role.PARTNER_EDITOR) and str(principal.institution_id) == str(
        offering.get("institution_id")
    )


def may_add(principal: Principal | None) -> bool:
    return principal is not None and principal.has_role(
        Role.COORDINATOR, Role.REGIONAL_ADMIN, Role.PARTNER_EDITOR
    )


def own_institution_only(principal: Principal) -> str | None:
    """A partner's editor or staff (not a coordinator) works with their institution's offerings:
    the lists show those only."""
    if principal.has_role(Role.COORDINATOR, Role.REGIONAL_ADMIN):
        return None
    if principal.has_role(Role.PARTNER_EDITOR, Role.PARTNER_STAFF) and principal.institution_id:
        return str(principal.institution_id)
    return None


def home_tenant(principal: Principal) -> str | None:
    """The municipality whose basket the user works on (regional staff: none, i.e. all)."""
    return min(principal.tenants) if principal.tenants else None


def choose_tenant(user: User, options: list[tuple[str, str]]) -> bool:
    """Whether the page offers a choice of municipality: regional staff, or staff of several."""
    return not user.principal.tenants or len(options) > 1


async def working_tenant(
    user: User, requested: str | None
) -> tuple[str | None, list[tuple[str, str]]]:
    """The municipality whose basket a page shows, and the choice of municipalities: the user's
    own (their first, or the one asked for), or for regional staff any municipality that has a
    partnership (the one asked for, else the first by name)."""
    own = sorted(user.principal.tenants)
    if own:
        options = [(code, code) for code in own]
        return (requested if requested in own else own[0]), options
    partnerships = await user.partners().partnerships()
    named = sorted(
        {(str(p["tenant"]), str(p["municipality_name"])) for p in partnerships},
        key=lambda pair: polish_sort_key(pair[1]),
    )
    options = [(code, f"{name} ({code})") for code, name in named]
    codes = [code for code, _ in named]
    if requested in codes:
        return requested, options
    return (codes[0] if codes else None), options


def field_label(t: Translator, name: str) -> str:
    """The label of a form field, also used in the error summary (`Miejsce 2: Miejscowość`)."""
    m = re.match(r"^(places|schedule)_(\d+)_(\w+)$", name)
    if m:
        kind, row, part = m.groups()
        prefix = "basket.place" if kind == "places" else "basket.slot"
        return f"{t(prefix + '.n', n=int(row) + 1)}: {t(prefix + '.' + part)}"
    return t("basket.field." + name)


def problem_errors(
    problem: ApiProblem, parsed: Parsed | None, known: Iterable[str]
) -> dict[str, str]:
    """The service's `errors[]` by form field; what the form cannot show goes to the summary."""
    allowed = set(known)
    out: dict[str, str] = {}
    for err in problem.errors:
        name = form_field(str(err.get("field") or ""), parsed)
        if name not in allowed:
            name = "_form"
        detail = str(err.get("detail") or "")
        if name in out:
            if name == "_form" and detail not in out[name]:
                out[name] += " " + detail
            continue
        out[name] = detail
    if not out:
        out["_form"] = problem.detail or problem.title
    return out


def summary(t: Translator, errors: Mapping[str, str]) -> list[tuple[str, str, str]]:
    """(field, label, message) for the error summary, in the order of the errors."""
    return [
        (name, "" if name == "_form" else field_label(t, name), msg) for name, msg in errors.items()
    ]


def form_names(values: Mapping[str, Any]) -> list[str]:
    """Every field name the form shows (for mapping errors)."""
    names = [*SCALAR_FIELDS, "target_groups"]
    for i in range(rows(values, "places")):
        names += [f"places_{i}_{k}" for k in PLACE_FIELDS]
    for i in range(rows(values, "schedule")):
        names += [f"schedule_{i}_{k}" for k in SLOT_FIELDS]
    return names


def with_blank_rows(values: dict[str, Any]) -> dict[str, Any]:
    """The form always offers empty rows for one more place and two more opening hours."""
    out = dict(values)
    places, slots = rows(values, "places"), rows(values, "schedule")
    for i in range(places, places + BLANK_PLACES):
        out.setdefault(f"places_{i}_name", "")
    for i in range(slots, slots + BLANK_SLOTS):
        out.setdefault(f"schedule_{i}_opens_at", "")
    return out


def search_filters(params: Mapping[str, str]) -> dict[str, str]:
    """The search form's values, only those the basket service understands (bad ones dropped,
    so a hand-edited address still shows a list)."""
    out: dict[str, str] = {}
    q = (params.get("q") or "").strip()[:200]
    if q:
        out["q"] = q
    # One select offers both: an area (all its categories) or a category (area.category).
    category = params.get("category") or params.get("area") or ""
    if re.fullmatch(r"[a-z_]{2,40}", category):
        out["area"] = category
    elif re.fullmatch(r"[a-z_]{2,40}\.[a-z_0-9]{1,58}", category):
        out["category"] = category
    if params.get("sector") in SECTORS:
        out["sector"] = str(params["sector"])
    if params.get("target_group") in TARGET_GROUPS:
        out["target_group"] = str(params["target_group"])
    if params.get("capacity") in CAPACITIES:
        out["capacity"] = str(params["capacity"])
    for flag in ("free", "accessible"):
        if params.get(flag) in ("true", "on", "1"):
            out[flag] = "true"
    weekday = params.get("weekday") or ""
    if weekday.isascii() and weekday.isdigit() and 1 <= int(weekday) <= 7:
        out["weekday"] = weekday
    if params.get("sort") == "name":
        out["sort"] = "name"
    return out


def page_number(value: str | None) -> int:
    if value and value.isascii() and value.isdigit() and 0 < int(value) < 10_000:  # not ² nor ١٢
        return int(value)
    return 1


def with_language_names(offering: dict[str, Any], t: Translator) -> dict[str, Any]:
    """The offering's ISO 639 language codes named in the page's language (CLDR via babel)."""
    names = Locale.parse(t.locale).languages
    offering["language_names"] = [names.get(c, c) for c in offering.get("languages") or []]
    return offering


def sorted_institutions(institutions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(institutions, key=lambda i: polish_sort_key(str(i.get("name") or "")))


def category_options(areas: list[dict[str, Any]], t: Translator) -> list[dict[str, Any]]:
    """The 14 areas (named in the page's language) with their categories, for <optgroup>s."""
    return [
        {
            "code": a["code"],
            "name": t("basket.area." + a["code"]),
            "categories": [(c["code"], c["name"]) for c in a.get("categories", [])],
        }
        for a in areas
    ]


# --- the start page ------------------------------------------------------------------------------


async def stale_summary(user: User) -> dict[str, Any]:
    """For the start page: how many of the municipality's basket entries need verifying, and the
    first few. A basket service that is down does not take the start page with it."""
    tenant = home_tenant(user.principal)
    if tenant is None:  # regional staff: no municipality of their own to remind them of
        return {"basket_stale": None}
    try:
        stale = await user.basket().stale(tenant)
    except (ServiceUnavailable, ApiProblem) as exc:
        log.warning("basket stale summary unavailable", extra={"error": str(exc)})
        return {"basket_stale": None}
    own = own_institution_only(user.principal)
    if own:
        stale = [o for o in stale if str(o["institution_id"]) == own]
    return {"basket_stale": stale[:5], "basket_stale_count": len(stale)}


# --- the editor: list, stale list ---------------------------------------------------------------


@router.get("/basket")
async def basket_list(request: Request, user: SignedIn, t: T) -> Response:
    params = request.query_params
    filters = search_filters(params)
    status = params.get("status") if params.get("status") in STATUSES else None
    client = user.basket()
    own = own_institution_only(user.principal)
    institution = own
    institutions: list[dict[str, Any]] = []
    tenant, tenant_options = await working_tenant(user, params.get("tenant"))
    if own is None:
        institutions = sorted_institutions(await client.institutions(tenant))
        wanted = params.get("institution_id") or ""
        if any(str(i["id"]) == wanted for i in institutions):
            institution = wanted
    page = page_number(params.get("page"))
    result = await client.search(
        filters,
        tenant=tenant,
        status=status,
        institution_id=institution,
        page=page,
        per_page=PER_PAGE,
    )
    pages = max(1, math.ceil(result["total"] / PER_PAGE))
    query = {**filters, **({"status": status} if status else {})}
    if institution and own is None:
        query["institution_id"] = institution
    choose = choose_tenant(user, tenant_options)
    if choose and tenant:
        query["tenant"] = tenant
    return render(
        request,
        "basket/list.html",
        {
            "result": result,
            "filters": {
                **filters,
                "status": status or "",
                "institution_id": institution or "",
                "tenant": tenant or "",
            },
            "tenant_options": tenant_options if choose else [],
            "query": query,
            "page": page,
            "pages": pages,
            "areas": category_options(await client.categories(), t),
            "institutions": institutions,
            "own_only": own is not None,
            "status_options": [(k, t("basket.status." + k)) for k in STATUSES],
            "capacity_options": [(k, t("basket.capacity." + k)) for k in CAPACITIES],
            "institution_options": [(str(i["id"]), str(i["name"])) for i in institutions],
            "may_add": may_add(user.principal),
            "tenant": tenant,
            "statuses": STATUSES,
            "capacities": CAPACITIES,
            "target_groups": TARGET_GROUPS,
            "sectors": SECTORS,
        },
    )


@router.get("/basket/stale")
async def stale_list(request: Request, user: SignedIn) -> Response:
    tenant, tenant_options = await working_tenant(user, request.query_params.get("tenant"))
    stale = await user.basket().stale(tenant) if tenant else []
    own = own_institution_only(user.principal)
    if own:
        stale = [o for o in stale if str(o["institution_id"]) == own]
    return render(
        request,
        "basket/stale.html",
        {
            "stale": stale,
            "tenant": tenant or "",
            "tenant_options": tenant_options if choose_tenant(user, tenant_options) else [],
            "editable": {str(o["id"]) for o in stale if may_edit(user.principal, o)},
        },
    )


# --- add and edit --------------------------------------------------------------------------------


async def form_page(
    request: Request,
    user: User,
    t: Translator,
    *,
    offering: dict[str, Any] | None,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
) -> Response:
    client = user.basket()
    own = own_institution_only(user.principal)
    institutions: list[dict[str, Any]] = []
    tenant_options: list[tuple[str, str]] = []
    if offering is None:
        tenant, options = await working_tenant(user, values.get("tenant"))
        if choose_tenant(user, options):
            tenant_options = options
            values["tenant"] = tenant or ""
        known = await client.institutions(tenant)
        institutions = sorted_institutions(
            [i for i in known if i.get("may_offer") and (own is None or str(i["id"]) == own)]
        )
        if own and not values.get("institution_id"):
            values["institution_id"] = own
    errors = errors or {}
    shown = with_blank_rows(values)
    return render(
        request,
        "basket/form.html",
        {
            "offering": offering,
            "values": shown,
            "errors": errors,
            "summary": summary(t, errors),
            "institutions": institutions,
            "tenant_options": tenant_options,
            "areas": category_options(await client.categories(), t),
            "target_groups": TARGET_GROUPS,
            "cost_options": [(k, t("basket.cost." + k)) for k in COST_KINDS],
            "capacity_options": [(k, t("basket.capacity." + k)) for k in CAPACITIES],
            "weekday_options": [(str(d), t(f"basket.weekday.{d}")) for d in WEEKDAYS],
            "place_rows": rows(shown, "places"),
            "slot_rows": rows(shown, "schedule"),
            "label": lambda name: field_label(t, name),
        },
        status_code=422 if errors else 200,
    )


def translate(t: Translator, errors: Mapping[str, str]) -> dict[str, str]:
    return {k: t(v) for k, v in errors.items()}


@router.get("/basket/new")
async def new_offering(request: Request, user: SignedIn, t: T) -> Response:
    if not may_add(user.principal):
        raise ApiProblem(403)
    values: dict[str, Any] = {
        "cost_kind": "free",
        "capacity_status": "available",
        "languages": "pl",
        "tenant": request.query_params.get("tenant", ""),
    }
    return await form_page(request, user, t, offering=None, values=values)


@router.post("/basket/new")
async def add_offering(request: Request, user: SignedIn, t: T) -> Response:
    if not may_add(user.principal):
        raise ApiProblem(403)
    values = form_dict((await request.form()).multi_items())
    parsed = parse_offering(values, create=True)
    if parsed.errors:
        return await form_page(
            request, user, t, offering=None, values=values, errors=translate(t, parsed.errors)
        )
    try:
        new_id = await user.basket().add(parsed.body)
    except ApiProblem as problem:
        if problem.status not in (400, 403, 409, 422):
            raise
        errors = problem_errors(problem, parsed, form_names(values))
        return await form_page(request, user, t, offering=None, values=values, errors=errors)
    user.session.flash.append(t("basket.added"))
    return redirect(f"/basket/{new_id}")


@router.get("/basket/{offering_id}/edit")
async def edit_offering(request: Request, user: SignedIn, t: T, offering_id: str) -> Response:
    offering = await user.basket().offering(offering_id)
    if not may_edit(user.principal, offering):
        raise ApiProblem(403)
    return await form_page(request, user, t, offering=offering, values=offering_values(offering))


@router.post("/basket/{offering_id}/edit")
async def save_offering(request: Request, user: SignedIn, t: T, offering_id: str) -> Response:
    client = user.basket()
    offering = await client.offering(offering_id)
    values = form_dict((await request.form()).multi_items())
    values["institution_id"] = str(offering["institution_id"])
    parsed = parse_offering(values, create=False)
    if parsed.errors:
        return await form_page(
            request, user, t, offering=offering, values=values, errors=translate(t, parsed.errors)
        )
    try:
        changed = await client.update(offering_id, parsed.body)
        capacity = values.get("capacity_status") or offering["capacity_status"]
        try:
            waiting = parse_number(str(values.get("waiting_days") or ""), integer=True)
        except ValueError:
            raise ApiProblem(
                422, errors=[{"field": "waiting_days", "detail": t("basket.error.integer")}]
            ) from None
        if capacity != offering["capacity_status"] or waiting != offering["waiting_days"]:
            changed += await client.change_capacity(
                offering_id, str(capacity), int(waiting) if waiting is not None else None
            )
    except ApiProblem as problem:
        if problem.status not in (400, 403, 409, 422):
            raise
        errors = problem_errors(problem, parsed, form_names(values))
        return await form_page(request, user, t, offering=offering, values=values, errors=errors)
    user.session.flash.append(t("basket.saved") if changed else t("basket.unchanged"))
    return redirect(f"/basket/{offering_id}")


# --- one offering: details, workflow, capacity, verification, history ---------------------------


async def offering_page(
    request: Request,
    user: User,
    t: Translator,
    offering_id: str,
    *,
    form: str | None = None,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    client = user.basket()
    offering = with_language_names(await client.offering(offering_id), t)
    history = await client.history(offering_id)
    editable = may_edit(user.principal, offering)
    errors = errors or {}
    return render(
        request,
        "basket/offering.html",
        {
            "o": offering,
            "history": list(reversed(history)),
            "editable": editable,
            "actions": ACTIONS.get(offering["status"], ()) if editable else (),
            "capacities": CAPACITIES,
            "form": form,
            "values": {
                "capacity_status": offering["capacity_status"],
                "waiting_days": number_text(offering["waiting_days"]),
                **(values or {}),
            },
            "capacity_options": [(k, t("basket.capacity." + k)) for k in CAPACITIES],
            "errors": errors,
            "summary": [
                (name, t("basket.field." + name) if name != "_form" else "", msg)
                for name, msg in errors.items()
            ],
        },
        status_code=422 if errors else 200,
    )


@router.get("/basket/{offering_id}")
async def offering_detail(request: Request, user: SignedIn, t: T, offering_id: str) -> Response:
    return await offering_page(request, user, t, offering_id)


TRANSITION_MESSAGES = {
    "publish": "basket.published",
    "suspend": "basket.suspended",
    "withdraw": "basket.withdrawn",
    "verify": "basket.verified",
}


@router.post("/basket/{offering_id}/{action}")
async def change_status(
    request: Request, user: SignedIn, t: T, offering_id: str, action: str
) -> Response:
    if action not in TRANSITION_MESSAGES and action != "capacity":
        raise ApiProblem(404)
    form = await request.form()
    values = {k: v.strip() for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
    client = user.basket()
    try:
        if action == "capacity":
            try:
                waiting = parse_number(values.get("waiting_days", ""), integer=True)
            except ValueError:
                raise ApiProblem(
                    422, errors=[{"field": "waiting_days", "detail": t("basket.error.integer")}]
                ) from None
            await client.change_capacity(
                offering_id,
                values.get("capacity_status", ""),
                int(waiting) if waiting is not None else None,
            )
            message = "basket.capacity_changed"
        else:
            reason = values.get("reason") if action in ("suspend", "withdraw") else None
            if action in ("suspend", "withdraw") and not reason:
                raise ApiProblem(
                    422, errors=[{"field": "reason", "detail": t("basket.error.reason")}]
                )
            await client.transition(offering_id, action, reason)
            message = TRANSITION_MESSAGES[action]
    except ApiProblem as problem:
        if problem.status not in (400, 409, 422):
            raise
        known = (
            ("reason",)
            if action in ("suspend", "withdraw")
            else ("capacity_status", "waiting_days")
        )
        errors = problem_errors(problem, None, known)
        return await offering_page(
            request, user, t, offering_id, form=action, values=values, errors=errors
        )
    user.session.flash.append(t(message))
    back = safe_return_path(values.get("return_to"))
    return redirect(back if back != "/" else f"/basket/{offering_id}")
