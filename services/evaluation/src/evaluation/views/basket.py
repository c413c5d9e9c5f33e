"""The basket section, and the municipalities and areas without an offering it reads."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from evaluation.domain import labels as L
from evaluation.domain.report import Section, Table
from evaluation.views.common import _PUBLISHED, _Q, FRESH_DAYS


async def _tenants(q: _Q) -> list[str]:
    if q.tenant:
        return [q.tenant]
    # The tenants of the cases by a walk of their index, one probe per municipality, rather
    # than reading every case.
    rows = await q.rows(
        """
        WITH RECURSIVE case_tenants AS (
            (SELECT tenant FROM ev_cases ORDER BY tenant LIMIT 1)
            UNION ALL
            SELECT (SELECT c.tenant FROM ev_cases c WHERE c.tenant > ct.tenant
                    ORDER BY c.tenant LIMIT 1)
            FROM case_tenants ct WHERE ct.tenant IS NOT NULL
        )
        SELECT tenant FROM ev_memberships UNION SELECT tenant FROM ev_partnerships
        UNION SELECT unnest(tenants) FROM ev_offerings
        UNION SELECT tenant FROM case_tenants WHERE tenant IS NOT NULL
        ORDER BY 1
        """
    )
    return [r[0] for r in rows if r[0]]


async def _missing_areas(q: _Q, tenants: list[str]) -> dict[str, list[str]]:
    rows = await q.rows(
        f"""
        SELECT DISTINCT t, o.area
        FROM ev_offerings o, unnest(o.tenants) AS t
        WHERE {_PUBLISHED} AND t = ANY(CAST(:tenants AS text[]))
        """,
        tenants=tenants,
    )
    present: dict[str, set[str]] = defaultdict(set)
    for tenant, area in rows:
        present[tenant].add(area)
    return {t: [a for a in L.AREAS if a not in present[t]] for t in tenants}


async def _basket(q: _Q, as_of: date, missing: dict[str, list[str]]) -> Section:
    section = Section("basket", "Lokalny Koszyk Usług")
    statuses = await _statuses(q)
    fresh = await _freshness(q, as_of)
    area_table, category_table, sector_table, capacity_table = await _offering_tables(q)
    missing_table = _missing_table(missing)
    summary = _summary(q, statuses, fresh, missing)
    section.tables += [
        summary, area_table, category_table, sector_table, capacity_table, missing_table
    ]  # fmt: skip
    return section


async def _statuses(q: _Q) -> dict[str, int]:
    """The offerings with a snapshot by their status."""
    statuses = dict(
        await q.rows(
            f"""
            SELECT o.status, count(*) FROM ev_offerings o
            WHERE o.snapshot_version IS NOT NULL AND {q.offering_scope} GROUP BY 1
            """
        )
    )
    return statuses


async def _freshness(q: _Q, as_of: date) -> Any:
    """The published offerings verified in the last FRESH_DAYS days, and those without capacity."""
    fresh = await q.one(
        f"""
        SELECT count(*) FILTER (WHERE o.last_verified_on >= CAST(:since AS date)),
               count(*) FILTER (WHERE o.capacity_status = 'no_capacity')
        FROM ev_offerings o WHERE {_PUBLISHED} AND {q.offering_scope}
        """,
        since=as_of - timedelta(days=FRESH_DAYS),
    )
    return fresh


def _grouped(q: _Q, column: str) -> str:
    return f"""
        SELECT {column}, count(*) FROM ev_offerings o
        WHERE {_PUBLISHED} AND {q.offering_scope} GROUP BY {column} ORDER BY {column}
    """


async def _offering_tables(q: _Q) -> tuple[Table, Table, Table, Table]:
    """The published offerings by area, by category, by the provider's sector, by capacity."""
    by_area = dict(await q.rows(_grouped(q, "o.area")))
    area_table = Table(
        "offerings_by_area",
        "Opublikowane oferty w 14 obszarach usług społecznych",
        ["Obszar", "Oferty"],
    )
    for code in L.AREAS:
        area_table.add(code, L.area(code), by_area.get(code, 0))

    category_table = Table(
        "offerings_by_category",
        "Opublikowane oferty według kategorii",
        ["Obszar", "Kategoria", "Oferty"],
    )
    for area, category, n in await q.rows(
        f"""
        SELECT o.area, o.category, count(*) FROM ev_offerings o
        WHERE {_PUBLISHED} AND {q.offering_scope} GROUP BY 1, 2 ORDER BY 1, 2
        """
    ):
        category_table.add(f"{area}/{category}", L.area(area), category, n)

    sector_table = Table(
        "offerings_by_sector",
        "Opublikowane oferty według sektora realizatora",
        ["Sektor", "Oferty"],
    )
    for sector, n in await q.rows(_grouped(q, "o.provider_sector")):
        sector_table.add(sector, L.sector(sector), n)

    capacity = dict(await q.rows(_grouped(q, "o.capacity_status")))
    capacity_table = Table(
        "capacity", "Dostępność miejsc w opublikowanych ofertach", ["Dostępność", "Oferty"]
    )
    for code, name in L.CAPACITY.items():
        capacity_table.add(code, name, capacity.get(code, 0))

    return area_table, category_table, sector_table, capacity_table


def _missing_table(missing: dict[str, list[str]]) -> Table:
    missing_table = Table(
        "missing_areas",
        "Obszary bez żadnej opublikowanej oferty w gminie",
        ["Gmina", "Obszar bez oferty"],
        chart="none",
    )
    for tenant, areas in missing.items():
        for code in areas:
            missing_table.add(f"{tenant}/{code}", tenant, L.area(code))

    return missing_table


def _summary(q: _Q, statuses: dict[str, int], fresh: Any, missing: dict[str, list[str]]) -> Table:
    published = statuses.get("published", 0)
    summary = Table("basket_summary", "Koszyk w liczbach", ["Wskaźnik", "Wartość"], chart="none")
    for code, name in L.OFFERING_STATUSES.items():
        summary.add(f"status_{code}", f"Oferty – {name.lower()}", statuses.get(code, 0))
    summary.add(
        "verified_90", f"Opublikowane zweryfikowane w ostatnich {FRESH_DAYS} dniach", fresh[0]
    )
    summary.add(
        "verified_90_share",
        f"Odsetek zweryfikowanych w ostatnich {FRESH_DAYS} dniach (%)",
        round(100.0 * fresh[0] / published, 1) if published else None,
    )
    summary.add("no_capacity", "Opublikowane bez wolnych miejsc", fresh[1])
    if q.tenant:
        summary.add(
            "areas_covered",
            "Obszary z co najmniej jedną ofertą (z 14)",
            14 - len(missing[q.tenant]),
        )
    return summary
