"""HTTP routes of the cases service (under /v1). Endpoints turn requests into commands and call a
handler; the handler checks access through the consent policy, writes the access log and commits.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse
from pydantic import BaseModel

from cases import export, views
from cases.adapters import documents
from cases.adapters.reads import CaseReadUnitOfWork
from cases.adapters.redactions import PLACE_NAMES_PL, REASON_NAMES_PL
from cases.domain import model
from cases.domain.policy import Relation
from cases.entrypoints import schemas as s
from cases.entrypoints.deps import (
    CaseReadUoW,
    CurrentActor,
    ExportPurpose,
    Purpose,
    Session,
    UoW,
    Vault,
)
from cases.service import commands as c
from cases.service import handlers
from cases.service.handlers import Authorized
from cases.service.ports import UnitOfWork
from shared.errors import Forbidden, InvalidInput, NotFound
from shared.errors.problems import PROBLEM_RESPONSES

router = APIRouter(prefix="/v1", responses=PROBLEM_RESPONSES)

PDF = "application/pdf"
CaseId = uuid.UUID


async def _read(
    uow: UoW,
    actor: CurrentActor,
    case_id: uuid.UUID,
    what: str,
    kind: model.DataKind | None,
    purpose: str,
    fetch: Any,
    manager_only: bool = False,
) -> Any:
    return await handlers.read_case_data(
        c.ReadCaseData(case_id, what, kind, purpose, manager_only),
        uow=uow,
        actor=actor,
        fetch=fetch,
    )


# --- cases ------------------------------------------------------------------------------------


@router.post("/cases", status_code=201, tags=["cases"], summary="Przyjmij sprawę rodziny")
async def open_case(
    body: s.CaseCreate, actor: CurrentActor, uow: UoW, vault: Vault, purpose: Purpose,
    response: Response,
) -> s.Created:  # fmt: skip
    tenant = body.tenant or (next(iter(actor.tenants)) if len(actor.tenants) == 1 else None)
    if tenant is None:
        raise InvalidInput.field("tenant", "Wskaż gminę (kod TERYT).", "missing")
    family = [c.FamilyMemberIn(**p.model_dump()) for p in body.family]
    case_id = await handlers.open_case(
        c.OpenCase(tenant, family, purpose), uow=uow, actor=actor, vault=vault
    )
    response.headers["Location"] = f"/v1/cases/{case_id}"
    return s.Created(id=case_id)


@router.get("/cases", tags=["cases"], summary="Moje sprawy (bez danych osobowych)")
async def list_cases(actor: CurrentActor, session: Session, uow: UoW) -> list[s.CaseSummary]:
    """The cases the caller may open now (the consent policy decides each, as on opening)."""
    listed = await views.my_cases(session, actor.subject, actor.institution_id)
    visible = await handlers.may_open_now(
        uow=uow, actor=actor, listed=[(x.id, x.tenant, Relation(x.relation)) for x in listed]
    )
    return [x for x in listed if x.id in visible]


@router.get(
    "/cases/{case_id}", tags=["cases"], summary="Sprawa: rodzina, zespół, plan, skierowania"
)
async def get_case(
    case_id: CaseId, actor: CurrentActor, uow: CaseReadUoW, vault: Vault, purpose: Purpose
) -> s.CaseOut:
    async def fetch(u: CaseReadUnitOfWork, auth: Authorized) -> s.CaseOut:
        return await views.case_view(u, auth, vault)

    return await handlers.read_case_data(
        c.ReadCaseData(case_id, "case", None, purpose), uow=uow, actor=actor, fetch=fetch
    )


@router.patch("/cases/{case_id}", tags=["cases"], summary="Zmień etap sprawy")
async def change_case_state(
    case_id: CaseId, body: s.CaseStatePatch, actor: CurrentActor, uow: UoW, purpose: Purpose
) -> dict[str, str]:
    await handlers.change_case_state(
        c.ChangeCaseState(case_id, body.state, purpose), uow=uow, actor=actor
    )
    return {"state": body.state.value}


@router.post("/cases/{case_id}/close", tags=["cases"], summary="Zamknij sprawę (z powodem)")
async def close_case(
    case_id: CaseId, body: s.CaseClose, actor: CurrentActor, uow: UoW, purpose: Purpose
) -> dict[str, str]:
    await handlers.close_case(
        c.CloseCase(case_id, body.reason, body.note, purpose), uow=uow, actor=actor
    )
    return {"state": model.CaseState.CLOSED.value}


@router.post(
    "/cases/{case_id}/reassign",
    tags=["cases"],
    summary="Przekaż sprawę innemu pracownikowi socjalnemu",
    description="Prowadzący sprawę albo dyrektor ośrodka tej gminy. Dotychczasowy prowadzący "
    "traci dostęp od następnego żądania.",
)
async def reassign_case(
    case_id: CaseId, body: s.CaseReassign, actor: CurrentActor, uow: UoW, purpose: Purpose
) -> s.CaseReassigned:
    await handlers.reassign_case(
        c.ReassignCase(
            case_id, body.manager_subject, body.manager_username, body.reason_code, body.reason,
            purpose,
        ),
        uow=uow,
        actor=actor,
    )  # fmt: skip
    return s.CaseReassigned(case_id=case_id, manager_username=body.manager_username)


@router.get("/cases/{case_id}/reassignments", tags=["cases"], summary="Historia przekazań sprawy")
async def list_reassignments(
    case_id: CaseId, actor: CurrentActor, uow: UoW, purpose: Purpose
) -> list[s.ReassignmentOut]:
    out: list[s.ReassignmentOut] = await _read(
        uow, actor, case_id, "reassignments", None, purpose, views.reassignments,
        manager_only=True,
    )  # fmt: skip
    return out


@router.get("/cases/{case_id}/family", tags=["cases"], summary="Osoby w rodzinie")
async def get_family(
    case_id: CaseId, actor: CurrentActor, uow: UoW, vault: Vault, purpose: Purpose
) -> list[s.FamilyMemberOut]:
    async def fetch(u: UnitOfWork, auth: Authorized) -> list[s.FamilyMemberOut]:
        is_manager = auth.access.relation == Relation.CASE_MANAGER
        return await views.family(u.session, auth.case.id, vault if is_manager else None)

    out: list[s.FamilyMemberOut] = await _read(
        uow, actor, case_id, "family", model.DataKind.CONTACT, purpose, fetch
    )
    return out


@router.post(
    "/cases/{case_id}/family", status_code=201, tags=["cases"], summary="Dodaj osobę do rodziny"
)
async def add_family_member(
    case_id: CaseId,
    body: s.FamilyMemberIn,
    actor: CurrentActor,
    uow: UoW,
    vault: Vault,
    purpose: Purpose,
) -> s.Created:
    person = c.FamilyMemberIn(**body.model_dump())
    member_id = await handlers.add_family_member(
        c.AddFamilyMember(case_id, person, purpose), uow=uow, actor=actor, vault=vault
    )
    return s.Created(id=member_id)


@router.patch(
    "/cases/{case_id}/family/{member_id}", tags=["cases"], summary="Popraw dane osoby z rodziny"
)
async def edit_family_member(
    case_id: CaseId,
    member_id: uuid.UUID,
    body: s.FamilyMemberPatch,
    actor: CurrentActor,
    uow: UoW,
    vault: Vault,
    purpose: Purpose,
) -> s.FamilyMemberOut:
    member = await handlers.edit_family_member(
        c.EditFamilyMember(case_id, member_id, body.changes(), purpose),
        uow=uow,
        actor=actor,
        vault=vault,
    )
    return s.FamilyMemberOut(
        id=member.id,
        first_name=member.first_name,
        last_name=member.last_name,
        year_of_birth=member.year_of_birth,
        relation=member.relation,
        phone=member.phone,
        email=member.email,
        address=member.address,
        has_pesel=member.pesel_encrypted is not None,
    )


@router.delete(
    "/cases/{case_id}/family/{member_id}",
    status_code=204,
    tags=["cases"],
    summary="Usuń osobę z rodziny",
    description="409 dla ostatniej osoby i dla osoby, której zgoda obowiązuje (najpierw jej "
    "wycofanie). Osoba, która kiedyś wyraziła zgodę, zostaje w historii zgód z imieniem i "
    "nazwiskiem; jej dane kontaktowe i PESEL są usuwane.",
)
async def remove_family_member(
    case_id: CaseId,
    member_id: uuid.UUID,
    actor: CurrentActor,
    uow: UoW,
    vault: Vault,
    purpose: Purpose,
) -> Response:
    await handlers.remove_family_member(
        c.RemoveFamilyMember(case_id, member_id, purpose), uow=uow, actor=actor, vault=vault
    )
    return Response(status_code=204)


@router.get(
    "/cases/{case_id}/redactions",
    tags=["cases"],
    summary="Miejsca do zredagowania po usunięciu osoby z rodziny",
    description="Po usunięciu osoby jej PESEL, data urodzenia i imię z nazwiskiem są zastępowane "
    "w tekstach sprawy znacznikiem „[osoba usunięta]”. Gdzie zastąpienie nie jest pewne (odmiana "
    "lub zdrobnienie imienia, imię będące zwykłym słowem, nazwisko innej osoby z rodziny), "
    "miejsce czeka tu na decyzję prowadzącego sprawę.",
)
async def list_redactions(
    case_id: CaseId, actor: CurrentActor, uow: UoW, purpose: Purpose
) -> list[s.RedactionOut]:
    items = await handlers.pending_redactions(
        c.ListRedactions(case_id, purpose), uow=uow, actor=actor
    )
    return [
        s.RedactionOut(
            id=r.id,
            place=r.place,
            place_name=PLACE_NAMES_PL.get(r.place, r.place),
            row_id=r.row_id,
            reason=r.reason,
            reason_name=REASON_NAMES_PL.get(r.reason, r.reason),
            fragments=r.fragments,
            excerpts=r.excerpts,
            found_at=r.found_at,
        )
        for r in items
    ]


@router.post(
    "/cases/{case_id}/redactions/{redaction_id}/apply",
    tags=["cases"],
    summary="Zredaguj miejsce: zastąp znalezione słowa znacznikiem",
)
async def apply_redaction(
    case_id: CaseId, redaction_id: uuid.UUID, actor: CurrentActor, uow: UoW, purpose: Purpose
) -> s.RedactionResolved:
    replaced = await handlers.resolve_redaction(
        c.ResolveRedaction(case_id, redaction_id, True, purpose), uow=uow, actor=actor
    )
    return s.RedactionResolved(replaced=replaced)


@router.post(
    "/cases/{case_id}/redactions/{redaction_id}/dismiss",
    tags=["cases"],
    summary="Oznacz miejsce jako załatwione bez zmian (to nie usunięta osoba)",
)
async def dismiss_redaction(
    case_id: CaseId, redaction_id: uuid.UUID, actor: CurrentActor, uow: UoW, purpose: Purpose
) -> s.RedactionResolved:
    replaced = await handlers.resolve_redaction(
        c.ResolveRedaction(case_id, redaction_id, False, purpose), uow=uow, actor=actor
    )
    return s.RedactionResolved(replaced=replaced)


class PeselQuery(s.Strict):
    pesel: s.Pesel


@router.post(
    "/families/search",
    tags=["cases"],
    summary="Znajdź sprawy po numerze PESEL",
    description="PESEL w treści żądania, nie w adresie (adresy trafiają do logów i śladów).",
)
async def find_by_pesel(
    body: PeselQuery, actor: CurrentActor, uow: UoW, vault: Vault, purpose: Purpose
) -> dict[str, list[uuid.UUID]]:
    found = await handlers.find_cases_by_pesel(
        body.pesel, uow=uow, actor=actor, vault=vault, purpose=purpose
    )
    return {"case_ids": found}


# --- consents ---------------------------------------------------------------------------------


@router.post("/cases/{case_id}/consents", status_code=201, tags=["consents"])
async def give_consent(
    case_id: CaseId, body: s.ConsentCreate, actor: CurrentActor, uow: UoW, purpose: Purpose
) -> s.Created:
    consent_id = await handlers.give_consent(
        c.GiveConsent(
            case_id=case_id,
            given_by_member_id=body.given_by_member_id,
            method=body.method,
            institution_ids=body.scope.institution_ids,
            sectors=list(body.scope.sectors),
            data_kinds=body.scope.data_kinds,
            given_at=body.given_at,
            valid_until=body.valid_until,
            purpose=purpose,
        ),
        uow=uow,
        actor=actor,
    )
    return s.Created(id=consent_id)


@router.get("/cases/{case_id}/consents", tags=["consents"], summary="Historia zgód")
async def list_consents(
    case_id: CaseId, actor: CurrentActor, uow: UoW, purpose: Purpose
) -> list[s.ConsentOut]:
    async def fetch(u: UnitOfWork, auth: Authorized) -> list[s.ConsentOut]:
        return views.consents(auth, handlers.now())

    out: list[s.ConsentOut] = await _read(
        uow, actor, case_id, "consents", None, purpose, fetch, manager_only=True
    )
    return out


@router.get(
    "/cases/{case_id}/consents/coverage",
    tags=["consents"],
    summary="Zasięg ważnych zgód: kogo można zaprosić do zespołu",
)
async def consent_coverage(
    case_id: CaseId, actor: CurrentActor, uow: UoW, purpose: Purpose
) -> s.ConsentCoverageOut:
    async def fetch(u: UnitOfWork, auth: Authorized) -> s.ConsentCoverageOut:
        return await views.coverage(u.session, auth, handlers.now())

    out: s.ConsentCoverageOut = await _read(
        uow, actor, case_id, "consents", None, purpose, fetch, manager_only=True
    )
    return out


@router.post("/cases/{case_id}/consents/{consent_id}/withdraw", tags=["consents"])
async def withdraw_consent(
    case_id: CaseId,
    consent_id: uuid.UUID,
    body: s.ConsentWithdraw,
    actor: CurrentActor,
    uow: UoW,
    purpose: Purpose,
) -> dict[str, str]:
    await handlers.withdraw_consent(
        c.WithdrawConsent(case_id, consent_id, body.note, purpose), uow=uow, actor=actor
    )
    return {"status": "withdrawn"}


async def _consent_document(
    uow: UoW, actor: CurrentActor, case_id: uuid.UUID, consent_id: uuid.UUID, purpose: str
) -> documents.Document:
    async def fetch(u: UnitOfWork, auth: Authorized) -> documents.Document:
        consent = next((x for x in auth.consents if x.id == consent_id), None)
        if consent is None:
            raise NotFound("Nie znaleziono zgody.")
        people = await views.family(u.session, auth.case.id, None)
        everyone = await views.family(u.session, auth.case.id, None, include_removed=True)
        giver = next((p for p in everyone if p.id == consent.given_by_member_id), None)
        names = await views.institution_names(u.session, list(consent.institution_ids))
        return documents.consent_form(
            documents.ConsentFormContext(
                case_id=str(auth.case.id),
                municipality=auth.case.tenant,
                given_by=f"{giver.first_name} {giver.last_name}" if giver else "—",
                family_names=[f"{p.first_name} {p.last_name}" for p in people],
                method=model.CONSENT_METHOD_NAMES_PL[model.ConsentMethod(consent.method)],
                given_at=consent.given_at,
                valid_until=consent.valid_until,
                institutions=[names.get(i, str(i)) for i in consent.institution_ids],
                sectors=[model.SECTOR_NAMES_PL.get(x, x) for x in consent.sectors],
                data_kinds=[
                    model.DATA_KIND_NAMES_PL[model.DataKind(k)] for k in consent.data_kinds
                ],
                manager=auth.case.manager_username,
            )
        )

    doc: documents.Document = await _read(
        uow, actor, case_id, "consent-form", None, purpose, fetch, manager_only=True
    )
    return doc


@router.get(
    "/cases/{case_id}/consents/{consent_id}/form.pdf",
    tags=["consents"],
    summary="Formularz zgody do podpisu (PDF)",
    response_class=Response,
    responses={200: {"content": {PDF: {}}}},
)
async def consent_form_pdf(
    case_id: CaseId, consent_id: uuid.UUID, actor: CurrentActor, uow: UoW, purpose: Purpose
) -> Response:
    doc = await _consent_document(uow, actor, case_id, consent_id, purpose)
    return Response(documents.render_pdf(doc), media_type=PDF)


@router.get(
    "/cases/{case_id}/consents/{consent_id}/form.html",
    tags=["consents"],
    summary="Formularz zgody do podpisu (HTML)",
    response_class=HTMLResponse,
)
async def consent_form_html(
    case_id: CaseId, consent_id: uuid.UUID, actor: CurrentActor, uow: UoW, purpose: Purpose
) -> HTMLResponse:
    doc = await _consent_document(uow, actor, case_id, consent_id, purpose)
    return HTMLResponse(documents.render_html(doc))


# --- team -------------------------------------------------------------------------------------


@router.get("/cases/{case_id}/team", tags=["team"], summary="Zespół (case manager zawsze w nim)")
async def get_team(
    case_id: CaseId, actor: CurrentActor, uow: UoW, purpose: Purpose
) -> list[s.TeamMemberOut]:
    async def fetch(u: UnitOfWork, auth: Authorized) -> list[s.TeamMemberOut]:
        if not auth.access.sees_team:  # a receiving partner outside the team (ADR 0036)
            raise Forbidden("Skład zespołu widzą tylko prowadzący sprawę i członkowie zespołu.")
        return await views.team(u.session, auth)

    out: list[s.TeamMemberOut] = await _read(uow, actor, case_id, "team", None, purpose, fetch)
    return out


@router.post("/cases/{case_id}/team", status_code=201, tags=["team"], summary="Zaproś specjalistę")
async def invite_member(
    case_id: CaseId, body: s.TeamInvite, actor: CurrentActor, uow: UoW, purpose: Purpose
) -> s.Created:
    member_id = await handlers.invite_member(
        c.InviteMember(case_id, body.institution_id, body.function, body.username, purpose),
        uow=uow,
        actor=actor,
    )
    return s.Created(id=member_id)


@router.post(
    "/cases/{case_id}/team/{member_id}/reinvite",
    status_code=201,
    tags=["team"],
    summary="Zaproś ponownie członka, którego dostęp zakończył się ze zgodą",
)
async def reinvite_member(
    case_id: CaseId, member_id: uuid.UUID, actor: CurrentActor, uow: UoW, purpose: Purpose
) -> s.Created:
    new_id = await handlers.reinvite_member(
        c.ReinviteMember(case_id, member_id, purpose), uow=uow, actor=actor
    )
    return s.Created(id=new_id)


@router.delete("/cases/{case_id}/team/{member_id}", status_code=204, tags=["team"])
async def remove_member(
    case_id: CaseId, member_id: uuid.UUID, actor: CurrentActor, uow: UoW, purpose: Purpose
) -> Response:
    await handlers.remove_member(c.RemoveMember(case_id, member_id, purpose), uow=uow, actor=actor)
    return Response(status_code=204)


@router.get(
    "/team-invitations", tags=["team"], summary="Zaproszenia do zespołów dla mojej instytucji"
)
async def my_invitations(actor: CurrentActor, session: Session, uow: UoW) -> list[s.InvitationOut]:
    if actor.institution_id is None:
        return []
    listed = await views.invitations(session, actor.institution_id, actor.username)
    open_now = await handlers.open_invitations(
        uow=uow, actor=actor, invited=[(x.id, x.case_id) for x in listed]
    )
    return [x for x in listed if x.id in open_now]


@router.post("/team-invitations/{member_id}/accept", tags=["team"])
async def accept_invitation(member_id: uuid.UUID, actor: CurrentActor, uow: UoW) -> dict[str, str]:
    await handlers.answer_invitation(c.AnswerInvitation(member_id, True), uow=uow, actor=actor)
    return {"state": model.MemberState.ACTIVE.value}


@router.post("/team-invitations/{member_id}/decline", tags=["team"])
async def decline_invitation(member_id: uuid.UUID, actor: CurrentActor, uow: UoW) -> dict[str, str]:
    await handlers.answer_invitation(c.AnswerInvitation(member_id, False), uow=uow, actor=actor)
    return {"state": model.MemberState.DECLINED.value}


# --- diagnosis and plan -----------------------------------------------------------------------


@router.get("/cases/{case_id}/diagnosis", tags=["diagnosis"])
async def get_diagnosis(
    case_id: CaseId, actor: CurrentActor, uow: UoW, purpose: Purpose
) -> list[s.DiagnosisAreaOut]:
    out: list[s.DiagnosisAreaOut] = await _read(
        uow, actor, case_id, "diagnosis", model.DataKind.DIAGNOSIS, purpose, views.diagnosis
    )
    return out


@router.post("/cases/{case_id}/diagnosis", status_code=201, tags=["diagnosis"])
async def add_diagnosis_entry(
    case_id: CaseId, body: s.DiagnosisEntryIn, actor: CurrentActor, uow: UoW, purpose: Purpose
) -> s.Created:
    entry_id = await handlers.add_diagnosis_entry(
        c.AddDiagnosisEntry(case_id, body.area, body.perspective, body.text, purpose),
        uow=uow,
        actor=actor,
    )
    return s.Created(id=entry_id)


@router.get("/cases/{case_id}/plan", tags=["plan"], summary="Aktualna wersja planu wsparcia")
async def get_plan(
    case_id: CaseId, actor: CurrentActor, uow: UoW, purpose: Purpose
) -> s.PlanOut | None:
    async def fetch(u: UnitOfWork, auth: Authorized) -> s.PlanOut | None:
        return await views.plan(u.session, auth.case.id)

    out: s.PlanOut | None = await _read(
        uow, actor, case_id, "plan", model.DataKind.PLAN, purpose, fetch
    )
    return out


@router.get("/cases/{case_id}/plan/versions", tags=["plan"], summary="Wszystkie wersje planu")
async def get_plan_versions(
    case_id: CaseId, actor: CurrentActor, uow: UoW, purpose: Purpose
) -> list[s.PlanOut]:
    async def fetch(u: UnitOfWork, auth: Authorized) -> list[s.PlanOut]:
        return await views.plan_versions(u.session, auth.case.id)

    out: list[s.PlanOut] = await _read(
        uow, actor, case_id, "plan.versions", model.DataKind.PLAN, purpose, fetch
    )
    return out


class PlanSaved(BaseModel):
    version: int


@router.put("/cases/{case_id}/plan", tags=["plan"], summary="Zapisz plan (nowa wersja)")
async def update_plan(
    case_id: CaseId, body: s.PlanIn, actor: CurrentActor, uow: UoW, purpose: Purpose
) -> PlanSaved:
    version = await handlers.update_plan(
        c.UpdatePlan(case_id, body.as_goals(), purpose), uow=uow, actor=actor
    )
    return PlanSaved(version=version)


@router.get(
    "/cases/{case_id}/reviews",
    tags=["plan"],
    summary="Przeglądy monitorujące planu wsparcia",
    description="Dla prowadzącego i członków zespołu, którym zgoda udostępnia plan.",
)
async def list_reviews(
    case_id: CaseId, actor: CurrentActor, uow: UoW, purpose: Purpose
) -> list[s.ReviewOut]:
    out: list[s.ReviewOut] = await _read(
        uow, actor, case_id, "reviews", model.DataKind.PLAN, purpose, views.reviews
    )
    return out


@router.post(
    "/cases/{case_id}/reviews",
    status_code=201,
    tags=["plan"],
    summary="Odnotuj przegląd monitorujący planu (z rodziną)",
)
async def record_review(
    case_id: CaseId, body: s.ReviewIn, actor: CurrentActor, uow: UoW, purpose: Purpose
) -> s.Created:
    review_id = await handlers.record_review(
        c.RecordReview(
            case_id=case_id,
            reviewed_on=body.reviewed_on,
            goals=[g.model_dump(mode="json") for g in body.goals],
            family_assessment=body.family_assessment,
            notes=body.notes,
            next_review_on=body.next_review_on,
            purpose=purpose,
        ),
        uow=uow,
        actor=actor,
    )
    return s.Created(id=review_id)


# --- offerings and referrals ------------------------------------------------------------------


@router.get("/offerings", tags=["offerings"], summary="Opublikowane usługi z dostępnością")
async def list_offerings(
    actor: CurrentActor,
    session: Session,
    tenant: Annotated[str | None, Query(pattern=r"^\d{4}(\d{3})?$")] = None,
) -> list[s.OfferingOut]:
    tenant = tenant or (next(iter(actor.tenants)) if len(actor.tenants) == 1 else None)
    return await views.offerings(session, tenant)


@router.get(
    "/offerings/{service_id}", tags=["offerings"], summary="Usługa i jej dostępność przed wysłaniem"
)
async def get_offering(
    service_id: uuid.UUID, actor: CurrentActor, session: Session
) -> s.OfferingOut:
    out = await views.offering(session, service_id)
    if out is None:
        raise NotFound("Nie znaleziono usługi.")
    return out


@router.get("/cases/{case_id}/referrals", tags=["referrals"])
async def list_referrals(
    case_id: CaseId, actor: CurrentActor, uow: UoW, purpose: Purpose
) -> list[s.ReferralOut]:
    out: list[s.ReferralOut] = await _read(
        uow, actor, case_id, "referrals", model.DataKind.REFERRALS, purpose, views.referral_list
    )
    return out


@router.post(
    "/cases/{case_id}/referrals", status_code=201, tags=["referrals"], summary="Skieruj do usługi"
)
async def create_referral(
    case_id: CaseId, body: s.ReferralCreate, actor: CurrentActor, uow: UoW, purpose: Purpose
) -> s.Created:
    referral_id = await handlers.create_referral(
        c.CreateReferral(case_id, body.service_id, body.note, not body.draft, purpose),
        uow=uow,
        actor=actor,
    )
    return s.Created(id=referral_id)


@router.get(
    "/referrals/incoming",
    tags=["referrals"],
    summary="Skierowania do mojej instytucji (w granicach zgód rodzin)",
)
async def incoming_referrals(
    actor: CurrentActor, uow: UoW, purpose: Purpose
) -> list[s.ReferralOut]:
    async def fetch(u: UnitOfWork, cases: list[Authorized]) -> list[s.ReferralOut]:
        assert actor.institution_id is not None
        return await views.incoming(u.session, cases, actor.institution_id)

    found = await handlers.incoming_referrals(uow=uow, actor=actor, purpose=purpose, fetch=fetch)
    return found or []


@router.post(
    "/referrals/{referral_id}/transitions", tags=["referrals"], summary="Zmień stan skierowania"
)
async def move_referral(
    referral_id: uuid.UUID, body: s.ReferralMove, actor: CurrentActor, uow: UoW, purpose: Purpose
) -> dict[str, str]:
    state = await handlers.move_referral(
        c.MoveReferral(
            referral_id,
            body.state,
            body.reason_code,
            body.reason,
            body.outcome_code,
            body.outcome,
            purpose,
        ),
        uow=uow,
        actor=actor,
    )
    return {"state": state.value}


# --- meetings ---------------------------------------------------------------------------------


@router.get("/cases/{case_id}/meetings", tags=["meetings"])
async def list_meetings(
    case_id: CaseId, actor: CurrentActor, uow: UoW, purpose: Purpose
) -> list[s.MeetingOut]:
    out: list[s.MeetingOut] = await _read(
        uow, actor, case_id, "meetings", model.DataKind.MEETINGS, purpose, views.meetings
    )
    return out


@router.post("/cases/{case_id}/meetings", status_code=201, tags=["meetings"])
async def schedule_meeting(
    case_id: CaseId, body: s.MeetingCreate, actor: CurrentActor, uow: UoW, purpose: Purpose
) -> s.Created:
    meeting_id = await handlers.schedule_meeting(
        c.ScheduleMeeting(
            case_id=case_id,
            kind=body.kind,
            starts_at=body.starts_at,
            participants=[p.model_dump(mode="json") for p in body.participants],
            agenda=list(body.agenda),
            place=body.place,
            online_url=str(body.online_url) if body.online_url else None,
            purpose=purpose,
        ),
        uow=uow,
        actor=actor,
    )
    return s.Created(id=meeting_id)


@router.post("/meetings/{meeting_id}/held", tags=["meetings"], summary="Odnotuj odbyte spotkanie")
async def record_meeting_held(
    meeting_id: uuid.UUID, body: s.MeetingHeldIn, actor: CurrentActor, uow: UoW, purpose: Purpose
) -> dict[str, str]:
    await handlers.record_meeting_held(
        c.RecordMeetingHeld(
            meeting_id,
            body.held_at,
            body.notes,
            [d.model_dump() for d in body.decisions],
            purpose,
        ),
        uow=uow,
        actor=actor,
    )
    return {"status": model.MeetingStatus.HELD.value}


# --- the access log -----------------------------------------------------------------------------


@router.get(
    "/cases/{case_id}/access-log",
    tags=["access-log"],
    summary="Rejestr dostępu: każdy wpis (odczyty, zmiany, odmowy, udostępnienia systemom)",
    description="Tylko dla prowadzącego sprawę. Odczyt rejestru też jest w nim zapisywany "
    "(po odczycie, więc nie ma go w tej odpowiedzi).",
)
async def get_access_log(
    case_id: CaseId, actor: CurrentActor, uow: UoW, purpose: Purpose
) -> list[s.AccessLogEntryOut]:
    return await handlers.access_log(
        case_id, uow=uow, actor=actor, fetch=_access_entries, purpose=purpose
    )


async def _access_entries(u: UnitOfWork, auth: Authorized) -> list[s.AccessLogEntryOut]:
    return await views.access_log(u.session, auth.case.id)


async def _access_lines(u: UnitOfWork, auth: Authorized) -> list[s.AccessReportLineOut]:
    return await views.access_report(u.session, auth.case.id)


@router.get(
    "/cases/{case_id}/access-report",
    tags=["access-log"],
    summary="Informacja dla rodziny: kto, kiedy i po co korzystał z jej danych",
    description="Wpisy rejestru zebrane w posiedzenia: ta sama osoba (lub system instytucji), "
    "ta sama czynność, odstępy krótsze niż 30 minut — jeden wiersz z pierwszą i ostatnią "
    "godziną i rodzajami danych. Tylko dla prowadzącego sprawę.",
)
async def get_access_report(
    case_id: CaseId, actor: CurrentActor, uow: UoW, purpose: Purpose
) -> list[s.AccessReportLineOut]:
    return await handlers.access_log(
        case_id, uow=uow, actor=actor, fetch=_access_lines, what="access-report",
        purpose=purpose,
    )  # fmt: skip


@router.get(
    "/cases/{case_id}/access-log.pdf",
    tags=["access-log"],
    summary="Informacja dla rodziny: kto oglądał jej dane (PDF)",
    response_class=Response,
    responses={200: {"content": {PDF: {}}}},
)
async def access_log_pdf(
    case_id: CaseId, actor: CurrentActor, uow: UoW, purpose: Purpose
) -> Response:
    async def fetch(u: UnitOfWork, auth: Authorized) -> documents.Document:
        lines = await views.access_report(u.session, auth.case.id)
        people = await views.family(u.session, auth.case.id, None)
        rows = [
            documents.AccessRow(
                first_at=line.first_at,
                last_at=line.last_at,
                who=line.who,
                role=RELATION_NAMES_PL.get(line.relation, line.relation),
                institution=line.institution_name
                or ("Ośrodek Pomocy Społecznej" if line.institution_id is None else "—"),
                action=documents.access_action_pl(line.action, line.outcome, line.relation),
                what=", ".join(documents.what_pl(w) for w in line.what),
                purpose="; ".join(line.purposes),
                entries=line.entries,
            )
            for line in lines
        ]
        return documents.access_report(
            str(auth.case.id), [f"{p.first_name} {p.last_name}" for p in people], rows
        )

    doc = await handlers.access_log(
        case_id, uow=uow, actor=actor, fetch=fetch, what="access-report", purpose=purpose
    )
    return Response(documents.render_pdf(doc), media_type=PDF)


# --- the family's own copy of its data (ADR 0016) ----------------------------------------------


@router.get(
    "/cases/{case_id}/export",
    tags=["access-log"],
    summary="Kopia danych rodziny: wszystko, co platforma przechowuje o rodzinie w tej sprawie",
    description="Prawo dostępu (art. 15 ust. 3 RODO) i przenoszenia danych (art. 20): plik JSON "
    f"(`format=json`, format `{export.FORMAT}`, wersja schematu {export.SCHEMA_VERSION}, UTF-8) "
    "albo dostępny PDF (`format=pdf`, po polsku, z oznaczoną strukturą). Sprawa, osoby w rodzinie "
    "z numerem PESEL, zgody z historią, zespół, diagnoza, wszystkie wersje planu, przeglądy, "
    "skierowania, spotkania z ustaleniami, przekazania sprawy i informacja o dostępie do danych. "
    "Tylko dla prowadzącego sprawę; każdy eksport jest zapisywany w rejestrze dostępu jako "
    "udostępnienie rodzinie (po przygotowaniu pliku, więc nie ma go w nim).",
    response_model=export.FamilyExport,
    responses={
        200: {
            "description": "Plik do pobrania (`Content-Disposition: attachment`)",
            "content": {PDF: {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
async def export_family_data(
    case_id: CaseId,
    actor: CurrentActor,
    uow: UoW,
    vault: Vault,
    purpose: ExportPurpose,
    format: Annotated[
        Literal["json", "pdf"], Query(description="json (art. 20) albo pdf (do czytania)")
    ] = "json",
) -> Response:
    async def fetch(u: UnitOfWork, auth: Authorized) -> export.FamilyExport:
        return await export.family_export(u, auth, vault)

    data: export.FamilyExport = await handlers.read_case_data(
        c.ReadCaseData(
            case_id, f"family-export.{format}", None, purpose, manager_only=True,
            action="disclose",
        ),
        uow=uow,
        actor=actor,
        fetch=fetch,
    )  # fmt: skip
    attachment = {"Content-Disposition": f'attachment; filename="{export.filename(data, format)}"'}
    if format == "pdf":
        # A big case's PDF takes a second or two (29 pages: 1.9–2.5 s, ADR 0016): not on the
        # event loop, which serves every other request meanwhile.
        content = await run_in_threadpool(documents.render_tagged_pdf, export.document(data))
        return Response(content, media_type=PDF, headers=attachment)
    body = data.model_dump_json(indent=2).encode("utf-8")
    return Response(body, media_type="application/json; charset=utf-8", headers=attachment)


RELATION_NAMES_PL = documents.RELATION_NAMES_PL
RELATION_NAMES_PL = {
    Relation.CASE_MANAGER.value: "pracownik socjalny (prowadzący)",
    Relation.TEAM_MEMBER.value: "członek zespołu",
    Relation.RECEIVING_PARTNER.value: "instytucja przyjmująca skierowanie",
    Relation.DIRECTOR.value: "dyrektor ośrodka",
    "partner_system": "system teleinformatyczny instytucji",
    "system": "platforma (skutki wygaśnięcia zgody)",
    "none": "bez dostępu do sprawy",
}
