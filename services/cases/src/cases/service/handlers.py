"""One small async function per command: load, check access through the consent policy, apply
the domain rule, write the access log, commit once.

A case that the caller may not see does not exist for them (404), whoever they are.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar, cast

from cases.domain import model, policy, redaction
from cases.domain.pesel import birth_date
from cases.domain.policy import Access, Actor, Relation
from cases.service import commands as c
from cases.service.ports import (
    AccessEntry,
    PendingRedaction,
    ReadUnitOfWork,
    ScrubOutcome,
    UnitOfWork,
    Vault,
)
from shared import clock
from shared.auth.principal import Principal
from shared.errors import Conflict, Forbidden, InvalidInput, NotFound

T = TypeVar("T")
R = TypeVar("R", bound=ReadUnitOfWork)
H = TypeVar("H", bound=Callable[..., Awaitable[Any]])

NOT_FOUND = "Nie znaleziono sprawy."


def now() -> datetime:
    """The service's clock (ADR 0015)."""
    return clock.now()


def actor_of(principal: Principal) -> Actor:
    return Actor(
        subject=principal.subject,
        username=principal.username,
        roles=frozenset(r.value for r in principal.roles),
        tenants=principal.tenants,
        institution_id=principal.institution_id,
        name=principal.display_name,
    )


# --- refused attempts (ADR 0029) ----------------------------------------------------------------


@dataclass
class _Attempt:
    """What a handler learnt about the case while it ran, for the entry of a refusal."""

    case_id: uuid.UUID | None = None
    tenant: str | None = None
    relation: str = "none"


_attempt: ContextVar[_Attempt | None] = ContextVar("cases_attempt", default=None)


def _noting(case: model.Case, access: Access | None = None) -> None:
    attempt = _attempt.get()
    if attempt is not None:
        attempt.case_id, attempt.tenant = case.id, case.tenant
        if access is not None:
            attempt.relation = access.relation.value


def records_refusals(action: str, what: str | Callable[[Any], str]) -> Callable[[H], H]:
    """A handler whose refusals (404, 403) are recorded too: after its unit of work rolled back,
    one entry with outcome `refused` in a unit of work of its own — for a case that exists (an
    unknown id belongs to no family's record). The caller still gets the same 404 or 403."""

    def wrap(handler: H) -> H:
        @functools.wraps(handler)
        async def run(cmd: Any, *, uow: ReadUnitOfWork, actor: Actor, **kw: Any) -> Any:
            attempt = _Attempt(case_id=getattr(cmd, "case_id", None))
            token = _attempt.set(attempt)
            try:
                return await handler(cmd, uow=uow, actor=actor, **kw)
            except (NotFound, Forbidden):
                await record_refusal(
                    uow, actor, attempt, action=action,
                    what=what if isinstance(what, str) else what(cmd),
                    purpose=getattr(cmd, "purpose", c.DEFAULT_PURPOSE),
                )  # fmt: skip
                raise
            finally:
                _attempt.reset(token)

        return cast(H, run)

    return wrap


async def record_refusal(
    uow: ReadUnitOfWork, actor: Actor, attempt: _Attempt, *, action: str, what: str, purpose: str
) -> None:
    if attempt.case_id is None:
        return
    at = now()
    async with uow:
        tenant = attempt.tenant
        if tenant is None:
            snapshot = await uow.cases.snapshot(attempt.case_id)
            if snapshot is None:
                return
            tenant = snapshot[0].tenant
        await uow.access_log.record(
            AccessEntry(
                case_id=attempt.case_id,
                tenant=tenant,
                at=at,
                actor_subject=actor.subject,
                actor_username=actor.username,
                actor_roles=",".join(sorted(actor.roles)),
                relation=attempt.relation,
                institution_id=actor.institution_id,
                action=action,
                what=what,
                purpose=purpose,
                actor_name=actor.name,
                outcome="refused",
            )
        )
        await uow.commit()


@dataclass(frozen=True)
class Authorized:
    case: model.Case
    access: Access
    consents: list[model.Consent]
    team: list[model.TeamMember]


async def authorize(
    uow: UnitOfWork, actor: Actor, case_id: uuid.UUID, at: datetime, *, for_change: bool = True
) -> Authorized:
    """Load the case with its consents and team and ask the policy; 404 when it says nothing.

    For a change the aggregates are loaded into the unit of work (tracked, so their events reach
    the outbox); for a read one round trip brings detached copies."""
    if not for_change:
        return await authorize_read(uow, actor, case_id, at)
    case = await uow.cases.get(case_id)
    if case is None:
        raise NotFound(NOT_FOUND)
    _noting(case)
    consents = list(await uow.consents.of_case(case_id))
    team = list(await uow.team.of_case(case_id))
    return await _decide(uow, actor, case, consents, team, at)


async def authorize_read(
    uow: ReadUnitOfWork, actor: Actor, case_id: uuid.UUID, at: datetime
) -> Authorized:
    """`authorize` for a read: the policy's inputs as detached copies, in one round trip."""
    snapshot = await uow.cases.snapshot(case_id)
    if snapshot is None:
        raise NotFound(NOT_FOUND)
    case, consents, team = snapshot
    _noting(case)
    return await _decide(uow, actor, case, consents, team, at)


async def _decide(
    uow: ReadUnitOfWork,
    actor: Actor,
    case: model.Case,
    consents: list[model.Consent],
    team: list[model.TeamMember],
    at: datetime,
) -> Authorized:
    receiving: set[uuid.UUID] = set()
    sectors: dict[uuid.UUID, str | None] = {}
    if actor.institution_id is not None:
        receiving = await uow.referrals.receiving_institutions(case.id)
        sectors = dict(await uow.directory.sectors([actor.institution_id]))
    access = policy.decide(
        actor,
        case,
        consents=consents,
        team=team,
        receiving_institutions=receiving,
        sectors=sectors,
        now=at,
    )
    if access is None:
        raise NotFound(NOT_FOUND)
    _noting(case, access)
    return Authorized(case, access, consents, team)


def _require_manager(auth: Authorized) -> None:
    if auth.access.relation != Relation.CASE_MANAGER:
        raise Forbidden("Tę czynność wykonuje prowadzący sprawę (case manager).")


async def _log(
    uow: ReadUnitOfWork,
    actor: Actor,
    auth: Authorized,
    *,
    action: str,
    what: str,
    purpose: str,
    at: datetime,
) -> None:
    await uow.access_log.record(
        AccessEntry(
            case_id=auth.case.id,
            tenant=auth.case.tenant,
            at=at,
            actor_subject=actor.subject,
            actor_username=actor.username,
            actor_roles=",".join(sorted(actor.roles)),
            relation=auth.access.relation.value,
            institution_id=auth.access.institution_id,
            action=action,
            what=what,
            purpose=purpose,
            actor_name=actor.name,
        )
    )


# --- reads ------------------------------------------------------------------------------------


@records_refusals("read", lambda q: q.what)
async def read_case_data(
    q: c.ReadCaseData,
    *,
    uow: R,
    actor: Actor,
    fetch: Callable[[R, Authorized], Awaitable[T]],
) -> T:
    """Every read of case data: consent checked now, one access-log entry, in one transaction.

    The entry is recorded before the fetch so that a fetch may write it in its own statement
    (the case view, ADR 0028); otherwise `commit` writes it. Either way it reaches the database
    only with, or after, the data it records, and a read that fails writes none."""
    at = now()
    async with uow:
        auth = await authorize_read(uow, actor, q.case_id, at)
        if q.manager_only:
            _require_manager(auth)
        if not auth.access.allows(q.kind):
            raise Forbidden("Zgoda rodziny nie obejmuje tego rodzaju danych dla Twojej instytucji.")
        await _log(uow, actor, auth, action=q.action, what=q.what, purpose=q.purpose, at=at)
        result = await fetch(uow, auth)
        await uow.commit()
        return result


async def access_log(
    case_id: uuid.UUID,
    *,
    uow: UnitOfWork,
    actor: Actor,
    fetch: Callable[[UnitOfWork, Authorized], Awaitable[T]],
    what: str = "access-log",
    purpose: str = c.DEFAULT_PURPOSE,
) -> T:
    """The record of who saw and changed the family's data, for the case manager to give the
    family. Reading it is recorded too (it names who saw the family's data), after the fetch, so
    a report does not contain its own reading; so is a refused attempt."""
    query = c.ReadCaseData(case_id, what, None, purpose, manager_only=True)
    return await read_case_data(query, uow=uow, actor=actor, fetch=fetch)


async def find_cases_by_pesel(
    pesel: str, *, uow: UnitOfWork, actor: Actor, vault: Vault, purpose: str
) -> list[uuid.UUID]:
    """The caller's own cases whose family record holds this PESEL (found by its keyed hash)."""
    if policy.CASE_MANAGER_ROLE not in actor.roles:
        return []
    at = now()
    async with uow:
        found = await uow.family.cases_with_pesel(actor.tenants, vault.lookup_hashes(pesel))
        visible: list[uuid.UUID] = []
        for case_id in found:
            try:
                auth = await authorize(uow, actor, case_id, at, for_change=False)
            except NotFound:
                continue
            if auth.access.relation == Relation.CASE_MANAGER:
                visible.append(case_id)
                await _log(
                    uow, actor, auth, action="read", what="family.pesel-lookup",
                    purpose=purpose, at=at,
                )  # fmt: skip
        await uow.commit()
        return visible


async def may_open_now(
    *, uow: UnitOfWork, actor: Actor, listed: list[tuple[uuid.UUID, str, Relation]]
) -> set[uuid.UUID]:
    """Of the cases a list would show (id, tenant, relation it was listed for), those the policy
    lets the caller open now in that relation — so nothing listed opens as 404 (ADR 0037).
    A case listed as managed needs only the case for the decision (the manager's relation does
    not depend on consents); every other one is decided on its consents and team."""
    at = now()
    visible: set[uuid.UUID] = set()
    async with uow:
        for case_id, tenant, relation in listed:
            if relation == Relation.CASE_MANAGER:
                case = model.Case(
                    id=case_id, tenant=tenant, manager_subject=actor.subject,
                    manager_username=actor.username, opened_at=at,
                )  # fmt: skip
                access = policy.decide(
                    actor, case, consents=(), team=(), receiving_institutions=(), sectors={},
                    now=at,
                )  # fmt: skip
            else:
                try:
                    access = (await authorize(uow, actor, case_id, at, for_change=False)).access
                except NotFound:
                    continue
            if access is not None and access.relation == relation:
                visible.add(case_id)
    return visible


async def open_invitations(
    *, uow: UnitOfWork, actor: Actor, invited: list[tuple[uuid.UUID, uuid.UUID]]
) -> set[uuid.UUID]:
    """Of the invitations (member id, case id) for the caller's institution, those it could
    accept now: the case open and a valid consent covering the institution (as `accept`)."""
    if actor.institution_id is None:
        return set()
    at = now()
    out: set[uuid.UUID] = set()
    async with uow:
        sectors = dict(await uow.directory.sectors([actor.institution_id]))
        for member_id, case_id in invited:
            snapshot = await uow.cases.snapshot(case_id)
            if snapshot is None:
                continue
            case, consents, team = snapshot
            member = next((m for m in team if m.id == member_id), None)
            if (
                case.state != model.CaseState.CLOSED
                and member is not None
                and policy.may_join(
                    member.institution_id,
                    member.sector or sectors.get(actor.institution_id),
                    consents,
                    at,
                )
            ):
                out.add(member_id)
    return out


async def incoming_referrals(
    *,
    uow: UnitOfWork,
    actor: Actor,
    purpose: str,
    fetch: Callable[[UnitOfWork, list[Authorized]], Awaitable[T]],
) -> T | None:
    """The referrals sent to the caller's institution, from the cases whose valid consent grants
    that institution the referrals; one access-log entry per case shown."""
    if policy.PARTNER_STAFF_ROLE not in actor.roles or actor.institution_id is None:
        return None
    at = now()
    async with uow:
        visible: list[Authorized] = []
        for case_id in await uow.referrals.cases_sent_to(actor.institution_id):
            try:
                auth = await authorize(uow, actor, case_id, at, for_change=False)
            except NotFound:
                continue
            if auth.access.allows(model.DataKind.REFERRALS):
                visible.append(auth)
                await _log(
                    uow, actor, auth, action="read", what="referrals.incoming", purpose=purpose,
                    at=at,
                )  # fmt: skip
        result = await fetch(uow, visible)
        await uow.commit()
        return result


# --- the case -------------------------------------------------------------------------------


async def open_case(cmd: c.OpenCase, *, uow: UnitOfWork, actor: Actor, vault: Vault) -> uuid.UUID:
    if policy.CASE_MANAGER_ROLE not in actor.roles:
        raise Forbidden("Sprawę zakłada pracownik socjalny (case manager).")
    if cmd.tenant not in actor.tenants:
        raise Forbidden("Nie pracujesz w tej gminie.")
    if not cmd.family:
        raise InvalidInput.field("family", "Podaj co najmniej jedną osobę.", "missing")
    at = now()
    async with uow:
        case = model.Case.open(
            id=uuid.uuid4(),
            tenant=cmd.tenant,
            manager_subject=actor.subject,
            manager_username=actor.username,
            opened_at=at,
            family_size=len(cmd.family),
        )
        await uow.cases.add(case)
        for person in cmd.family:
            await uow.family.add(_family_member(case, person, vault))
        auth = Authorized(case, Access(Relation.CASE_MANAGER, policy.ALL_KINDS, None), [], [])
        await _log(uow, actor, auth, action="change", what="case.open", purpose=cmd.purpose, at=at)
        await uow.commit()
        return case.id


def _family_member(case: model.Case, person: c.FamilyMemberIn, vault: Vault) -> model.FamilyMember:
    member = model.FamilyMember(
        id=uuid.uuid4(),
        case_id=case.id,
        tenant=case.tenant,
        first_name=person.first_name,
        last_name=person.last_name,
        year_of_birth=person.year_of_birth,
        relation=person.relation,
        phone=person.phone,
        email=person.email,
        address=person.address,
    )
    if person.pesel:
        sealed = vault.seal(person.pesel)
        member.set_pesel(sealed.ciphertext, sealed.key_id, sealed.lookup_hash, sealed.hash_key_id)
    return member


@records_refusals("change", "family.add")
async def add_family_member(
    cmd: c.AddFamilyMember, *, uow: UnitOfWork, actor: Actor, vault: Vault
) -> uuid.UUID:
    at = now()
    async with uow:
        auth = await authorize(uow, actor, cmd.case_id, at)
        _require_manager(auth)
        auth.case.check_open()
        member = _family_member(auth.case, cmd.person, vault)
        await uow.family.add(member)
        auth.case.family_size += 1
        await _log(uow, actor, auth, action="change", what="family.add", purpose=cmd.purpose, at=at)
        await uow.commit()
        return member.id


async def _family_member_of(
    uow: UnitOfWork, auth: Authorized, member_id: uuid.UUID
) -> model.FamilyMember:
    member = await uow.family.get(member_id)
    if member is None or member.case_id != auth.case.id or member.removed:
        raise NotFound("Nie znaleziono tej osoby w rodzinie.")
    return member


@records_refusals("change", "family.edit")
async def edit_family_member(
    cmd: c.EditFamilyMember, *, uow: UnitOfWork, actor: Actor, vault: Vault
) -> model.FamilyMember:
    """The case manager corrects a person's details; a new PESEL is encrypted and hashed exactly
    as at intake. No event: the family record is never published (ADR 0024)."""
    if not cmd.changes:
        raise InvalidInput.field("body", "Podaj co najmniej jedno pole do zmiany.", "empty")
    at = now()
    async with uow:
        auth = await authorize(uow, actor, cmd.case_id, at, for_change=False)
        _require_manager(auth)
        auth.case.check_open()
        member = await _family_member_of(uow, auth, cmd.member_id)
        changes = dict(cmd.changes)
        if "pesel" in changes:
            pesel = changes.pop("pesel")
            if pesel:
                sealed = vault.seal(pesel)
                member.set_pesel(
                    sealed.ciphertext, sealed.key_id, sealed.lookup_hash, sealed.hash_key_id
                )
            else:
                member.set_pesel(None, None, None, None)
        member.edit(changes)
        await _log(
            uow, actor, auth, action="change", what="family.edit", purpose=cmd.purpose, at=at
        )
        await uow.commit()
        return member


@records_refusals("change", "family.remove")
async def remove_family_member(
    cmd: c.RemoveFamilyMember, *, uow: UnitOfWork, actor: Actor, vault: Vault
) -> ScrubOutcome:
    """A person leaves the family record. Refused (409) for the last person and for the giver of
    a consent in force; the giver of past consents keeps a row with the names only (ADR 0024).
    Their data is taken out of the case's free text: what is certainly them is replaced by a
    marker, what only may be them waits for the case manager to redact (ADR 0017)."""
    at = now()
    async with uow:
        auth = await authorize(uow, actor, cmd.case_id, at)
        _require_manager(auth)
        auth.case.check_open()
        member = await _family_member_of(uow, auth, cmd.member_id)
        family = list(await uow.family.of_case(auth.case.id))
        pesel_number = (
            vault.decrypt(member.pesel_encrypted, member.pesel_key_id)
            if member.pesel_encrypted is not None
            else None
        )
        person = redaction.Person(
            member.first_name,
            member.last_name,
            pesel_number,
            birth_date(pesel_number) if pesel_number else None,
        )
        others = [
            redaction.Person(m.first_name, m.last_name)
            for m in family
            if m.id != member.id and not m.removed
        ]
        outcome = await uow.redactions.scrub(auth.case, person, others, member.id, at)
        if member.check_removable(family, auth.consents, at):
            member.remove(at)
        else:
            await uow.family.delete(member)
        auth.case.family_size = max(auth.case.family_size - 1, 1)
        await _log(
            uow, actor, auth, action="change", what="family.remove", purpose=cmd.purpose, at=at
        )
        await uow.commit()
        return outcome


@records_refusals("read", "redactions")
async def pending_redactions(
    q: c.ListRedactions, *, uow: UnitOfWork, actor: Actor
) -> list[PendingRedaction]:
    """What the removal of family members left for the case manager to redact."""
    at = now()
    async with uow:
        auth = await authorize(uow, actor, q.case_id, at)
        _require_manager(auth)
        items = await uow.redactions.pending(q.case_id)
        await _log(uow, actor, auth, action="read", what="redactions", purpose=q.purpose, at=at)
        await uow.commit()
        return items


@records_refusals("change", "redaction")
async def resolve_redaction(cmd: c.ResolveRedaction, *, uow: UnitOfWork, actor: Actor) -> int:
    """Redact a pending place (every fragment replaced by the marker) or dismiss it; either way
    the place leaves the queue and its fragments are erased."""
    at = now()
    async with uow:
        auth = await authorize(uow, actor, cmd.case_id, at)
        _require_manager(auth)
        replaced = await uow.redactions.resolve(
            cmd.case_id, cmd.redaction_id, apply=cmd.apply, by=actor.username, at=at
        )
        if replaced is None:
            raise NotFound("Nie ma takiego miejsca do zredagowania (może już je załatwiono).")
        what = "redaction.apply" if cmd.apply else "redaction.dismiss"
        await _log(uow, actor, auth, action="change", what=what, purpose=cmd.purpose, at=at)
        await uow.commit()
        return replaced


@records_refusals("change", "case.state")
async def change_case_state(cmd: c.ChangeCaseState, *, uow: UnitOfWork, actor: Actor) -> None:
    at = now()
    async with uow:
        auth = await authorize(uow, actor, cmd.case_id, at)
        _require_manager(auth)
        auth.case.move_to(cmd.state)
        await _log(uow, actor, auth, action="change", what="case.state", purpose=cmd.purpose, at=at)
        await uow.commit()


@records_refusals("change", "case.close")
async def close_case(cmd: c.CloseCase, *, uow: UnitOfWork, actor: Actor) -> None:
    at = now()
    async with uow:
        auth = await authorize(uow, actor, cmd.case_id, at)
        _require_manager(auth)
        auth.case.close(cmd.reason, cmd.note, at)
        for member in auth.team:
            if member.in_team:
                member.leave(at, model.LeftReason.CASE_CLOSED)
        # Referrals still open are cancelled by the sender, so every loop is closed.
        for referral in await uow.referrals.of_case(auth.case.id):
            if model.ReferralState.CANCELLED in model.REFERRAL_TRANSITIONS[referral.state]:
                referral.move(
                    model.ReferralState.CANCELLED,
                    party=model.Party.SENDER,
                    by=actor.username,
                    role=Relation.CASE_MANAGER.value,
                    now=at,
                    reason_code=model.ReasonCode.OTHER,
                    reason="Sprawa została zamknięta.",
                )
        await _log(uow, actor, auth, action="change", what="case.close", purpose=cmd.purpose, at=at)
        await uow.commit()


@records_refusals("change", "case.reassign")
async def reassign_case(cmd: c.ReassignCase, *, uow: UnitOfWork, actor: Actor) -> None:
    """Hand the case over to another case manager of the same municipality, with a reason. The
    previous manager loses access on their next request; the access log records the handover."""
    at = now()
    async with uow:
        case = await uow.cases.get(cmd.case_id)
        if case is None:
            raise NotFound(NOT_FOUND)
        _noting(case)
        relation = policy.may_reassign(actor, case)
        if relation is None:
            # Someone who can see the case (a team member) learns they may not do this; for
            # everyone else the case does not exist.
            await authorize(uow, actor, cmd.case_id, at, for_change=False)
            raise Forbidden("Sprawę przekazuje jej prowadzący albo dyrektor ośrodka.")
        if cmd.manager_subject == actor.subject and policy.CASE_MANAGER_ROLE not in actor.roles:
            raise InvalidInput.field(
                "manager_subject",
                "Sprawę można przekazać tylko pracownikowi socjalnemu (case managerowi).",
                "not_a_case_manager",
            )
        handover = case.reassign(
            to_subject=cmd.manager_subject,
            to_username=cmd.manager_username,
            reason_code=cmd.reason_code,
            reason=cmd.reason,
            by_username=actor.username,
            by_relation=relation.value,
            at=at,
        )
        await uow.reassignments.add(handover)
        auth = Authorized(case, Access(relation, frozenset(), actor.institution_id), [], [])
        await _log(
            uow, actor, auth, action="change", what="case.reassign", purpose=cmd.purpose, at=at
        )
        await uow.commit()


# --- consent --------------------------------------------------------------------------------


@records_refusals("change", "consent.give")
async def give_consent(cmd: c.GiveConsent, *, uow: UnitOfWork, actor: Actor) -> uuid.UUID:
    at = now()
    async with uow:
        auth = await authorize(uow, actor, cmd.case_id, at, for_change=False)
        _require_manager(auth)
        auth.case.check_open()
        giver = await uow.family.get(cmd.given_by_member_id)
        if giver is None or giver.case_id != auth.case.id or giver.removed:
            raise InvalidInput.field(
                "given_by_member_id", "Zgodę wyraża osoba z tej rodziny.", "not_in_family"
            )
        given_at = cmd.given_at or at
        if given_at > at:
            raise InvalidInput.field(
                "given_at", "Data wyrażenia zgody nie może być z przyszłości.", "in_future"
            )
        consent = model.Consent.give(
            id=uuid.uuid4(),
            case_id=auth.case.id,
            tenant=auth.case.tenant,
            given_by_member_id=giver.id,
            given_at=given_at,
            method=cmd.method,
            institution_ids=list(dict.fromkeys(cmd.institution_ids)),
            sectors=list(dict.fromkeys(cmd.sectors)),
            data_kinds=list(dict.fromkeys(cmd.data_kinds)),
            valid_until=cmd.valid_until,
            recorded_by=actor.username,
            recorded_at=at,
        )
        await uow.consents.add(consent)
        await _log(
            uow, actor, auth, action="change", what="consent.give", purpose=cmd.purpose, at=at
        )
        await uow.commit()
        return consent.id


@records_refusals("change", "consent.withdraw")
async def withdraw_consent(cmd: c.WithdrawConsent, *, uow: UnitOfWork, actor: Actor) -> None:
    """The family withdraws a consent; it takes effect on the very next request. In the same
    unit of work, members whose institution no valid consent covers any more leave the team and
    open referrals whose receiver no valid consent grants `referrals` end in `withdrawn-consent`
    (ADR 0037)."""
    at = now()
    async with uow:
        await uow.cases.lock(cmd.case_id)
        auth = await authorize(uow, actor, cmd.case_id, at)
        _require_manager(auth)
        consent = next((x for x in auth.consents if x.id == cmd.consent_id), None)
        if consent is None:
            raise NotFound("Nie znaleziono zgody.")
        consent.withdraw(at=at, by=actor.username, note=cmd.note)
        model.end_what_consent_no_longer_covers(
            consents=auth.consents,
            team=auth.team,
            referrals=list(await uow.referrals.of_case(auth.case.id)),
            now=at,
            reason=model.ReasonCode.CONSENT_WITHDRAWN,
        )
        await _log(
            uow, actor, auth, action="change", what="consent.withdraw", purpose=cmd.purpose, at=at
        )
        await uow.commit()


# --- the team -------------------------------------------------------------------------------


@records_refusals("change", "team.invite")
async def invite_member(cmd: c.InviteMember, *, uow: UnitOfWork, actor: Actor) -> uuid.UUID:
    at = now()
    async with uow:
        auth = await authorize(uow, actor, cmd.case_id, at, for_change=False)
        _require_manager(auth)
        auth.case.check_open()
        institution = await uow.directory.institution(cmd.institution_id)
        if institution is None:
            raise InvalidInput.field(
                "institution_id", "Nie ma takiej instytucji w rejestrze.", "unknown_institution"
            )
        if not policy.may_join(institution.id, institution.sector, auth.consents, at):
            raise InvalidInput.field(
                "institution_id",
                "Ważna zgoda rodziny nie obejmuje tej instytucji ani jej sektora.",
                "outside_consent",
            )
        if any(
            m.institution_id == institution.id
            and m.state in (model.MemberState.INVITED, model.MemberState.ACTIVE)
            and (m.invited_username or None) == (cmd.username or None)
            for m in auth.team
        ):
            raise Conflict("Ta instytucja ma już zaproszenie lub członka w zespole.")
        member = model.TeamMember(
            id=uuid.uuid4(),
            case_id=auth.case.id,
            tenant=auth.case.tenant,
            institution_id=institution.id,
            sector=institution.sector,
            state=model.MemberState.INVITED,
            invited_at=at,
            invited_by=actor.username,
            function=cmd.function,
            invited_username=cmd.username,
        )
        await uow.team.add(member)
        await _log(
            uow, actor, auth, action="change", what="team.invite", purpose=cmd.purpose, at=at
        )
        await uow.commit()
        return member.id


async def reinvite_member(cmd: c.ReinviteMember, *, uow: UnitOfWork, actor: Actor) -> uuid.UUID:
    """A new invitation for the same institution, person and function as a member who left the
    team because the consent ended; the consent in force now must cover the institution (as for
    any invitation), and the specialist accepts again."""
    at = now()
    async with uow:
        auth = await authorize(uow, actor, cmd.case_id, at, for_change=False)
        _require_manager(auth)
        former = next((m for m in auth.team if m.id == cmd.member_id), None)
        if former is None:
            raise NotFound("Nie znaleziono członka zespołu.")
        if former.left_reason != model.LeftReason.CONSENT_ENDED:
            raise Conflict(
                "Ponownie zaprasza się tylko członka, którego dostęp zakończył się razem ze "
                "zgodą rodziny."
            )
    invite = c.InviteMember(
        cmd.case_id,
        former.institution_id,
        former.function,
        former.username or former.invited_username,
        cmd.purpose,
    )
    return await invite_member(invite, uow=uow, actor=actor)


@records_refusals("change", lambda cmd: "team.accept" if cmd.accept else "team.decline")
async def answer_invitation(cmd: c.AnswerInvitation, *, uow: UnitOfWork, actor: Actor) -> None:
    """Partner staff of the invited institution accept (or decline) while the consent covers it."""
    at = now()
    async with uow:
        member = await uow.team.get(cmd.member_id)
        attempt = _attempt.get()
        if member is not None and attempt is not None:
            attempt.case_id = member.case_id
        if (
            member is None
            or policy.PARTNER_STAFF_ROLE not in actor.roles
            or actor.institution_id != member.institution_id
        ):
            raise NotFound("Nie znaleziono zaproszenia.")
        case = await uow.cases.get(member.case_id)
        if case is not None:
            _noting(case)
        consents = await uow.consents.of_case(member.case_id)
        if case is None or not policy.may_join(member.institution_id, member.sector, consents, at):
            raise NotFound("Nie znaleziono zaproszenia.")
        case.check_open()
        if cmd.accept:
            member.accept(subject=actor.subject, username=actor.username, now=at)
        else:
            member.decline()
        access = Access(Relation.TEAM_MEMBER, frozenset(), actor.institution_id, member)
        await _log(
            uow, actor, Authorized(case, access, list(consents), []),
            action="change", what="team.accept" if cmd.accept else "team.decline",
            purpose=c.DEFAULT_PURPOSE, at=at,
        )  # fmt: skip
        await uow.commit()


@records_refusals("change", "team.leave")
async def remove_member(cmd: c.RemoveMember, *, uow: UnitOfWork, actor: Actor) -> None:
    """The case manager removes a member, or a member leaves the team."""
    at = now()
    async with uow:
        auth = await authorize(uow, actor, cmd.case_id, at)
        member = next((m for m in auth.team if m.id == cmd.member_id), None)
        if member is None:
            raise NotFound("Nie znaleziono członka zespołu.")
        if auth.access.relation != Relation.CASE_MANAGER and auth.access.member is not member:
            raise Forbidden("Członka zespołu usuwa prowadzący sprawę.")
        member.leave(at)
        await _log(uow, actor, auth, action="change", what="team.leave", purpose=cmd.purpose, at=at)
        await uow.commit()


# --- diagnosis and plan -----------------------------------------------------------------------


@records_refusals("change", "diagnosis")
async def add_diagnosis_entry(
    cmd: c.AddDiagnosisEntry, *, uow: UnitOfWork, actor: Actor
) -> uuid.UUID:
    """The case manager records either view; a team member whose institution the consent grants
    the diagnosis adds their specialist's view."""
    at = now()
    async with uow:
        auth = await authorize(uow, actor, cmd.case_id, at, for_change=False)
        auth.case.check_open()
        if auth.access.relation == Relation.RECEIVING_PARTNER:
            raise NotFound(NOT_FOUND)
        if not auth.access.allows(model.DataKind.DIAGNOSIS):
            raise Forbidden("Zgoda rodziny nie obejmuje diagnozy dla Twojej instytucji.")
        if (
            auth.access.relation == Relation.TEAM_MEMBER
            and cmd.perspective == model.Perspective.FAMILY
        ):
            raise Forbidden("Spojrzenie rodziny zapisuje prowadzący sprawę, razem z rodziną.")
        entry = model.DiagnosisEntry(
            id=uuid.uuid4(),
            case_id=auth.case.id,
            tenant=auth.case.tenant,
            area=cmd.area,
            perspective=cmd.perspective,
            text=cmd.text,
            author_username=actor.username,
            author_institution_id=auth.access.institution_id,
            recorded_at=at,
        )
        await uow.diagnosis.add(entry)
        await _log(uow, actor, auth, action="change", what="diagnosis", purpose=cmd.purpose, at=at)
        await uow.commit()
        return entry.id


@records_refusals("change", "plan")
async def update_plan(cmd: c.UpdatePlan, *, uow: UnitOfWork, actor: Actor) -> int:
    at = now()
    async with uow:
        auth = await authorize(uow, actor, cmd.case_id, at, for_change=False)
        _require_manager(auth)
        latest = await uow.plans.latest(auth.case.id)
        plan = model.PlanVersion.draw_up(
            case=auth.case,
            version=(latest.version if latest else 0) + 1,
            goals=cmd.goals,
            active_members={m.id for m in auth.team if m.state == model.MemberState.ACTIVE},
            created_by=actor.username,
            now=at,
        )
        await uow.plans.add(plan)
        await _log(uow, actor, auth, action="change", what="plan", purpose=cmd.purpose, at=at)
        await uow.commit()
        return plan.version


@records_refusals("change", "review.record")
async def record_review(cmd: c.RecordReview, *, uow: UnitOfWork, actor: Actor) -> uuid.UUID:
    """The case manager records a monitoring review of the current plan with the family."""
    at = now()
    async with uow:
        auth = await authorize(uow, actor, cmd.case_id, at, for_change=False)
        _require_manager(auth)
        review = model.MonitoringReview.conduct(
            case=auth.case,
            plan=await uow.plans.latest(auth.case.id),
            reviewed_on=cmd.reviewed_on,
            goals=cmd.goals,
            family_assessment=cmd.family_assessment,
            notes=cmd.notes,
            next_review_on=cmd.next_review_on,
            recorded_by=actor.username,
            now=at,
        )
        await uow.reviews.add(review)
        await _log(
            uow, actor, auth, action="change", what="review.record", purpose=cmd.purpose, at=at
        )
        await uow.commit()
        return review.id


# --- referrals --------------------------------------------------------------------------------


@records_refusals("change", "referral.create")
async def create_referral(cmd: c.CreateReferral, *, uow: UnitOfWork, actor: Actor) -> uuid.UUID:
    at = now()
    async with uow:
        auth = await authorize(uow, actor, cmd.case_id, at, for_change=False)
        _require_manager(auth)
        auth.case.check_open()
        offering = await uow.directory.offering(cmd.service_id)
        if (
            offering is None
            or offering.status != "published"
            or auth.case.tenant not in offering.tenants_served
        ):
            raise InvalidInput.field(
                "service_id",
                "Usługa nie jest opublikowana w koszyku usług tej gminy.",
                "not_published",
            )
        granted = policy.granted_kinds(
            offering.institution_id, offering.provider_sector, auth.consents, at
        )
        if model.DataKind.REFERRALS not in granted:
            raise InvalidInput.field(
                "service_id",
                "Ważna zgoda rodziny nie obejmuje skierowań do tej instytucji.",
                "outside_consent",
            )
        referral = model.Referral.create(
            send=cmd.send,
            by=actor.username,
            role=Relation.CASE_MANAGER.value,
            id=uuid.uuid4(),
            case_id=auth.case.id,
            tenant=auth.case.tenant,
            service_id=offering.service_id,
            institution_id=offering.institution_id,
            sector=offering.provider_sector,
            created_by=actor.username,
            created_at=at,
            note=cmd.note,
            capacity_status=offering.capacity_status,
            waiting_days=offering.waiting_days,
        )
        await uow.referrals.add(referral)
        await _log(
            uow, actor, auth, action="change", what="referral.create", purpose=cmd.purpose, at=at
        )
        await uow.commit()
        return referral.id


@records_refusals("change", lambda cmd: f"referral.{cmd.state.value}")
async def move_referral(
    cmd: c.MoveReferral, *, uow: UnitOfWork, actor: Actor
) -> model.ReferralState:
    at = now()
    async with uow:
        referral = await uow.referrals.get(cmd.referral_id)
        if referral is None:
            raise NotFound("Nie znaleziono skierowania.")
        auth = await authorize(uow, actor, referral.case_id, at, for_change=False)
        relation = auth.access.relation
        party = policy.referral_party(auth.access, referral.institution_id, referral.state)
        if party is None:
            raise NotFound("Nie znaleziono skierowania.")
        referral.move(
            cmd.state,
            party=party,
            by=actor.username,
            role=relation.value,
            now=at,
            reason_code=cmd.reason_code,
            reason=cmd.reason,
            outcome_code=cmd.outcome_code,
            outcome=cmd.outcome,
            institution_id=auth.access.institution_id,
        )
        await _log(
            uow, actor, auth, action="change", what=f"referral.{cmd.state.value}",
            purpose=cmd.purpose, at=at,
        )  # fmt: skip
        await uow.commit()
        return referral.state


# --- meetings ---------------------------------------------------------------------------------


@records_refusals("change", "meeting.schedule")
async def schedule_meeting(cmd: c.ScheduleMeeting, *, uow: UnitOfWork, actor: Actor) -> uuid.UUID:
    at = now()
    async with uow:
        auth = await authorize(uow, actor, cmd.case_id, at, for_change=False)
        _require_manager(auth)
        auth.case.check_open()
        meeting = model.Meeting.schedule(
            active_members={m.id for m in auth.team if m.state == model.MemberState.ACTIVE},
            id=uuid.uuid4(),
            case_id=auth.case.id,
            tenant=auth.case.tenant,
            kind=cmd.kind,
            starts_at=cmd.starts_at,
            participants=cmd.participants,
            agenda=cmd.agenda,
            scheduled_by=actor.username,
            place=cmd.place,
            online_url=cmd.online_url,
        )
        await uow.meetings.add(meeting)
        await _log(
            uow, actor, auth, action="change", what="meeting.schedule", purpose=cmd.purpose, at=at
        )
        await uow.commit()
        return meeting.id


@records_refusals("change", "meeting.held")
async def record_meeting_held(cmd: c.RecordMeetingHeld, *, uow: UnitOfWork, actor: Actor) -> None:
    at = now()
    async with uow:
        meeting = await uow.meetings.get(cmd.meeting_id)
        if meeting is None:
            raise NotFound("Nie znaleziono spotkania.")
        auth = await authorize(uow, actor, meeting.case_id, at, for_change=False)
        _require_manager(auth)
        auth.case.check_open()
        decisions = [{**d, "noted_by": actor.username} for d in cmd.decisions]
        meeting.hold(held_at=cmd.held_at, notes=cmd.notes, decisions=decisions)
        await _log(
            uow, actor, auth, action="change", what="meeting.held", purpose=cmd.purpose, at=at
        )
        await uow.commit()


# --- consent expiry (ADR 0037) ----------------------------------------------------------------

SYSTEM_SUBJECT = "system:consent-expiry"
EXPIRY_PURPOSE = "wygaśnięcie zgody rodziny"


async def apply_consent_expiry(
    case_id: uuid.UUID, *, uow: UnitOfWork, at: datetime | None = None
) -> tuple[int, int]:
    """Apply the expiry of the case's consents expired by now: what `withdraw_consent` does on a
    withdrawal (members leave, open referrals end in `withdrawn-consent`), then mark those
    consents applied. Reads never wait for this: the policy refuses an expired consent's share
    on the very next request. Returns (members who left, referrals ended)."""
    at = at or now()
    async with uow:
        await uow.cases.lock(case_id)
        case = await uow.cases.get(case_id)
        if case is None:
            return 0, 0
        consents = list(await uow.consents.of_case(case_id))
        expired = [
            x
            for x in consents
            if x.withdrawn_at is None
            and x.expiry_applied_at is None
            and x.valid_until is not None
            and x.valid_until <= at
        ]
        if not expired:
            return 0, 0
        left, ended = model.end_what_consent_no_longer_covers(
            consents=consents,
            team=list(await uow.team.of_case(case_id)),
            referrals=list(await uow.referrals.of_case(case_id)),
            now=at,
            reason=model.ReasonCode.CONSENT_EXPIRED,
        )
        for consent in expired:
            consent.expiry_applied_at = at
        if left or ended:
            await uow.access_log.record(
                AccessEntry(
                    case_id=case.id,
                    tenant=case.tenant,
                    at=at,
                    actor_subject=SYSTEM_SUBJECT,
                    actor_username="system",
                    actor_roles="",
                    relation="system",
                    institution_id=None,
                    action="change",
                    what="consent.expired",
                    purpose=EXPIRY_PURPOSE,
                )
            )
        await uow.commit()
        return len(left), len(ended)


async def sweep_expired_consents(
    new_uow: Callable[[], UnitOfWork], *, batch: int = 100
) -> tuple[int, int]:
    """One pass of the periodic sweep: every case with a consent expired and not yet applied,
    each in its own unit of work (one case's failure does not hold back the others)."""
    at = now()
    async with new_uow() as uow:
        case_ids = await uow.consents.cases_with_expiry_pending(at, batch)
    members = referrals = 0
    for case_id in case_ids:
        left, ended = await apply_consent_expiry(case_id, uow=new_uow(), at=at)
        members += left
        referrals += ended
    return members, referrals
