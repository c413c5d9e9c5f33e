"""The region's municipalities section."""

from __future__ import annotations

from evaluation.domain.disclosure import Count, Rate
from evaluation.domain.report import Section, Table
from evaluation.views.common import (
    _PUBLISHED,
    _Q,
    _case_months,
    _sum,
)
from evaluation.views.referrals import _by_tenant


async def _municipalities(q: _Q, tenants: list[str]) -> Section:
    section = Section("municipalities", "Gminy regionu")
    referrals = await _by_tenant(q)
    opened = dict(
        await q.rows(
            f"""
            SELECT tenant, {_sum("n")} FROM {_case_months(q)} f WHERE opened_in GROUP BY 1
            """,
        )
    )
    members = dict(
        await q.rows(
            """
            SELECT m.tenant, count(*) FROM ev_memberships m
            WHERE m.tenant = ANY(CAST(:tenants AS text[])) AND m.state IN ('informal', 'declared')
            GROUP BY 1
            """,
            tenants=tenants,
        )
    )
    offers = dict(
        await q.rows(
            f"""
            SELECT t.tenant, count(*)
            FROM unnest(CAST(:tenants AS text[])) AS t(tenant)
            JOIN ev_offerings o ON t.tenant = ANY(o.tenants) AND {_PUBLISHED}
            GROUP BY 1
            """,
            tenants=tenants,
        )
    )
    table = Table(
        "by_municipality",
        "Najważniejsze wskaźniki według gminy",
        ["Gmina", "Sprawy założone", "Skierowania", "Odsetek przyjętych (%)",
         "Aktywni członkowie partnerstwa", "Opublikowane oferty"],
    )  # fmt: skip
    for tenant in tenants:
        sent, acc, rej = referrals.get(tenant, (0, 0, 0, 0, 0, 0))[3:]
        table.add(
            tenant, tenant, Count(opened.get(tenant, 0)), Count(sent), Rate(acc, acc + rej),
            members.get(tenant, 0), offers.get(tenant, 0),
        )  # fmt: skip
    section.tables.append(table)
    return section
