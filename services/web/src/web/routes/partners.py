"""Pages over the partners service: the registry, an institution with its membership and contact
persons, the partnership with its sector coverage, meetings, benefit cards and invitations."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from shared import clock
from web.clients.base import ApiProblem
from web.clients.partners import PartnersClient
from web.deps import Coordinator, SignedIn, T, WebApp, redirect, render
from web.i18n import MEMBERSHIP_STATES, SECTORS, TIMEZONE

router = APIRouter(tags=["partners"])

PER_PAGE = 20

INSTITUTION_FIELDS = (
    "name",
    "sector",
    "legal_form",
    "regon",
    "nip",
    "krs",
    "street",
    "postal_code",
    "city",
    "email",
    "phone",
    "website",
    "description",
)
CONTACT_FIELDS = ("name", "position", "email", "phone")
MEMBERSHIP_FIELDS = ("state", "effective_on", "reason", "declaration_reference")


async def form_values(request: Request, names: tuple[str, ...]) -> dict[str, str]:
    form = await request.form()
    out: dict[str, str] = {}
    for name in names:
        value = form.get(name)
        out[name] = value.strip() if isinstance(value, str) else ""
    return out


def filled(values: dict[str, str]) -> dict[str, Any]:
    """An empty field means 'not given', which the API expects as an absent key."""
    return {k: v for k, v in values.items() if v != ""}


def problem_errors(problem: ApiProblem, fields: tuple[str, ...]) -> dict[str, str]:
    """`errors[].detail` by field; what no field of the form can show goes to the summary."""
    errors = problem.field_errors()
    if not errors:
        errors = {"_form": problem.detail or problem.title}
    return {(k if k in fields else "_form"): v for k, v in errors.items()}


async def own_partnership(client: PartnersClient) -> dict[str, Any] | None:
    partnerships = await client.partnerships()
    return partnerships[0] if partnerships else None


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


# --- registry -----------------------------------------------------------------------------------


@router.get("/institutions")
async def registry(
    request: Request,
    user: SignedIn,
    q: str | None = None,
    sector: str | None = None,
    status: str | None = None,
    page: int = 1,
) -> Response:
    q = (q or "").strip() or None
    sector = sector if sector in SECTORS else None
    status = status if status in MEMBERSHIP_STATES else None
    page = max(page, 1)
    result = await user.partners().institutions(
        q=q, sector=sector, status=status, page=page, per_page=PER_PAGE
    )
    pages = max(1, math.ceil(result["total"] / PER_PAGE))
    return render(
        request,
        "partners/registry.html",
        {
            "result": result,
            "q": q or "",
            "sector": sector or "",
            "status": status or "",
            "page": page,
            "pages": pages,
            "sectors": SECTORS,
            "states": MEMBERSHIP_STATES,
        },
    )


@router.get("/institutions/new")
async def register_form(request: Request, user: Coordinator) -> Response:
    return render(request, "partners/register.html", {"sectors": SECTORS})


@router.post("/institutions/new")
async def register(request: Request, user: Coordinator, t: T) -> Response:
    values = await form_values(request, INSTITUTION_FIELDS)
    try:
        new_id = await user.partners().register_institution(filled(values))
    except ApiProblem as problem:
        if problem.status not in (400, 409, 422):
            raise
        return render(
            request,
            "partners/register.html",
            {
                "sectors": SECTORS,
                "values": values,
                "errors": problem_errors(problem, INSTITUTION_FIELDS),
            },
            status_code=422,
        )
    user.session.flash.append(t("form.saved"))
    return redirect(f"/institutions/{new_id}")


async def institution_page(
    request: Request,
    user: SignedIn,
    institution_id: str,
    *,
    form: str | None = None,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    client = user.partners()
    institution = await client.institution(institution_id)
    contacts = await client.contact_persons(institution_id)
    membership = None
    if institution.get("membership"):
        membership = await client.membership(institution["membership"]["membership_id"])
    partnership = await own_partnership(client) if user.is_coordinator else None
    return render(
        request,
        "partners/institution.html",
        {
            "institution": institution,
            "contacts": contacts,
            "membership": membership,
            "partnership": partnership,
            "states": MEMBERSHIP_STATES,
            "today": clock.today().isoformat(),
            "form": form,
            "values": values or {},
            "errors": errors or {},
        },
        status_code=422 if errors else 200,
    )


@router.get("/institutions/{institution_id}")
async def institution(request: Request, user: SignedIn, institution_id: str) -> Response:
    return await institution_page(request, user, institution_id)


@router.post("/institutions/{institution_id}/contacts")
async def add_contact(request: Request, user: Coordinator, institution_id: str, t: T) -> Response:
    values = await form_values(request, CONTACT_FIELDS)
    try:
        await user.partners().add_contact_person(institution_id, filled(values))
    except ApiProblem as problem:
        if problem.status not in (400, 409, 422):
            raise
        errors = problem_errors(problem, CONTACT_FIELDS)
        return await institution_page(
            request, user, institution_id, form="contact", values=values, errors=errors
        )
    user.session.flash.append(t("form.saved"))
    return redirect(f"/institutions/{institution_id}#contacts")


@router.post("/institutions/{institution_id}/membership")
async def add_membership(
    request: Request, user: Coordinator, institution_id: str, t: T
) -> Response:
    values = await form_values(request, MEMBERSHIP_FIELDS)
    client = user.partners()
    partnership = await own_partnership(client)
    try:
        if partnership is None:
            raise ApiProblem(422, detail=t("home.no_partnership"))
        await client.add_membership(
            {"partnership_id": partnership["id"], "institution_id": institution_id} | filled(values)
        )
    except ApiProblem as problem:
        if problem.status not in (400, 409, 422):
            raise
        errors = problem_errors(problem, MEMBERSHIP_FIELDS)
        return await institution_page(
            request, user, institution_id, form="membership", values=values, errors=errors
        )
    user.session.flash.append(t("form.saved"))
    return redirect(f"/institutions/{institution_id}#membership")


@router.post("/memberships/{membership_id}/state")
async def change_membership(
    request: Request, user: Coordinator, membership_id: str, t: T
) -> Response:
    values = await form_values(request, MEMBERSHIP_FIELDS)
    client = user.partners()
    current = await client.membership(membership_id)
    try:
        await client.change_membership(membership_id, filled(values))
    except ApiProblem as problem:
        if problem.status not in (400, 409, 422):
            raise
        errors = problem_errors(problem, MEMBERSHIP_FIELDS)
        return await institution_page(
            request,
            user,
            str(current["institution_id"]),
            form="membership",
            values=values,
            errors=errors,
        )
    user.session.flash.append(t("form.saved"))
    return redirect(f"/institutions/{current['institution_id']}#membership")


# --- partnership and meetings -------------------------------------------------------------------


COORDINATOR_FIELDS = ("name", "email", "phone", "since")


async def partnership_page(
    request: Request,
    user: SignedIn,
    t: T,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    client = user.partners()
    current = await own_partnership(client)
    context: dict[str, Any] = {"partnership": current}
    if current is not None:
        context["coverage"] = await client.coverage(current["id"])
        members = (await client.memberships(current["id"]))["items"]
        context["members"] = t.sorted_by(members, "institution_name")
    return render(
        request,
        "partners/partnership.html",
        {
            **context,
            "values": values or {"since": clock.today().isoformat()},
            "errors": errors or {},
        },
        status_code=422 if errors else 200,
    )


@router.get("/partnership")
async def partnership(request: Request, user: SignedIn, t: T) -> Response:
    return await partnership_page(request, user, t)


@router.post("/partnership/coordinators")
async def add_coordinator(request: Request, user: Coordinator, t: T) -> Response:
    values = await form_values(request, COORDINATOR_FIELDS)
    client = user.partners()
    current = await own_partnership(client)
    try:
        if current is None:
            raise ApiProblem(422, detail=t("home.no_partnership"))
        await client.add_coordinator(current["id"], filled(values))
    except ApiProblem as problem:
        if problem.status not in (400, 409, 422):
            raise
        errors = problem_errors(problem, COORDINATOR_FIELDS)
        return await partnership_page(request, user, t, values=values, errors=errors)
    user.session.flash.append(t("form.saved"))
    return redirect("/partnership#coordinators")


@router.post("/coordinators/{coordinator_id}/end")
async def end_coordinator(user: Coordinator, coordinator_id: str, t: T) -> Response:
    await user.partners().end_coordinator(coordinator_id)
    user.session.flash.append(t("form.saved"))
    return redirect("/partnership#coordinators")


async def meetings_page(
    request: Request,
    user: SignedIn,
    t: T,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    client = user.partners()
    current = await own_partnership(client)
    context: dict[str, Any] = {"partnership": current, "values": values or {}}
    if current is not None:
        meetings = (await client.meetings(current["id"]))["items"]
        context["meetings"] = sorted(meetings, key=lambda m: parse_time(m["starts_at"]))
        context["proposed"] = await client.proposed_host(current["id"])
        members = (await client.memberships(current["id"]))["items"]
        active = [m for m in members if m["state"] in ("informal", "declared")]
        context["hosts"] = t.sorted_by(active, "institution_name")
        context["names"] = {m["institution_id"]: m["institution_name"] for m in members}
    return render(
        request,
        "partners/meetings.html",
        {**context, "errors": errors or {}},
        status_code=422 if errors else 200,
    )


@router.get("/meetings")
async def meetings(request: Request, user: SignedIn, t: T) -> Response:
    return await meetings_page(request, user, t)


MEETING_FIELDS = ("title", "starts_at", "place", "online_url", "host_institution_id", "agenda")


@router.post("/meetings")
async def schedule_meeting(request: Request, user: Coordinator, t: T) -> Response:
    values = await form_values(request, MEETING_FIELDS)
    client = user.partners()
    current = await own_partnership(client)
    body: dict[str, Any] = filled(values)
    body.pop("agenda", None)
    body["agenda"] = [line.strip() for line in values["agenda"].splitlines() if line.strip()]
    errors: dict[str, str] = {}
    if values["starts_at"]:
        try:
            local = datetime.fromisoformat(values["starts_at"])
            body["starts_at"] = local.replace(tzinfo=TIMEZONE).isoformat()
        except ValueError:
            errors["starts_at"] = t("field.starts_at") + ": " + t("form.required")
    try:
        if current is None:
            raise ApiProblem(422, detail=t("home.no_partnership"))
        if errors:
            raise ApiProblem(422, errors=[{"field": k, "detail": v} for k, v in errors.items()])
        await client.schedule_meeting({"partnership_id": current["id"], **body})
    except ApiProblem as problem:
        if problem.status not in (400, 409, 422):
            raise
        return await meetings_page(
            request, user, t, values=values, errors=problem_errors(problem, MEETING_FIELDS)
        )
    user.session.flash.append(t("form.saved"))
    return redirect("/meetings")


# --- benefit cards and invitations --------------------------------------------------------------


@router.get("/benefit-cards")
async def benefit_cards(request: Request, web: WebApp) -> Response:
    cards = await PartnersClient(web.http, web.settings.partners_url, None).benefit_cards()
    return render(request, "partners/cards.html", {"cards": cards, "sectors": SECTORS})


# The invitation is the partners service's own document; it may carry its own inline styles but
# never scripts, so it is shown under a stricter policy of its own, sandboxed.
INVITATION_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox"


@router.get("/invitation")
async def invitation(
    user: SignedIn,
    institution_id: str | None = None,
    institution_name: str | None = None,
    sector: str | None = None,
    format: str = "html",
) -> Response:
    client = user.partners()
    current = await own_partnership(client)
    if current is None:
        raise ApiProblem(404, detail="no partnership")
    params = {
        "institution_id": institution_id,
        "institution_name": institution_name,
        "sector": sector,
    }
    fmt = "pdf" if format == "pdf" else "html"
    content, media_type, disposition = await client.invitation(current["id"], params, fmt)
    headers = {"Content-Security-Policy": INVITATION_CSP}
    if disposition:
        headers["Content-Disposition"] = disposition
    return Response(content, media_type=media_type, headers=headers)
