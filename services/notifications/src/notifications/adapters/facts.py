"""The read model of cases the consent decision runs on (ADR 0036): each case's consents (one row
per institution or sector named, with the consent's kinds of data and validity), its team, its
referrals, its manager and its closing — loaded in one round trip for any number of cases."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from notifications.domain.entitlement import EPOCH, CaseFacts, Member, Referral, Scope

_FACTS = text(
    """
    SELECT q.id, c.tenant, c.closed_at, c.manager_user_id,
        (SELECT coalesce(json_agg(json_build_array(s.consent_id, s.institution_id, s.sector,
                 s.valid_until, s.withdrawn_at, s.data_kinds, s.given_at) ORDER BY s.id), '[]')
         FROM consent_scopes s WHERE s.case_id = q.id),
        (SELECT coalesce(json_agg(json_build_array(t.institution_id, t.user_id, t.left_at)),
                 '[]') FROM case_team t WHERE t.case_id = q.id),
        (SELECT coalesce(json_agg(json_build_array(r.referral_id, r.receiving_institution_id,
                 r.sending_institution_id)), '[]') FROM referrals r WHERE r.case_id = q.id)
    FROM unnest(CAST(:ids AS uuid[])) AS q(id) LEFT JOIN cases c ON c.case_id = q.id
    """
)
_SECTORS = text(
    "SELECT id, CASE WHEN CAST(:tenant AS text) = ANY(tenants) THEN sector END "
    "FROM institutions WHERE id = ANY(:ids)"
)


def _ts(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _uuid(value: Any) -> uuid.UUID | None:
    return uuid.UUID(value) if value else None


async def case_facts(
    session: AsyncSession, case_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, CaseFacts]:
    ids = sorted(set(case_ids))
    if not ids:
        return {}
    out: dict[uuid.UUID, CaseFacts] = {}
    for case_id, tenant, closed_at, manager, scopes, team, referrals in (
        await session.execute(_FACTS, {"ids": ids})
    ).all():
        out[case_id] = CaseFacts(
            case_id=case_id,
            tenant=tenant,
            closed_at=closed_at,
            manager_user_id=manager,
            scopes=tuple(
                Scope(
                    consent_id=uuid.UUID(s[0]),
                    institution_id=_uuid(s[1]),
                    sector=s[2],
                    valid_until=_ts(s[3]),
                    withdrawn_at=_ts(s[4]),
                    data_kinds=frozenset(s[5] or ()),
                    given_at=_ts(s[6]) or EPOCH,
                )
                for s in scopes
            ),
            team=tuple(Member(uuid.UUID(t[0]), t[1], _ts(t[2])) for t in team),
            referrals=tuple(
                Referral(uuid.UUID(r[0]), uuid.UUID(r[1]), _uuid(r[2])) for r in referrals
            ),
        )
    return out


async def one_case(session: AsyncSession, case_id: uuid.UUID) -> CaseFacts:
    return (await case_facts(session, [case_id]))[case_id]


async def sectors(
    session: AsyncSession, institution_ids: Iterable[uuid.UUID], tenant: str | None
) -> dict[uuid.UUID, str | None]:
    """Each institution's sector, counted only where it serves the case's municipality (a sector
    consent covers the institutions of that sector serving it)."""
    ids = sorted(set(institution_ids))
    if not ids:
        return {}
    rows = await session.execute(_SECTORS, {"ids": ids, "tenant": tenant})
    return {i: sector for i, sector in rows.all()}
