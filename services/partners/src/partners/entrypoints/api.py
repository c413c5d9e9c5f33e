"""HTTP routes of the partners service (under /v1). Endpoints turn requests into commands and
call a handler; the handler commits. Reads go through views."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from fastapi.responses import HTMLResponse

from partners import views
from partners.adapters.invitation import (
    InvitationContext,
    render_invitation_html,
    render_invitation_pdf,
)
from partners.domain import benefit_cards, model
from partners.entrypoints import schemas as s
from partners.entrypoints.deps import (
    Reader,
    Session,
    UoW,
    Writer,
    default_tenant,
    resolve_tenant,
)
from partners.service import commands as c
from partners.service import handlers
from shared import clock
from shared.errors import InvalidInput, NotFound
from shared.errors.problems import PROBLEM_RESPONSES
from shared.paging import Page, Paging

router = APIRouter(prefix="/v1", responses=PROBLEM_RESPONSES)

Search = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=100,
        description="Szukaj po nazwie (bez względu na wielkość liter i polskie znaki)",
    ),
]
TenantQuery = Annotated[
    str | None, Query(pattern=r"^\d{4}(\d{3})?$", description="Kod TERYT gminy")
]


# --- institutions -------------------------------------------------------------------------------


@router.get("/institutions", tags=["institutions"], summary="Rejestr instytucji (kooperantów)")
async def list_institutions(
    principal: Reader,
    session: Session,
    paging: Paging,
    tenant: TenantQuery = None,
    sector: model.Sector | None = None,
    status: Annotated[
        model.MembershipState | None, Query(description="Stan członkostwa w partnerstwie gminy")
    ] = None,
    q: Search = None,
) -> Page[s.InstitutionOut]:
    if tenant and not principal.can_read_tenant(tenant):
        return paging.page_of([], 0)
    return await views.list_institutions(
        session,
        principal,
        paging,
        tenant=default_tenant(principal, tenant),
        sector=sector,
        state=status,
        q=q,
    )


@router.post(
    "/institutions", status_code=201, tags=["institutions"], summary="Zarejestruj instytucję"
)
async def register_institution(
    body: s.InstitutionCreate, principal: Writer, uow: UoW, response: Response
) -> s.Created:
    institution_id = await handlers.register_institution(
        c.RegisterInstitution(
            tenant=resolve_tenant(principal, body.tenant),
            name=body.name,
            sector=body.sector,
            tenants_served=body.tenants_served,
            details=body.details(),
            institution_id=body.id,
        ),
        uow=uow,
        actor=principal,
    )
    response.headers["Location"] = f"/v1/institutions/{institution_id}"
    return s.Created(id=institution_id)


@router.get("/institutions/{institution_id}", tags=["institutions"])
async def get_institution(
    institution_id: uuid.UUID, principal: Reader, session: Session, tenant: TenantQuery = None
) -> s.InstitutionOut:
    out = await views.get_institution(
        session, principal, institution_id, default_tenant(principal, tenant)
    )
    if out is None:
        raise NotFound("Nie znaleziono instytucji.")
    return out


@router.patch(
    "/institutions/{institution_id}", tags=["institutions"], summary="Zmień dane instytucji"
)
async def update_institution(
    institution_id: uuid.UUID,
    body: s.InstitutionPatch,
    principal: Writer,
    uow: UoW,
    session: Session,
) -> s.InstitutionOut:
    await handlers.update_institution(
        c.UpdateInstitution(institution_id, body.details()), uow=uow, actor=principal
    )
    return await get_institution(institution_id, principal, session)


@router.get("/institutions/{institution_id}/contact-persons", tags=["institutions"])
async def list_contact_persons(
    institution_id: uuid.UUID, principal: Reader, session: Session
) -> list[s.ContactPersonOut]:
    await get_institution(institution_id, principal, session)
    return await views.contact_persons(session, institution_id)


@router.post(
    "/institutions/{institution_id}/contact-persons",
    status_code=201,
    tags=["institutions"],
    summary="Wyznacz osobę do kontaktu",
)
async def add_contact_person(
    institution_id: uuid.UUID, body: s.ContactPersonCreate, principal: Writer, uow: UoW
) -> s.Created:
    details = body.model_dump(exclude={"name"}, exclude_none=True)
    new_id = await handlers.add_contact_person(
        c.AddContactPerson(institution_id, body.name, details), uow=uow, actor=principal
    )
    return s.Created(id=new_id)


@router.patch("/contact-persons/{contact_person_id}", tags=["institutions"])
async def update_contact_person(
    contact_person_id: uuid.UUID, body: s.ContactPersonPatch, principal: Writer, uow: UoW
) -> dict[str, list[str]]:
    changed = await handlers.update_contact_person(
        c.UpdateContactPerson(contact_person_id, body.model_dump(exclude_unset=True)),
        uow=uow,
        actor=principal,
    )
    return {"changed": list(changed)}


# --- partnerships -------------------------------------------------------------------------------


@router.get("/partnerships", tags=["partnerships"], summary="Partnerstwa gmin")
async def list_partnerships(principal: Reader, session: Session) -> list[s.PartnershipOut]:
    return await views.list_partnerships(session, principal)


@router.post(
    "/partnerships", status_code=201, tags=["partnerships"], summary="Zawiąż partnerstwo gminy"
)
async def establish_partnership(
    body: s.PartnershipCreate, principal: Writer, uow: UoW
) -> s.Created:
    details = body.model_dump(
        exclude={"tenant", "name", "municipality_name", "leader_institution_id"}, exclude_none=True
    )
    new_id = await handlers.establish_partnership(
        c.EstablishPartnership(
            tenant=resolve_tenant(principal, body.tenant),
            name=body.name,
            municipality_name=body.municipality_name,
            leader_institution_id=body.leader_institution_id,
            details=details,
        ),
        uow=uow,
        actor=principal,
    )
    return s.Created(id=new_id)


@router.get("/partnerships/{partnership_id}", tags=["partnerships"])
async def get_partnership(
    partnership_id: uuid.UUID, principal: Reader, session: Session
) -> s.PartnershipOut:
    out = await views.get_partnership(session, principal, partnership_id)
    if out is None:
        raise NotFound("Nie znaleziono partnerstwa.")
    return out


@router.patch("/partnerships/{partnership_id}", tags=["partnerships"])
async def update_partnership(
    partnership_id: uuid.UUID,
    body: s.PartnershipPatch,
    principal: Writer,
    uow: UoW,
    session: Session,
) -> s.PartnershipOut:
    await handlers.update_partnership(
        c.UpdatePartnership(partnership_id, body.model_dump(exclude_unset=True)),
        uow=uow,
        actor=principal,
    )
    return await get_partnership(partnership_id, principal, session)


@router.get(
    "/partnerships/{partnership_id}/coverage",
    tags=["partnerships"],
    summary="Pokrycie sektorów (brakujące zalecane sektory)",
)
async def sector_coverage(
    partnership_id: uuid.UUID, principal: Reader, session: Session
) -> s.CoverageOut:
    out = await views.coverage(session, principal, partnership_id)
    if out is None:
        raise NotFound("Nie znaleziono partnerstwa.")
    return out


@router.post(
    "/partnerships/{partnership_id}/coordinators",
    status_code=201,
    tags=["partnerships"],
    summary="Dodaj koordynatora sieci",
)
async def add_coordinator(
    partnership_id: uuid.UUID, body: s.CoordinatorCreate, principal: Writer, uow: UoW
) -> s.Created:
    details = body.model_dump(exclude={"name", "since"}, exclude_none=True)
    new_id = await handlers.add_coordinator(
        c.AddCoordinator(partnership_id, body.name, body.since, details), uow=uow, actor=principal
    )
    return s.Created(id=new_id)


@router.post(
    "/coordinators/{coordinator_id}/end",
    status_code=204,
    tags=["partnerships"],
    summary="Zakończ pełnienie funkcji koordynatora",
)
async def end_coordinator(
    coordinator_id: uuid.UUID, body: s.CoordinatorEnd, principal: Writer, uow: UoW
) -> None:
    await handlers.end_coordinator(
        c.EndCoordinator(coordinator_id, body.until), uow=uow, actor=principal
    )


@router.get(
    "/partnerships/{partnership_id}/proposed-host",
    tags=["meetings"],
    summary="Proponowany gospodarz następnego spotkania",
)
async def proposed_host(
    partnership_id: uuid.UUID, principal: Reader, uow: UoW, session: Session
) -> s.ProposedHost:
    host = await handlers.proposed_host(partnership_id, uow=uow, actor=principal)
    names = await views.institution_names(session, [host] if host else [])
    return s.ProposedHost(
        institution_id=host,
        institution_name=names.get(host) if host else None,
        reason="Członek partnerstwa, który najrzadziej gościł spotkania (a przy równej liczbie "
        "– najdawniej)."
        if host
        else "Partnerstwo nie ma aktywnych członków.",
    )


@router.get(
    "/partnerships/{partnership_id}/invitation",
    tags=["partnerships"],
    summary="Zaproszenie dla potencjalnego partnera z kartą korzyści jego sektora",
    responses={200: {"content": {"text/html": {}, "application/pdf": {}}}},
)
async def invitation(
    partnership_id: uuid.UUID,
    principal: Reader,
    session: Session,
    institution_id: uuid.UUID | None = None,
    institution_name: Annotated[str | None, Query(min_length=2, max_length=300)] = None,
    sector: model.Sector | None = None,
    format: Literal["html", "pdf"] = "html",
) -> Response:
    partnership = await get_partnership(partnership_id, principal, session)
    if institution_id is not None:
        institution = await views.get_institution(session, principal, institution_id, None)
        if institution is None:
            raise InvalidInput.field(
                "institution_id", "Nie znaleziono instytucji.", "unknown_institution"
            )
        institution_name, sector = institution.name, institution.sector
    if not institution_name or sector is None:
        raise InvalidInput.field(
            "institution_name", "Podaj instytucję z rejestru albo nazwę i sektor.", "missing"
        )
    card = benefit_cards.card_for_sector(sector.value)
    if card is None:
        raise InvalidInput.field(
            "sector",
            benefit_cards.missing_card_reason(sector.value) or "Brak karty korzyści.",
            "no_card",
        )
    active = [k for k in partnership.coordinators if k.until is None]
    ctx = InvitationContext(
        institution_name=institution_name,
        sector=sector.value,
        sector_name_pl=model.SECTOR_NAMES_PL[sector],
        municipality_name=partnership.municipality_name,
        leader_name=partnership.leader_name,
        coordinator_names=[k.name for k in active],
        contact_email=next((k.email for k in active if k.email), None),
        contact_phone=next((k.phone for k in active if k.phone), None),
        date=clock.today(),
    )
    family = benefit_cards.family_card()
    if format == "pdf":
        return Response(
            render_invitation_pdf(ctx, card, family),
            media_type="application/pdf",
            headers={"Content-Disposition": 'inline; filename="zaproszenie.pdf"'},
        )
    return HTMLResponse(render_invitation_html(ctx, card, family))


# --- memberships --------------------------------------------------------------------------------


@router.get("/memberships", tags=["memberships"], summary="Członkostwa w partnerstwach")
async def list_memberships(
    principal: Reader,
    session: Session,
    paging: Paging,
    partnership_id: uuid.UUID | None = None,
    status: model.MembershipState | None = None,
    sector: model.Sector | None = None,
    q: Search = None,
) -> Page[s.MembershipOut]:
    return await views.list_memberships(
        session, principal, paging, partnership_id=partnership_id, state=status, sector=sector, q=q
    )


@router.post(
    "/memberships",
    status_code=201,
    tags=["memberships"],
    summary="Zaproś instytucję lub przyjmij ją do partnerstwa",
)
async def add_membership(body: s.MembershipCreate, principal: Writer, uow: UoW) -> s.Created:
    new_id = await handlers.add_membership(
        c.AddMembership(
            partnership_id=body.partnership_id,
            institution_id=body.institution_id,
            state=body.state,
            effective_on=body.effective_on,
            declaration_reference=body.declaration_reference,
            declaration_date=body.declaration_date,
            reason=body.reason,
        ),
        uow=uow,
        actor=principal,
    )
    return s.Created(id=new_id)


@router.get("/memberships/{membership_id}", tags=["memberships"])
async def get_membership(
    membership_id: uuid.UUID, principal: Reader, session: Session
) -> s.MembershipOut:
    out = await views.get_membership(session, principal, membership_id)
    if out is None:
        raise NotFound("Nie znaleziono członkostwa.")
    return out


@router.post(
    "/memberships/{membership_id}/transitions",
    tags=["memberships"],
    summary="Zmień stan członkostwa",
)
async def change_membership(
    membership_id: uuid.UUID,
    body: s.MembershipTransition,
    principal: Writer,
    uow: UoW,
    session: Session,
) -> s.MembershipOut:
    await handlers.change_membership_state(
        c.ChangeMembershipState(
            membership_id=membership_id,
            state=body.state,
            effective_on=body.effective_on,
            reason=body.reason,
            declaration_reference=body.declaration_reference,
            declaration_date=body.declaration_date,
        ),
        uow=uow,
        actor=principal,
    )
    return await get_membership(membership_id, principal, session)


# --- meetings -----------------------------------------------------------------------------------


@router.get("/meetings", tags=["meetings"], summary="Spotkania partnerstwa")
async def list_meetings(
    principal: Reader,
    session: Session,
    paging: Paging,
    partnership_id: uuid.UUID | None = None,
    status: model.MeetingStatus | None = None,
) -> Page[s.MeetingOut]:
    return await views.list_meetings(
        session, principal, paging, partnership_id=partnership_id, status=status
    )


@router.post("/meetings", status_code=201, tags=["meetings"], summary="Zaplanuj spotkanie")
async def schedule_meeting(body: s.MeetingCreate, principal: Writer, uow: UoW) -> s.Created:
    details = body.model_dump(
        exclude={"partnership_id", "title", "starts_at", "host_institution_id"}, exclude_none=True
    )
    if body.online_url is not None:
        details["online_url"] = str(body.online_url)
    new_id = await handlers.schedule_meeting(
        c.ScheduleMeeting(
            partnership_id=body.partnership_id,
            title=body.title,
            starts_at=body.starts_at,
            details=details,
            host_institution_id=body.host_institution_id,
        ),
        uow=uow,
        actor=principal,
    )
    return s.Created(id=new_id)


@router.get("/meetings/{meeting_id}", tags=["meetings"])
async def get_meeting(meeting_id: uuid.UUID, principal: Reader, session: Session) -> s.MeetingOut:
    out = await views.get_meeting(session, principal, meeting_id)
    if out is None:
        raise NotFound("Nie znaleziono spotkania.")
    return out


@router.post(
    "/meetings/{meeting_id}/held",
    tags=["meetings"],
    summary="Zapisz przebieg spotkania: obecność, protokół, decyzje",
)
async def record_meeting_held(
    meeting_id: uuid.UUID, body: s.MeetingHeldIn, principal: Writer, uow: UoW, session: Session
) -> s.MeetingOut:
    await handlers.record_meeting_held(
        c.RecordMeetingHeld(
            meeting_id=meeting_id,
            held_at=body.held_at or clock.now(),
            attendance=[a.model_dump(mode="json") for a in body.attendance],
            minutes=body.minutes,
            decisions=body.decisions,
        ),
        uow=uow,
        actor=principal,
    )
    return await get_meeting(meeting_id, principal, session)


@router.post("/meetings/{meeting_id}/cancel", tags=["meetings"], summary="Odwołaj spotkanie")
async def cancel_meeting(
    meeting_id: uuid.UUID, body: s.MeetingCancelIn, principal: Writer, uow: UoW, session: Session
) -> s.MeetingOut:
    await handlers.cancel_meeting(
        c.CancelMeeting(meeting_id, body.reason), uow=uow, actor=principal
    )
    return await get_meeting(meeting_id, principal, session)


# --- benefit cards (public) ---------------------------------------------------------------------

public = APIRouter(prefix="/v1", tags=["benefit-cards"])


def _card_out(card: benefit_cards.BenefitCard) -> s.BenefitCardOut:
    return s.BenefitCardOut(
        key=card.key,
        title=card.title,
        sector_name=card.sector_name_pl,
        includes=list(card.includes),
        sections=[
            s.BenefitSectionOut(heading=x.heading, benefits=list(x.benefits)) for x in card.sections
        ],
    )


@public.get(
    "/municipalities",
    tags=["municipalities"],
    summary="Gminy tej instalacji (publicznie: kod TERYT i nazwa)",
)
async def list_municipalities(session: Session, response: Response) -> list[s.MunicipalityOut]:
    """The municipalities with a partnership: public facts, for the public basket pages to let
    a visitor pick their municipality by name."""
    response.headers["Cache-Control"] = "public, max-age=300"
    return await views.municipalities(session)


@public.get("/benefit-cards", summary="Karty korzyści (załącznik 1 do Modelu Kooperacji)")
async def list_benefit_cards() -> list[s.BenefitCardOut]:
    cards = [benefit_cards.family_card()]
    cards += [
        c
        for sector in model.Sector
        if (c := benefit_cards.card_for_sector(sector.value)) is not None
    ]
    return [_card_out(card) for card in cards]


@public.get(
    "/benefit-cards/{sector}",
    summary="Karta korzyści sektora lub rodziny (`family`)",
    responses={404: PROBLEM_RESPONSES[404]},
)
async def get_benefit_card(sector: model.Sector | Literal["family"]) -> s.BenefitCardOut:
    if sector == "family":
        return _card_out(benefit_cards.family_card())
    card = benefit_cards.card_for_sector(str(sector))
    if card is None:
        raise NotFound(benefit_cards.missing_card_reason(str(sector)) or "Brak karty korzyści.")
    return _card_out(card)
