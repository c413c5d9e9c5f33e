"""The network gaps section."""

from __future__ import annotations

from evaluation.domain import labels as L
from evaluation.domain.disclosure import Count
from evaluation.domain.report import Section, Table
from evaluation.views.common import (
    _PUBLISHED,
    _Q,
)
from evaluation.views.referrals import _by_offering, _by_tenant


async def _gaps(q: _Q, missing: dict[str, list[str]]) -> Section:
    section = Section("gaps", "Luki w sieci usług (do diagnozy potrzeb i potencjału)")
    per_tenant = await _by_tenant(q)
    full_offerings = dict(
        await q.rows(
            f"""
            SELECT t, count(*) FROM ev_offerings o, unnest(o.tenants) AS t
            WHERE {_PUBLISHED} AND o.capacity_status = 'no_capacity'
              AND t = ANY(CAST(:tenants AS text[]))
            GROUP BY 1
            """,
            tenants=list(missing),
        )
    )
    table = Table(
        "gaps_by_municipality",
        "Potrzeby, których koszyk nie zaspokaja – według gminy",
        [
            "Gmina",
            "Odrzucone: niespełnione kryteria",
            "Odrzucone lub nieudane: brak miejsc",
            "Skierowania do usług bez miejsc",
            "Oferty bez wolnych miejsc",
            "Obszary bez oferty",
            "Brakujące obszary",
        ],
        chart="none",
    )
    for tenant, areas in missing.items():
        nn, cap, to_full = per_tenant.get(tenant, (0, 0, 0))[:3]
        table.add(
            tenant, tenant, Count(nn), Count(cap), Count(to_full),
            full_offerings.get(tenant, 0), len(areas), ", ".join(L.area(a) for a in areas),
        )  # fmt: skip
    section.tables.append(table)

    by_area = Table(
        "gaps_by_area",
        "Potrzeby, których koszyk nie zaspokaja – według obszaru usługi",
        [
            "Obszar",
            "Odrzucone: niespełnione kryteria",
            "Brak miejsc",
            "Skierowania do usług bez miejsc",
        ],
    )
    rows = (await _by_offering(q))["area"]
    for code in L.AREAS:
        nn, cap, to_full = rows.get(code, (0, 0, 0, 0, 0, 0))[3:]
        by_area.add(code, L.area(code), Count(nn), Count(cap), Count(to_full))
    section.tables.append(by_area)
    return section
