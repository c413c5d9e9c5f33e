"""Repositories over the mapped domain classes, the read models and the access log."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import fields
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import JSON, and_, column, func, insert, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from cases.adapters import orm
from cases.adapters.sealing import TextVault, open_row, vault_of
from cases.domain import model
from cases.service.ports import AccessEntry, Institution, Offering
from shared.db.uow import Tracked

T = TypeVar("T")


class SqlRepository(Generic[T]):
    entity: type[Any]

    def __init__(self, session: AsyncSession, seen: Tracked[Any]) -> None:
        self.session = session
        self.seen = seen

    async def get(self, id: uuid.UUID) -> T | None:
        item: T | None = await self.session.get(self.entity, id)
        if item is not None:
            self.seen.add(item)
        return item

    async def add(self, item: T) -> None:
        """Add and insert at once, so rows reach the database in the order they were added."""
        self.session.add(item)
        self.seen.add(item)
        await self.session.flush()

    async def of_case(self, case_id: uuid.UUID) -> Sequence[T]:
        rows = await self.session.execute(select(self.entity).where(self.entity.case_id == case_id))
        items: Sequence[T] = rows.scalars().all()
        for item in items:
            self.seen.add(item)
        return items


# The consent policy's inputs for a read in one round trip (ADR 0021); $1 is the case's id.
SNAPSHOT = """
    SELECT row_to_json(c) AS "case",
           (SELECT coalesce(json_agg(x), '[]'::json) FROM consents x WHERE x.case_id = c.id)
               AS consents,
           (SELECT coalesce(json_agg(t), '[]'::json) FROM team_members t WHERE t.case_id = c.id)
               AS team
    FROM cases c WHERE c.id = $1
    """
SNAPSHOT_SQL = text(SNAPSHOT.replace("$1", ":id")).columns(
    column("case", JSON), column("consents", JSON), column("team", JSON)
)


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def case_from_json(d: dict[str, Any], vault: TextVault) -> model.Case:
    d = open_row(vault, "cases", d)
    return model.Case(
        id=uuid.UUID(d["id"]),
        tenant=d["tenant"],
        manager_subject=d["manager_subject"],
        manager_username=d["manager_username"],
        opened_at=datetime.fromisoformat(d["opened_at"]),
        state=model.CaseState(d["state"]),
        closed_at=_dt(d["closed_at"]),
        close_reason=model.CloseReason(d["close_reason"]) if d["close_reason"] else None,
        close_note=d["close_note"],
        family_size=d["family_size"],
    )


def consent_from_json(d: dict[str, Any], vault: TextVault) -> model.Consent:
    d = open_row(vault, "consents", d)
    return model.Consent(
        id=uuid.UUID(d["id"]),
        case_id=uuid.UUID(d["case_id"]),
        tenant=d["tenant"],
        given_by_member_id=uuid.UUID(d["given_by_member_id"]),
        given_at=datetime.fromisoformat(d["given_at"]),
        method=model.ConsentMethod(d["method"]),
        institution_ids=[uuid.UUID(i) for i in d["institution_ids"]],
        sectors=list(d["sectors"]),
        data_kinds=[model.DataKind(k) for k in d["data_kinds"]],
        recorded_by=d["recorded_by"],
        recorded_at=datetime.fromisoformat(d["recorded_at"]),
        valid_until=_dt(d["valid_until"]),
        withdrawn_at=_dt(d["withdrawn_at"]),
        withdrawn_by=d["withdrawn_by"],
        withdrawal_note=d["withdrawal_note"],
        expiry_applied_at=_dt(d.get("expiry_applied_at")),
    )


def member_from_json(d: dict[str, Any]) -> model.TeamMember:
    return model.TeamMember(
        id=uuid.UUID(d["id"]),
        case_id=uuid.UUID(d["case_id"]),
        tenant=d["tenant"],
        institution_id=uuid.UUID(d["institution_id"]),
        sector=d["sector"],
        state=model.MemberState(d["state"]),
        invited_at=datetime.fromisoformat(d["invited_at"]),
        invited_by=d["invited_by"],
        function=d["function"],
        invited_username=d["invited_username"],
        user_subject=d["user_subject"],
        username=d["username"],
        joined_at=_dt(d["joined_at"]),
        left_at=_dt(d["left_at"]),
        left_reason=model.LeftReason(d["left_reason"]) if d.get("left_reason") else None,
    )


def snapshot_from_row(
    row: Sequence[Any], vault: TextVault
) -> tuple[model.Case, list[model.Consent], list[model.TeamMember]]:
    """The objects of a SNAPSHOT row (case, consents, team), detached, their notes opened."""
    return (
        case_from_json(row[0], vault),
        [consent_from_json(x, vault) for x in row[1]],
        [member_from_json(t) for t in row[2]],
    )


class CaseRepository(SqlRepository[model.Case]):
    entity = model.Case

    async def snapshot(
        self, case_id: uuid.UUID
    ) -> tuple[model.Case, list[model.Consent], list[model.TeamMember]] | None:
        """The case with its consents and team in one round trip, as detached objects: the
        inputs of the consent policy for a read (never changed, never flushed)."""
        row = (await self.session.execute(SNAPSHOT_SQL, {"id": case_id})).first()
        return None if row is None else snapshot_from_row(row, vault_of(self.session.sync_session))

    async def lock(self, case_id: uuid.UUID) -> None:
        """Hold the case's row until the transaction ends: a withdrawal and the expiry sweep
        apply a consent's end to the team and referrals one at a time."""
        c = orm.cases.c
        await self.session.execute(select(c.id).where(c.id == case_id).with_for_update())


class ReassignmentRepository(SqlRepository[model.CaseReassignment]):
    entity = model.CaseReassignment


class FamilyRepository(SqlRepository[model.FamilyMember]):
    entity = model.FamilyMember

    async def delete(self, item: model.FamilyMember) -> None:
        await self.session.delete(item)
        await self.session.flush()

    async def cases_with_pesel(
        self, tenants: frozenset[str], hashes: list[tuple[str, str]]
    ) -> list[uuid.UUID]:
        """Cases holding the number, by its hash under any key the vault knows (each hash is
        matched with its own key id; numbers stored before key ids have none)."""
        f = orm.family_members.c
        matches = [
            and_(f.pesel_hash == h, or_(f.pesel_hash_key_id == kid, f.pesel_hash_key_id.is_(None)))
            for kid, h in hashes
        ]
        rows = await self.session.execute(
            select(f.case_id).where(f.tenant.in_(tenants), or_(*matches)).distinct()
        )
        return list(rows.scalars())


class ConsentRepository(SqlRepository[model.Consent]):
    entity = model.Consent

    async def cases_with_expiry_pending(self, now: datetime, limit: int) -> list[uuid.UUID]:
        """Cases with a consent expired by `now` whose consequences were not applied yet."""
        x = orm.consents.c
        rows = await self.session.execute(
            select(x.case_id)
            .where(
                x.valid_until <= now,
                x.withdrawn_at.is_(None),
                x.expiry_applied_at.is_(None),
            )
            .group_by(x.case_id)
            .order_by(func.min(x.valid_until))
            .limit(limit)
        )
        return list(rows.scalars())


class TeamRepository(SqlRepository[model.TeamMember]):
    entity = model.TeamMember


class DiagnosisRepository(SqlRepository[model.DiagnosisEntry]):
    entity = model.DiagnosisEntry


class PlanRepository(SqlRepository[model.PlanVersion]):
    entity = model.PlanVersion

    async def latest(self, case_id: uuid.UUID) -> model.PlanVersion | None:
        p = orm.plan_versions.c
        rows = await self.session.execute(
            select(model.PlanVersion)
            .where(p.case_id == case_id)
            .order_by(p.version.desc())
            .limit(1)
        )
        return rows.scalar_one_or_none()


class ReviewRepository(SqlRepository[model.MonitoringReview]):
    entity = model.MonitoringReview


class ReferralRepository(SqlRepository[model.Referral]):
    entity = model.Referral

    async def receiving_institutions(self, case_id: uuid.UUID) -> set[uuid.UUID]:
        r = orm.referrals.c
        rows = await self.session.execute(
            select(r.institution_id)
            .where(r.case_id == case_id, r.state != model.ReferralState.DRAFT.value)
            .distinct()
        )
        return set(rows.scalars())

    async def cases_sent_to(self, institution_id: uuid.UUID) -> list[uuid.UUID]:
        r = orm.referrals.c
        rows = await self.session.execute(
            select(r.case_id)
            .where(r.institution_id == institution_id, r.state != model.ReferralState.DRAFT.value)
            .group_by(r.case_id)
            .order_by(func.max(r.updated_at).desc())
            .limit(500)
        )
        return list(rows.scalars())


class MeetingRepository(SqlRepository[model.Meeting]):
    entity = model.Meeting


class SqlDirectory:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def institution(self, id: uuid.UUID) -> Institution | None:
        i = orm.institutions.c
        row = (
            await self.session.execute(
                select(i.id, i.name, i.sector, i.tenants_served).where(i.id == id)
            )
        ).first()
        return Institution(*row) if row else None

    async def sectors(self, ids: Sequence[uuid.UUID]) -> Mapping[uuid.UUID, str | None]:
        if not ids:
            return {}
        i = orm.institutions.c
        rows = await self.session.execute(select(i.id, i.sector).where(i.id.in_(list(ids))))
        return {row[0]: row[1] for row in rows}

    async def offering(self, service_id: uuid.UUID) -> Offering | None:
        o = orm.offerings.c
        row = (
            await self.session.execute(
                select(
                    o.service_id,
                    o.institution_id,
                    o.provider_sector,
                    o.title,
                    o.status,
                    o.tenants_served,
                    o.capacity_status,
                    o.waiting_days,
                ).where(o.service_id == service_id)
            )
        ).first()
        return Offering(*row) if row else None


# One compiled statement for every entry (a `.values(...)` per call was compiled each time).
_ACCESS_INSERT = insert(orm.access_log)
_ACCESS_FIELDS = tuple(f.name for f in fields(AccessEntry))


class SqlAccessLog:
    """Entries are written when the unit of work commits, all in one statement: with the change
    in its transaction, or — for a read on the autocommit engine — after the data was fetched
    and before it is returned, so a read that failed half-way leaves no entry behind."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.pending: list[dict[str, object]] = []

    async def record(self, entry: AccessEntry) -> None:
        self.pending.append({name: getattr(entry, name) for name in _ACCESS_FIELDS})

    async def flush(self) -> None:
        # In the order of their cases, so two transactions logging several cases (incoming
        # referrals) take the cases' chain locks in one order (ADR 0029).
        rows, self.pending = sorted(self.pending, key=lambda r: str(r["case_id"])), []
        if len(rows) == 1:
            await self.session.execute(_ACCESS_INSERT, rows[0])
        elif rows:
            await self.session.execute(_ACCESS_INSERT, rows)
