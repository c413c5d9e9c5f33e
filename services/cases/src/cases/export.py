"""The export of everything the platform holds about one family in one case, for the family
(GDPR art. 15(3), a copy of the data, and art. 20, portability), ADR 0016.

One model, `FamilyExport`, is the JSON file (its field names are the documented, versioned
format: `schema_version` changes when a field is renamed or removed, never silently) and the
source of the accessible PDF. Everything is read through the repositories, which hand back the
domain objects as the adapters decode them (PESEL decrypted here, by the vault), never by SQL on
text columns; the case's access report comes from the access log as the family's report does.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from cases import views
from cases.adapters import documents
from cases.domain import model
from cases.entrypoints import schemas as s
from cases.service.handlers import Authorized
from cases.service.ports import UnitOfWork, Vault
from shared import clock

SCHEMA_VERSION = "1.0"
FORMAT = "cus-family-export"
LEGAL_BASIS = "art. 15 ust. 3 i art. 20 RODO"


class ExportCase(BaseModel):
    id: uuid.UUID
    tenant: str = Field(description="Gmina (kod TERYT)")
    state: str
    state_name: str
    opened_at: datetime
    closed_at: datetime | None
    close_reason: str | None
    close_note: str | None
    manager_username: str


class ExportPerson(BaseModel):
    id: uuid.UUID
    first_name: str
    last_name: str
    year_of_birth: int | None
    relation: str | None
    phone: str | None
    email: str | None
    address: str | None
    pesel: str | None = Field(description="PESEL, odszyfrowany")
    removed_at: datetime | None = Field(description="Usunięta z rodziny (zostaje w historii zgód)")


class ExportInstitution(BaseModel):
    id: uuid.UUID
    name: str | None


class ExportConsent(BaseModel):
    id: uuid.UUID
    given_by_member_id: uuid.UUID
    given_by_name: str | None
    given_at: datetime
    method: str
    method_name: str
    institutions: list[ExportInstitution]
    sectors: list[str]
    data_kinds: list[str]
    valid_until: datetime | None
    withdrawn_at: datetime | None
    withdrawn_by: str | None
    withdrawal_note: str | None
    recorded_by: str
    recorded_at: datetime
    status: str = Field(description="valid | withdrawn | expired | not_yet_valid")


class ExportTeamMember(BaseModel):
    id: uuid.UUID
    institution_id: uuid.UUID
    institution_name: str | None
    sector: str | None
    state: str
    function: str | None
    username: str | None
    invited_at: datetime
    invited_by: str
    joined_at: datetime | None
    left_at: datetime | None


class ExportDiagnosisEntry(BaseModel):
    id: uuid.UUID
    area: str
    area_name: str
    perspective: str = Field(description="family | specialist")
    text: str
    author_username: str
    author_institution_id: uuid.UUID | None
    recorded_at: datetime


class ExportPlanVersion(BaseModel):
    version: int
    created_by: str
    created_at: datetime
    goals: list[dict[str, Any]] = Field(description="Cele z działaniami, jak zapisano w wersji")


class ExportReview(BaseModel):
    id: uuid.UUID
    plan_version: int
    reviewed_on: date
    goals: list[dict[str, Any]]
    family_assessment: str | None
    notes: str | None
    next_review_on: date | None
    recorded_by: str
    recorded_at: datetime


class ExportReferral(BaseModel):
    id: uuid.UUID
    service_id: uuid.UUID
    service_title: str | None
    institution_id: uuid.UUID
    institution_name: str | None
    state: str
    state_name: str
    note: str | None
    created_by: str
    created_at: datetime
    requested_at: datetime | None
    updated_at: datetime | None
    reason_code: str | None
    reason: str | None
    outcome_code: str | None
    outcome: str | None
    history: list[dict[str, Any]]


class ExportMeeting(BaseModel):
    id: uuid.UUID
    kind: str
    status: str
    starts_at: datetime
    place: str | None
    online_url: str | None
    participants: list[dict[str, Any]]
    agenda: list[str]
    scheduled_by: str
    held_at: datetime | None
    notes: str | None
    decisions: list[dict[str, Any]]


class ExportReassignment(BaseModel):
    id: uuid.UUID
    at: datetime
    from_username: str
    to_username: str
    reason_code: str
    reason: str | None
    by_username: str


class FamilyExport(BaseModel):
    """Everything the platform holds about the family in this case (ADR 0016)."""

    format: str = Field(default=FORMAT, description="Always " + FORMAT)
    schema_version: str = Field(
        default=SCHEMA_VERSION, description="Major.minor: a new major renames or removes fields"
    )
    generated_at: datetime
    legal_basis: str = LEGAL_BASIS
    case: ExportCase
    family: list[ExportPerson]
    consents: list[ExportConsent]
    team: list[ExportTeamMember]
    diagnosis: list[ExportDiagnosisEntry]
    plan_versions: list[ExportPlanVersion]
    reviews: list[ExportReview]
    referrals: list[ExportReferral]
    meetings: list[ExportMeeting]
    reassignments: list[ExportReassignment]
    access_report: list[s.AccessReportLineOut] = Field(
        description="Kto, kiedy i po co korzystał z danych rodziny (art. 15 RODO)"
    )


def _jsonable(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [dict(item) for item in items]


async def family_export(uow: UnitOfWork, auth: Authorized, vault: Vault) -> FamilyExport:
    """The case manager's export: every kind of data, the PESEL decrypted, removed people too
    (they stay in the consents' history), every plan version, the family's access report."""
    case_id = auth.case.id
    case = await uow.cases.get(case_id)
    assert case is not None  # the policy has just seen it
    people = sorted(await uow.family.of_case(case_id), key=lambda p: (p.last_name, str(p.id)))
    consents = sorted(await uow.consents.of_case(case_id), key=lambda x: x.recorded_at)
    team = sorted(await uow.team.of_case(case_id), key=lambda m: m.invited_at)
    diagnosis = sorted(await uow.diagnosis.of_case(case_id), key=lambda e: e.recorded_at)
    plans = sorted(await uow.plans.of_case(case_id), key=lambda p: p.version)
    reviews = sorted(
        await uow.reviews.of_case(case_id), key=lambda r: (r.reviewed_on, r.recorded_at)
    )
    referrals = sorted(await uow.referrals.of_case(case_id), key=lambda r: r.created_at)
    meetings = sorted(await uow.meetings.of_case(case_id), key=lambda m: m.starts_at)
    reassignments = sorted(await uow.reassignments.of_case(case_id), key=lambda r: r.at)
    institution_ids: list[uuid.UUID | None] = [m.institution_id for m in team]
    institution_ids += [r.institution_id for r in referrals]
    institution_ids += [i for x in consents for i in x.institution_ids]
    names = await views.institution_names(uow.session, institution_ids)
    titles: dict[uuid.UUID, str | None] = {}
    for r in referrals:
        if r.service_id not in titles:
            offering = await uow.directory.offering(r.service_id)
            titles[r.service_id] = offering.title if offering else None
    by_id = {p.id: p for p in people}
    now = clock.now()

    def person(p: model.FamilyMember) -> ExportPerson:
        pesel = None
        if p.pesel_encrypted is not None:
            pesel = vault.decrypt(p.pesel_encrypted, p.pesel_key_id)
        return ExportPerson(
            id=p.id, first_name=p.first_name, last_name=p.last_name,
            year_of_birth=p.year_of_birth, relation=p.relation, phone=p.phone, email=p.email,
            address=p.address, pesel=pesel, removed_at=p.removed_at,
        )  # fmt: skip

    def giver(member_id: uuid.UUID) -> str | None:
        p = by_id.get(member_id)
        return f"{p.first_name} {p.last_name}" if p else None

    return FamilyExport(
        generated_at=now,
        case=ExportCase(
            id=case.id,
            tenant=case.tenant,
            state=case.state.value,
            state_name=model.CASE_STATE_NAMES_PL[case.state],
            opened_at=case.opened_at,
            closed_at=case.closed_at,
            close_reason=case.close_reason.value if case.close_reason else None,
            close_note=case.close_note,
            manager_username=case.manager_username,
        ),
        family=[person(p) for p in people],
        consents=[
            ExportConsent(
                id=x.id,
                given_by_member_id=x.given_by_member_id,
                given_by_name=giver(x.given_by_member_id),
                given_at=x.given_at,
                method=model.ConsentMethod(x.method).value,
                method_name=model.CONSENT_METHOD_NAMES_PL[model.ConsentMethod(x.method)],
                institutions=[
                    ExportInstitution(id=i, name=names.get(i)) for i in x.institution_ids
                ],
                sectors=list(x.sectors),
                data_kinds=[model.DataKind(k).value for k in x.data_kinds],
                valid_until=x.valid_until,
                withdrawn_at=x.withdrawn_at,
                withdrawn_by=x.withdrawn_by,
                withdrawal_note=x.withdrawal_note,
                recorded_by=x.recorded_by,
                recorded_at=x.recorded_at,
                status=views.consent_status(x, now),
            )
            for x in consents
        ],
        team=[
            ExportTeamMember(
                id=m.id,
                institution_id=m.institution_id,
                institution_name=names.get(m.institution_id),
                sector=m.sector,
                state=m.state.value,
                function=m.function,
                username=m.username or m.invited_username,
                invited_at=m.invited_at,
                invited_by=m.invited_by,
                joined_at=m.joined_at,
                left_at=m.left_at,
            )
            for m in team
        ],
        diagnosis=[
            ExportDiagnosisEntry(
                id=e.id,
                area=e.area.value,
                area_name=model.DIAGNOSIS_AREA_NAMES_PL[e.area],
                perspective=model.Perspective(e.perspective).value,
                text=e.text,
                author_username=e.author_username,
                author_institution_id=e.author_institution_id,
                recorded_at=e.recorded_at,
            )
            for e in diagnosis
        ],
        plan_versions=[
            ExportPlanVersion(
                version=p.version,
                created_by=p.created_by,
                created_at=p.created_at,
                goals=_jsonable(p.goals),
            )
            for p in plans
        ],
        reviews=[
            ExportReview(
                id=r.id,
                plan_version=r.plan_version,
                reviewed_on=r.reviewed_on,
                goals=_jsonable(r.goals),
                family_assessment=r.family_assessment,
                notes=r.notes,
                next_review_on=r.next_review_on,
                recorded_by=r.recorded_by,
                recorded_at=r.recorded_at,
            )
            for r in reviews
        ],
        referrals=[
            ExportReferral(
                id=r.id,
                service_id=r.service_id,
                service_title=titles.get(r.service_id),
                institution_id=r.institution_id,
                institution_name=names.get(r.institution_id),
                state=r.state.value,
                state_name=model.REFERRAL_STATE_NAMES_PL[r.state],
                note=r.note,
                created_by=r.created_by,
                created_at=r.created_at,
                requested_at=r.requested_at,
                updated_at=r.updated_at,
                reason_code=r.reason_code.value if r.reason_code else None,
                reason=r.reason,
                outcome_code=r.outcome_code.value if r.outcome_code else None,
                outcome=r.outcome,
                history=_jsonable(r.history),
            )
            for r in referrals
        ],
        meetings=[
            ExportMeeting(
                id=m.id,
                kind=m.kind.value,
                status=m.status.value,
                starts_at=m.starts_at,
                place=m.place,
                online_url=m.online_url,
                participants=_jsonable(m.participants),
                agenda=list(m.agenda),
                scheduled_by=m.scheduled_by,
                held_at=m.held_at,
                notes=m.notes,
                decisions=_jsonable(m.decisions),
            )
            for m in meetings
        ],
        reassignments=[
            ExportReassignment(
                id=r.id,
                at=r.at,
                from_username=r.from_username,
                to_username=r.to_username,
                reason_code=model.ReassignReason(r.reason_code).value,
                reason=r.reason,
                by_username=r.by_username,
            )
            for r in reassignments
        ],
        access_report=await views.access_report(uow.session, case_id),
    )


def filename(export: FamilyExport, extension: str) -> str:
    """No name or PESEL in the file's name (it ends up in download lists and proxies' logs)."""
    return f"dane-rodziny-{str(export.case.id)[:8]}-{export.generated_at:%Y%m%d}.{extension}"


# --- the PDF ------------------------------------------------------------------------------------

_ACTION_STATUS_PL = {
    "planned": "zaplanowane", "in_progress": "w toku", "done": "wykonane", "dropped": "zaniechane",
}  # fmt: skip
_RESPONSIBLE_PL = {
    "family": "rodzina",
    "case_manager": "pracownik socjalny",
    "member": "członek zespołu",
}
_MEETING_KIND_PL = {"meeting": "spotkanie zespołu", "consultation": "konsultacja przed spotkaniem"}
_PERSPECTIVE_PL = {"family": "spojrzenie rodziny", "specialist": "ocena specjalisty"}
_MEETING_STATUS_PL = {"scheduled": "zaplanowane", "held": "odbyte"}
_CONSENT_STATUS_PL = {
    "valid": "obowiązuje", "withdrawn": "wycofana", "expired": "wygasła",
    "not_yet_valid": "jeszcze nie obowiązuje",
}  # fmt: skip
_MEMBER_STATE_PL = {
    "invited": "zaproszony", "active": "w zespole", "declined": "odmówił", "left": "odszedł",
}  # fmt: skip
_CLOSE_REASON_PL = {
    "goals_achieved": "cele osiągnięte", "family_withdrew": "rodzina zrezygnowała",
    "moved_away": "rodzina się wyprowadziła", "transferred": "sprawa przekazana",
    "no_cooperation": "brak współpracy", "other": "inny powód",
}  # fmt: skip
NONE = "brak"


def _d(value: date | None) -> str:
    return value.strftime("%d.%m.%Y") if value else "—"


def _opt(value: object) -> str:
    return str(value) if value not in (None, "") else "—"


def _state_pl(code: object) -> str:
    try:
        return model.REFERRAL_STATE_NAMES_PL[model.ReferralState(str(code))]
    except ValueError:
        return str(code)


def _empty(section: documents.Section) -> documents.Section:
    if not (section.fields or section.paragraphs or section.bullets or section.subsections):
        section.paragraphs.append(f"{NONE}.")
    return section


def document(export: FamilyExport) -> documents.Document:
    """The export as the family reads it: the same data as the JSON file, in Polish, in the
    order of the JSON file, one heading per kind of data and one per item."""
    local = documents.local
    c = export.case
    people = {p.id: f"{p.first_name} {p.last_name}" for p in export.family}
    team = {m.id: f"{m.institution_name or m.institution_id}" for m in export.team}
    sections = [
        documents.Section(
            heading="Sprawa",
            fields=[
                ("Numer sprawy", str(c.id)),
                ("Gmina (TERYT)", c.tenant),
                ("Etap", c.state_name),
                ("Przyjęta", local(c.opened_at)),
                ("Zamknięta", local(c.closed_at) if c.closed_at else "—"),
                ("Powód zamknięcia", _CLOSE_REASON_PL.get(c.close_reason or "", "—")),
                ("Uwagi do zamknięcia", _opt(c.close_note)),
                ("Pracownik socjalny prowadzący", c.manager_username),
                ("Sporządzono", local(export.generated_at)),
            ],
        ),
        _empty(
            documents.Section(
                heading="Osoby w rodzinie",
                subsections=[
                    documents.Section(
                        heading=f"{p.first_name} {p.last_name}",
                        fields=[
                            ("Pokrewieństwo", _opt(p.relation)),
                            ("Rok urodzenia", _opt(p.year_of_birth)),
                            ("PESEL", _opt(p.pesel)),
                            ("Telefon", _opt(p.phone)),
                            ("E-mail", _opt(p.email)),
                            ("Adres", _opt(p.address)),
                            *(
                                [("Usunięta z rodziny", local(p.removed_at))]
                                if p.removed_at
                                else []
                            ),
                        ],
                    )
                    for p in export.family
                ],
            )
        ),
        _empty(
            documents.Section(
                heading="Zgody (cała historia)",
                subsections=[
                    documents.Section(
                        heading=f"Zgoda z {local(x.given_at)} — "
                        f"{_CONSENT_STATUS_PL.get(x.status, x.status)}",
                        fields=[
                            ("Wyraża", _opt(x.given_by_name)),
                            ("Forma", x.method_name),
                            (
                                "Instytucje",
                                ", ".join(_opt(i.name or i.id) for i in x.institutions) or "—",
                            ),
                            (
                                "Sektory",
                                ", ".join(model.SECTOR_NAMES_PL.get(v, v) for v in x.sectors)
                                or "—",
                            ),
                            (
                                "Rodzaje danych",
                                ", ".join(
                                    model.DATA_KIND_NAMES_PL[model.DataKind(k)]
                                    for k in x.data_kinds
                                ),
                            ),
                            ("Ważna do", local(x.valid_until) if x.valid_until else "do odwołania"),
                            ("Wycofana", local(x.withdrawn_at) if x.withdrawn_at else "—"),
                            ("Uwagi do wycofania", _opt(x.withdrawal_note)),
                            ("Odnotował(a)", f"{x.recorded_by}, {local(x.recorded_at)}"),
                        ],
                    )
                    for x in export.consents
                ],
            )
        ),
        _empty(
            documents.Section(
                heading="Zespół",
                bullets=[
                    f"{m.institution_name or m.institution_id}: {_opt(m.function)}, "
                    f"{_opt(m.username)} — {_MEMBER_STATE_PL.get(m.state, m.state)}; zaproszenie "
                    f"{local(m.invited_at)}, dołączenie {local(m.joined_at)}, "
                    f"odejście {local(m.left_at)}"
                    for m in export.team
                ],
            )
        ),
        _empty(
            documents.Section(
                heading="Diagnoza",
                paragraphs=[
                    f"{e.area_name} — {_PERSPECTIVE_PL.get(e.perspective, e.perspective)} "
                    f"({e.author_username}, {local(e.recorded_at)}): {e.text}"
                    for e in export.diagnosis
                ],
            )
        ),
        _empty(
            documents.Section(
                heading="Plan wsparcia (wszystkie wersje)",
                subsections=[_plan(p) for p in export.plan_versions],
            )
        ),
        _empty(
            documents.Section(
                heading="Przeglądy planu",
                subsections=[_review(r) for r in export.reviews],
            )
        ),
        _empty(
            documents.Section(
                heading="Skierowania do usług",
                subsections=[_referral(r) for r in export.referrals],
            )
        ),
        _empty(
            documents.Section(
                heading="Spotkania i ustalenia",
                subsections=[_meeting(m, people, team) for m in export.meetings],
            )
        ),
        _empty(
            documents.Section(
                heading="Przekazania sprawy",
                bullets=[
                    f"{local(r.at)}: {r.from_username} → {r.to_username} "
                    f"({model.REASSIGN_REASON_NAMES_PL[model.ReassignReason(r.reason_code)]})"
                    f"{': ' + r.reason if r.reason else ''}; przekazał(a) {r.by_username}"
                    for r in export.reassignments
                ],
            )
        ),
        _empty(
            documents.Section(
                heading="Kto, kiedy i po co korzystał z danych rodziny",
                paragraphs=[
                    "Jedna pozycja to jedno posiedzenie: ta sama osoba lub ten sam system "
                    "instytucji, ta sama czynność, kolejne wpisy w odstępach krótszych niż "
                    "30 minut."
                ]
                if export.access_report
                else [],
                bullets=[_access_line(line) for line in export.access_report],
            )
        ),
    ]
    return documents.Document(
        title="Dane rodziny w platformie Centrum Usług Społecznych",
        subtitle="Kopia wszystkich danych, które platforma przechowuje o rodzinie w tej sprawie "
        f"({LEGAL_BASIS}). Te same dane w formacie JSON: plik {FORMAT}, wersja "
        f"{SCHEMA_VERSION}.",
        sections=sections,
        footer="Dane rodziny — Centrum Usług Społecznych",
    )


def _plan(p: ExportPlanVersion) -> documents.Section:
    bullets = []
    for goal in p.goals:
        bullets.append(f"Cel: {goal.get('title', '—')}")
        for action in goal.get("actions", []):
            who = _RESPONSIBLE_PL.get(str((action.get("responsible") or {}).get("kind")), "—")
            status = _ACTION_STATUS_PL.get(str(action.get("status")), str(action.get("status")))
            due = f", do {action['due_on']}" if action.get("due_on") else ""
            bullets.append(f"  działanie: {action.get('title', '—')} ({who}{due}; {status})")
    return documents.Section(
        heading=f"Wersja {p.version} z {documents.local(p.created_at)} ({p.created_by})",
        bullets=bullets or [f"{NONE} celów."],
    )


def _review(r: ExportReview) -> documents.Section:
    goals = []
    for g in r.goals:
        status = str(g.get("status"))
        name = model.GOAL_PROGRESS_NAMES_PL.get(model.GoalProgress(status), status)
        goals.append(f"cel {g.get('goal_id')}: {name}{': ' + g['note'] if g.get('note') else ''}")
    return documents.Section(
        heading=f"Przegląd z {_d(r.reviewed_on)} (plan, wersja {r.plan_version})",
        fields=[
            ("Ocena rodziny", _opt(r.family_assessment)), ("Uwagi", _opt(r.notes)),
            ("Następny przegląd", _d(r.next_review_on)),
            ("Odnotował(a)", f"{r.recorded_by}, {documents.local(r.recorded_at)}"),
        ],
        bullets=goals,
    )  # fmt: skip


def _referral(r: ExportReferral) -> documents.Section:
    steps = [
        f"{documents.local(datetime.fromisoformat(str(h['at'])))}: "
        f"{_state_pl(h.get('to'))}"
        f"{' — ' + str(h['reason']) if h.get('reason') else ''}"
        for h in r.history
        if h.get("at")
    ]
    return documents.Section(
        heading=f"{r.service_title or r.service_id} — {r.state_name}",
        fields=[
            ("Instytucja", _opt(r.institution_name or r.institution_id)),
            ("Uwagi", _opt(r.note)), ("Powód", _opt(r.reason)), ("Rezultat", _opt(r.outcome)),
            ("Utworzone", f"{r.created_by}, {documents.local(r.created_at)}"),
        ],
        bullets=steps,
    )  # fmt: skip


def _meeting(
    m: ExportMeeting, people: dict[uuid.UUID, str], team: dict[uuid.UUID, str]
) -> documents.Section:
    def who(p: dict[str, Any]) -> str:
        if p.get("kind") == "family":
            return (
                people.get(uuid.UUID(str(p["family_member_id"])), "rodzina")
                if p.get("family_member_id")
                else "rodzina"
            )
        if p.get("kind") == "member" and p.get("member_id"):
            return team.get(uuid.UUID(str(p["member_id"])), "członek zespołu")
        return "pracownik socjalny"

    return documents.Section(
        heading=f"{_MEETING_KIND_PL.get(m.kind, m.kind).capitalize()} "
        f"{documents.local(m.starts_at)} — "
        f"{_MEETING_STATUS_PL.get(m.status, m.status)}",
        fields=[
            ("Miejsce", _opt(m.place)),
            ("Uczestnicy", ", ".join(who(p) for p in m.participants) or "—"),
            ("Sprawy do omówienia", "; ".join(m.agenda) or "—"),
            ("Odbyło się", documents.local(m.held_at) if m.held_at else "—"),
            ("Przebieg", _opt(m.notes)),
        ],
        bullets=[
            f"Ustalenie: {d.get('text', '')} (rodzina "
            f"{'się zgodziła' if d.get('family_consent') == 'given' else 'się nie zgodziła'})"
            for d in m.decisions
        ],
    )  # fmt: skip


def _access_line(line: s.AccessReportLineOut) -> str:
    when = documents.local(line.first_at)
    if line.last_at != line.first_at:
        when += f" – {documents.local(line.last_at)}"
    institution = line.institution_name or (
        "Ośrodek Pomocy Społecznej" if line.institution_id is None else "—"
    )
    role = documents.RELATION_NAMES_PL.get(line.relation, line.relation)
    action = documents.access_action_pl(line.action, line.outcome, line.relation)
    times = f" ({line.entries}×)" if line.entries > 1 else ""
    what = ", ".join(documents.what_pl(w) for w in line.what)
    return (
        f"{when}: {line.who} ({role}, {institution}) — {action}{times}: {what}; cel: "
        + "; ".join(line.purposes)
    )
