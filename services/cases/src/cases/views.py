"""Read queries behind the cases API. Each is called by `handlers.read_case_data` after the consent
policy said yes, and shows only the kinds of data the caller's access grants."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cases.adapters import orm
from cases.adapters.reads import CaseReadUnitOfWork
from cases.adapters.sealing import TextVault, open_row, open_value, vault_of
from cases.domain import access_report as access_report_model
from cases.domain import model, policy
from cases.domain.policy import Access, Relation
from cases.entrypoints import schemas as s
from cases.service.handlers import Authorized
from cases.service.ports import UnitOfWork, Vault
from shared import consent as shared_consent

CAPACITY_NAMES_PL = {
    "available": "dostępna",
    "waitlist": "lista oczekujących",
    "no_capacity": "brak miejsc",
}

f_ = orm.family_members.c
r_ = orm.referrals.c
p_ = orm.plan_versions.c
o_ = orm.offerings.c
i_ = orm.institutions.c


async def institution_names(
    session: AsyncSession, ids: Sequence[uuid.UUID | None]
) -> dict[uuid.UUID, str]:
    wanted = [i for i in set(ids) if i is not None]
    if not wanted:
        return {}
    rows = await session.execute(select(i_.id, i_.name).where(i_.id.in_(wanted)))
    return {row[0]: row[1] for row in rows}


async def family(
    session: AsyncSession, case_id: uuid.UUID, vault: Vault | None, include_removed: bool = False
) -> list[s.FamilyMemberOut]:
    """The people of the family record; those removed from it only when asked (the giver of a
    past consent, for the consent's history)."""
    query = select(orm.family_members).where(f_.case_id == case_id)
    if not include_removed:
        query = query.where(f_.removed_at.is_(None))
    rows = await session.execute(query.order_by(f_.last_name, f_.id))
    out = []
    for row in rows:
        blob = row.pesel_encrypted
        out.append(
            s.FamilyMemberOut(
                id=row.id,
                first_name=row.first_name,
                last_name=row.last_name,
                year_of_birth=row.year_of_birth,
                relation=row.relation,
                phone=row.phone,
                email=row.email,
                address=row.address,
                has_pesel=blob is not None,
                pesel=vault.decrypt(blob, row.pesel_key_id)
                if vault is not None and blob is not None
                else None,
            )
        )
    return out


async def team(session: AsyncSession, auth: Authorized) -> list[s.TeamMemberOut]:
    names = await institution_names(session, [m.institution_id for m in auth.team])
    return _team_out(auth, names)


def _team_out(auth: Authorized, names: dict[uuid.UUID, str]) -> list[s.TeamMemberOut]:
    manager = s.TeamMemberOut(
        id=None,
        institution_id=None,
        institution_name="Ośrodek Pomocy Społecznej (prowadzący sprawę)",
        sector="social_assistance",
        state="case_manager",
        function="pracownik socjalny – case manager",
        username=auth.case.manager_username,
        invited_at=None,
        joined_at=auth.case.opened_at,
        left_at=None,
    )
    if not auth.access.sees_team:  # a receiving partner sees who sent it, not the team
        return [manager]
    return [manager] + [
        s.TeamMemberOut(
            id=m.id,
            institution_id=m.institution_id,
            institution_name=names.get(m.institution_id),
            sector=m.sector,
            state=m.state.value,
            function=m.function,
            username=m.username or m.invited_username,
            invited_at=m.invited_at,
            joined_at=m.joined_at,
            left_at=m.left_at,
            left_reason=m.left_reason,
        )
        for m in sorted(auth.team, key=lambda m: m.invited_at)
    ]


def _plan_out(row: Any, vault: TextVault) -> s.PlanOut:
    return s.PlanOut(
        version=row.version,
        created_by=row.created_by,
        created_at=row.created_at,
        goals=open_value(vault, "plan_versions.goals", row.id, row.goals),
    )


async def plan(session: AsyncSession, case_id: uuid.UUID) -> s.PlanOut | None:
    row = (
        await session.execute(
            select(p_.id, p_.version, p_.created_by, p_.created_at, p_.goals)
            .where(p_.case_id == case_id)
            .order_by(p_.version.desc())
            .limit(1)
        )
    ).first()
    return _plan_out(row, vault_of(session.sync_session)) if row else None


async def plan_versions(session: AsyncSession, case_id: uuid.UUID) -> list[s.PlanOut]:
    rows = await session.execute(
        select(p_.id, p_.version, p_.created_by, p_.created_at, p_.goals)
        .where(p_.case_id == case_id)
        .order_by(p_.version)
    )
    vault = vault_of(session.sync_session)
    return [_plan_out(row, vault) for row in rows]


async def reviews(uow: UnitOfWork, auth: Authorized) -> list[s.ReviewOut]:
    """The monitoring reviews of the case, newest first, with the titles of the goals as the
    assessed plan version had them."""
    items = sorted(
        await uow.reviews.of_case(auth.case.id),
        key=lambda r: (r.reviewed_on, r.recorded_at),
        reverse=True,
    )
    rows = await uow.session.execute(
        select(p_.id, p_.version, p_.goals).where(p_.case_id == auth.case.id)
    )
    vault = vault_of(uow.session.sync_session)
    titles = {
        (row.version, str(g.get("id"))): g.get("title")
        for row in rows
        for g in open_value(vault, "plan_versions.goals", row.id, row.goals)
    }
    return [
        s.ReviewOut(
            id=r.id,
            plan_version=r.plan_version,
            reviewed_on=r.reviewed_on,
            goals=[
                s.GoalReviewOut(
                    goal_id=str(g["goal_id"]),
                    title=titles.get((r.plan_version, str(g["goal_id"]))),
                    status=model.GoalProgress(g["status"]),
                    status_name=model.GOAL_PROGRESS_NAMES_PL[model.GoalProgress(g["status"])],
                    note=g.get("note"),
                )
                for g in r.goals
            ],
            family_assessment=r.family_assessment,
            notes=r.notes,
            next_review_on=r.next_review_on,
            recorded_by=r.recorded_by,
            recorded_at=r.recorded_at,
        )
        for r in items
    ]


def referral_moves(
    access: Access, institution_id: uuid.UUID, state: model.ReferralState
) -> list[s.ReferralMoveOut]:
    """The moves the caller may make on a referral now, from the domain's table."""
    party = policy.referral_party(access, institution_id, state)
    return [
        s.ReferralMoveOut(to=to, needs=model.referral_move_needs(to))
        for to in model.referral_moves(state, party)
    ]


async def referrals(
    session: AsyncSession,
    case_id: uuid.UUID,
    access: Access,
    only_institution: uuid.UUID | None = None,
) -> list[s.ReferralOut]:
    query = (
        select(orm.referrals, o_.title)
        .select_from(orm.referrals.outerjoin(orm.offerings, o_.service_id == r_.service_id))
        .where(r_.case_id == case_id)
        .order_by(r_.created_at)
    )
    if only_institution is not None:
        query = query.where(
            r_.institution_id == only_institution, r_.state != model.ReferralState.DRAFT.value
        )
    vault = vault_of(session.sync_session)
    rows = [open_row(vault, "referrals", row._mapping) for row in await session.execute(query)]
    return [
        s.ReferralOut(
            id=row["id"],
            case_id=row["case_id"],
            service_id=row["service_id"],
            service_title=row["title"],
            institution_id=row["institution_id"],
            sector=row["sector"],
            state=row["state"],
            state_name=model.REFERRAL_STATE_NAMES_PL[row["state"]],
            note=row["note"],
            capacity_status=row["capacity_status"],
            waiting_days=row["waiting_days"],
            created_at=row["created_at"],
            requested_at=row["requested_at"],
            updated_at=row["updated_at"],
            reason_code=row["reason_code"],
            reason=row["reason"],
            outcome_code=row["outcome_code"],
            outcome=row["outcome"],
            history=row["history"],
            moves=referral_moves(access, row["institution_id"], model.ReferralState(row["state"])),
        )
        for row in rows
    ]


async def incoming(
    session: AsyncSession, cases: list[Authorized], institution: uuid.UUID
) -> list[s.ReferralOut]:
    out: list[s.ReferralOut] = []
    for auth in cases:
        out += await referrals(session, auth.case.id, auth.access, institution)
    return out


def _referral_scope(auth: Authorized) -> uuid.UUID | None:
    """A receiving partner who is not in the team sees only the referrals sent to them."""
    if auth.access.relation == Relation.RECEIVING_PARTNER:
        return auth.access.institution_id
    return None


# One round trip for the parts of the case view; each part only when the caller may see it.
# The parameters are declared once, typed, whichever parts are asked for: $1 the case's id, $2
# the only institution whose referrals are shown (NULL: all of them).
_VIEW_PARTS = {
    "names": """(SELECT coalesce(json_object_agg(i.id, i.name), '{}'::json) FROM institutions i
                 WHERE i.id IN (SELECT institution_id FROM team_members WHERE case_id = q.id))""",
    "family": """(SELECT coalesce(json_agg(f ORDER BY f.last_name, f.id), '[]'::json)
                  FROM family_members f WHERE f.case_id = q.id AND f.removed_at IS NULL)""",
    "plan": """(SELECT row_to_json(p) FROM (SELECT id, version, created_by, created_at, goals
                FROM plan_versions WHERE case_id = q.id ORDER BY version DESC LIMIT 1) p)""",
    "referrals": """(SELECT coalesce(json_agg(r ORDER BY r.created_at), '[]'::json) FROM (
                     SELECT r.*, o.title FROM referrals r
                     LEFT JOIN offerings o ON o.service_id = r.service_id
                     WHERE r.case_id = q.id AND (q.only IS NULL
                       OR (r.institution_id = q.only AND r.state <> 'draft'))) r)""",
}


@functools.cache
def view_query(parts: tuple[str, ...]) -> str:
    """The SELECT of the case view's parts ($1 case id, $2 referrals' institution or NULL)."""
    columns = ", ".join(f"{_VIEW_PARTS[p] if p in parts else 'NULL'} AS {p}" for p in _VIEW_PARTS)
    return f"SELECT {columns} FROM (SELECT CAST($1 AS uuid) AS id, CAST($2 AS uuid) AS only) q"


def _family_from_json(row: dict[str, Any], vault: Vault | None) -> s.FamilyMemberOut:
    blob = row.get("pesel_encrypted")
    raw = bytes.fromhex(blob[2:]) if blob else None  # bytea in JSON: "\\x<hex>"
    return s.FamilyMemberOut(
        id=row["id"],
        first_name=row["first_name"],
        last_name=row["last_name"],
        year_of_birth=row["year_of_birth"],
        relation=row["relation"],
        phone=row["phone"],
        email=row["email"],
        address=row["address"],
        has_pesel=raw is not None,
        pesel=vault.decrypt(raw, row.get("pesel_key_id"))
        if vault is not None and raw is not None
        else None,
    )


def _referral_from_json(row: dict[str, Any], vault: TextVault, access: Access) -> s.ReferralOut:
    row = open_row(vault, "referrals", row)
    state = model.ReferralState(row["state"])
    moves = referral_moves(access, uuid.UUID(str(row["institution_id"])), state)
    return s.ReferralOut.model_validate(
        {**row, "service_title": row.get("title"), "state": state,
         "state_name": model.REFERRAL_STATE_NAMES_PL[state], "moves": moves}
    )  # fmt: skip


async def case_view(uow: CaseReadUnitOfWork, auth: Authorized, vault: Vault | None) -> s.CaseOut:
    """The case as the caller may see it: the case, its team, and the family, plan and
    referrals when the caller's access grants them — fetched in one statement with the read's
    access-log entry (ADR 0028)."""
    case, access = auth.case, auth.access
    is_manager = access.relation == Relation.CASE_MANAGER
    parts = ["names"]
    for part, kind in (
        ("family", model.DataKind.CONTACT),
        ("plan", model.DataKind.PLAN),
        ("referrals", model.DataKind.REFERRALS),
    ):
        if access.allows(kind):
            parts.append(part)
    row = await uow.fetch_logged(view_query(tuple(parts)), case.id, _referral_scope(auth))
    names = {uuid.UUID(k): v for k, v in row["names"].items()}
    family, plan, referrals = row["family"], row["plan"], row["referrals"]
    return s.CaseOut(
        id=case.id,
        tenant=case.tenant,
        state=case.state,
        state_name=model.CASE_STATE_NAMES_PL[case.state],
        opened_at=case.opened_at,
        closed_at=case.closed_at,
        close_reason=case.close_reason,
        manager_username=case.manager_username,
        relation=access.relation.value,
        data_kinds=sorted(access.kinds),
        family=[_family_from_json(f, vault if is_manager else None) for f in family]
        if family is not None
        else None,
        team=_team_out(auth, names),
        plan=s.PlanOut.model_validate(open_row(uow.vault, "plan_versions", plan)) if plan else None,
        referrals=[_referral_from_json(r, uow.vault, access) for r in referrals]
        if referrals is not None
        else None,
    )


async def referral_list(uow: UnitOfWork, auth: Authorized) -> list[s.ReferralOut]:
    return await referrals(uow.session, auth.case.id, auth.access, _referral_scope(auth))


async def reassignments(uow: UnitOfWork, auth: Authorized) -> list[s.ReassignmentOut]:
    items = sorted(await uow.reassignments.of_case(auth.case.id), key=lambda r: r.at)
    return [
        s.ReassignmentOut(
            id=r.id,
            at=r.at,
            from_username=r.from_username,
            to_username=r.to_username,
            reason_code=r.reason_code,
            reason_name=model.REASSIGN_REASON_NAMES_PL[r.reason_code],
            reason=r.reason,
            by_username=r.by_username,
            by_relation=r.by_relation,
        )
        for r in items
    ]


def consent_status(consent: model.Consent, now: datetime) -> str:
    if consent.withdrawn_at is not None and consent.withdrawn_at <= now:
        return "withdrawn"
    if consent.valid_until is not None and consent.valid_until <= now:
        return "expired"
    if consent.given_at > now:
        return "not_yet_valid"
    return "valid"


def consents(auth: Authorized, now: datetime) -> list[s.ConsentOut]:
    return [
        s.ConsentOut(
            id=x.id,
            given_by_member_id=x.given_by_member_id,
            given_at=x.given_at,
            method=x.method,
            institution_ids=list(x.institution_ids),
            sectors=list(x.sectors),
            data_kinds=list(x.data_kinds),
            valid_until=x.valid_until,
            withdrawn_at=x.withdrawn_at,
            recorded_by=x.recorded_by,
            status=consent_status(x, now),
        )
        for x in sorted(auth.consents, key=lambda x: x.recorded_at)
    ]


async def coverage(session: AsyncSession, auth: Authorized, now: datetime) -> s.ConsentCoverageOut:
    """The institutions of the registry the valid consents cover now, by id or by sector, with
    the kinds they share (the rule `policy.may_join` applies when one is invited)."""
    valid = [x for x in auth.consents if shared_consent.valid_at(x, now)]
    ids = {i for x in valid for i in x.institution_ids}
    sectors = {sector for x in valid for sector in x.sectors}
    out = []
    if valid:
        rows = await session.execute(
            select(i_.id, i_.name, i_.sector)
            .where(i_.id.in_(ids) | i_.sector.in_(sectors))
            .order_by(i_.name, i_.id)
        )
        for id_, name, sector in rows:
            kinds = policy.granted_kinds(id_, sector, valid, now)
            if kinds:
                out.append(
                    s.CoveredInstitutionOut(
                        id=id_, name=name, sector=sector, data_kinds=sorted(kinds)
                    )
                )
    return s.ConsentCoverageOut(has_valid_consent=bool(valid), institutions=out)


async def diagnosis(uow: UnitOfWork, auth: Authorized) -> list[s.DiagnosisAreaOut]:
    entries = await uow.diagnosis.of_case(auth.case.id)
    out = []
    for area in model.DiagnosisArea:
        mine = sorted((e for e in entries if e.area == area), key=lambda e: e.recorded_at)

        def view(e: model.DiagnosisEntry) -> s.DiagnosisEntryOut:
            return s.DiagnosisEntryOut(
                id=e.id,
                text=e.text,
                author_username=e.author_username,
                author_institution_id=e.author_institution_id,
                recorded_at=e.recorded_at,
            )

        out.append(
            s.DiagnosisAreaOut(
                area=area,
                area_name=model.DIAGNOSIS_AREA_NAMES_PL[area],
                family_view=[view(e) for e in mine if e.perspective == model.Perspective.FAMILY],
                specialist_views=[
                    view(e) for e in mine if e.perspective == model.Perspective.SPECIALIST
                ],
            )
        )
    return out


async def meetings(uow: UnitOfWork, auth: Authorized) -> list[s.MeetingOut]:
    items = sorted(await uow.meetings.of_case(auth.case.id), key=lambda m: m.starts_at)
    return [
        s.MeetingOut(
            id=m.id,
            kind=m.kind,
            status=m.status,
            starts_at=m.starts_at,
            place=m.place,
            online_url=m.online_url,
            participants=m.participants,
            agenda=m.agenda,
            notes=m.notes,
            held_at=m.held_at,
            decisions=m.decisions,
        )
        for m in items
    ]


async def _log_rows(session: AsyncSession, case_id: uuid.UUID) -> Sequence[Any]:
    a = orm.access_log.c
    rows = await session.execute(
        select(orm.access_log, i_.name.label("institution_name"))
        .select_from(orm.access_log.outerjoin(orm.institutions, i_.id == a.institution_id))
        .where(a.case_id == case_id)
        .order_by(a.chain_pos)
    )
    return rows.all()


async def access_log(session: AsyncSession, case_id: uuid.UUID) -> list[s.AccessLogEntryOut]:
    """Every entry of the case's log, in its chain's order."""
    return [
        s.AccessLogEntryOut(
            at=row.at,
            actor_username=row.actor_username,
            actor_name=row.actor_name,
            actor_roles=row.actor_roles,
            relation=row.relation,
            institution_id=row.institution_id,
            institution_name=row.institution_name,
            action=row.action,
            outcome=row.outcome,
            what=row.what,
            purpose=row.purpose,
            chain_pos=row.chain_pos,
        )
        for row in await _log_rows(session, case_id)
    ]


async def access_report(session: AsyncSession, case_id: uuid.UUID) -> list[s.AccessReportLineOut]:
    """The family's report: the log's entries grouped by sitting (ADR 0029)."""
    entries = [
        access_report_model.Entry(
            at=row.at,
            actor_subject=row.actor_subject,
            actor_username=row.actor_username,
            actor_name=row.actor_name,
            relation=row.relation,
            institution_id=row.institution_id,
            institution_name=row.institution_name,
            action=row.action,
            outcome=row.outcome,
            what=row.what,
            purpose=row.purpose,
        )
        for row in await _log_rows(session, case_id)
    ]
    return [
        s.AccessReportLineOut.model_validate(line, from_attributes=True)
        for line in access_report_model.sittings(entries)
    ]


async def offerings(session: AsyncSession, tenant: str | None) -> list[s.OfferingOut]:
    query = select(orm.offerings).where(o_.status == "published").order_by(o_.title)
    if tenant:
        query = query.where(o_.tenants_served.any_() == tenant)
    return [_offering_out(row) for row in await session.execute(query)]


async def offering(session: AsyncSession, service_id: uuid.UUID) -> s.OfferingOut | None:
    row = (await session.execute(select(orm.offerings).where(o_.service_id == service_id))).first()
    return _offering_out(row) if row else None


def _offering_out(row: Any) -> s.OfferingOut:
    data = dict(row._mapping)
    data.pop("updated_at", None)
    data["capacity_name"] = CAPACITY_NAMES_PL.get(data["capacity_status"], data["capacity_status"])
    return s.OfferingOut.model_validate(data)


async def my_cases(
    session: AsyncSession, subject: str, institution: uuid.UUID | None
) -> list[s.CaseSummary]:
    """Cases the caller manages or is an active team member of (no personal data in the list)."""
    c_ = orm.cases.c
    t_ = orm.team_members.c
    managed = await session.execute(
        select(c_.id, c_.tenant, c_.state, c_.opened_at)
        .where(c_.manager_subject == subject)
        .order_by(c_.opened_at.desc())
        .limit(500)
    )
    out = [
        s.CaseSummary(id=r.id, tenant=r.tenant, state=r.state, opened_at=r.opened_at,
                      relation=Relation.CASE_MANAGER.value)
        for r in managed
    ]  # fmt: skip
    if institution is not None:
        joined = await session.execute(
            select(c_.id, c_.tenant, c_.state, c_.opened_at)
            .select_from(orm.cases.join(orm.team_members, t_.case_id == c_.id))
            .where(
                t_.user_subject == subject,
                t_.institution_id == institution,
                t_.state == model.MemberState.ACTIVE.value,
            )
        )
        out += [
            s.CaseSummary(id=r.id, tenant=r.tenant, state=r.state, opened_at=r.opened_at,
                          relation=Relation.TEAM_MEMBER.value)
            for r in joined
        ]  # fmt: skip
    return out


async def invitations(
    session: AsyncSession, institution: uuid.UUID, username: str
) -> list[s.InvitationOut]:
    """Pending invitations into teams for the caller's institution (no personal data)."""
    t_ = orm.team_members.c
    rows = await session.execute(
        select(t_.id, t_.case_id, t_.tenant, t_.function, t_.invited_at, t_.invited_by)
        .where(
            t_.institution_id == institution,
            t_.state == model.MemberState.INVITED.value,
            (t_.invited_username.is_(None)) | (t_.invited_username == username),
        )
        .order_by(t_.invited_at)
    )
    return [s.InvitationOut.model_validate(dict(r._mapping)) for r in rows]
