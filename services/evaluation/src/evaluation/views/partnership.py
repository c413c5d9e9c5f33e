"""The partnership section: members by sector, coordinators, meetings, attendance."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from evaluation.domain import labels as L
from evaluation.domain.report import Section, Table
from evaluation.views.common import _Q, _within

_Counts = dict[str, dict[str, int]]
_Coordinators = list[Any]


async def _partnership(q: _Q) -> Section:
    section = Section("partnership", "Partnerstwo")
    counts = await _membership_counts(q)
    section.tables.append(_members_by_sector(counts))
    coverage, covered = _recommended_coverage(counts)
    section.tables.append(coverage)
    coordinators, coord = await _coordinators(q)
    section.tables.append(coordinators)
    meetings, per_quarter = await _meetings(q)
    section.tables.append(meetings)
    section.tables.append(await _attendance(q))
    section.tables.insert(0, _summary(counts, covered, coord, per_quarter))
    return section


async def _membership_counts(q: _Q) -> _Counts:
    """Memberships by sector (the institution's, else the membership's) and state."""
    rows = await q.rows(
        f"""
        SELECT COALESCE(i.sector, m.sector) AS sector, m.state, count(*)
        FROM ev_memberships m LEFT JOIN ev_institutions i USING (institution_id)
        WHERE {q.scope("m.tenant")}
        GROUP BY 1, 2
        """
    )
    counts: _Counts = defaultdict(lambda: defaultdict(int))
    for sector, state, n in rows:
        counts[sector][state] = n
    return counts


def _members_by_sector(counts: _Counts) -> Table:
    by_sector = Table(
        "members_by_sector",
        "Instytucje w partnerstwie według sektora i stanu członkostwa",
        ["Sektor", *L.MEMBERSHIP_STATES.values(), "Aktywne razem"],
    )
    for code, name in L.SECTORS.items():
        c = counts[code]
        active = sum(c[s] for s in L.ACTIVE_STATES)
        by_sector.add(code, name, *(c[s] for s in L.MEMBERSHIP_STATES), active)
    return by_sector


def _recommended_coverage(counts: _Counts) -> tuple[Table, int]:
    """The table of the recommended sectors, and how many of them have an active member."""
    coverage = Table(
        "recommended_coverage",
        "Pokrycie sektorów zalecanych (edukacja, rynek pracy, wymiar sprawiedliwości, policja, "
        "ochrona zdrowia)",
        ["Sektor zalecany", "Aktywni członkowie", "Pokryty"],
    )
    covered = 0
    for code in L.RECOMMENDED_SECTORS:
        active = sum(counts[code][s] for s in L.ACTIVE_STATES)
        covered += active > 0
        coverage.add(code, L.sector(code), active, "tak" if active else "nie")
    return coverage, covered


async def _coordinators(q: _Q) -> tuple[Table, _Coordinators]:
    coord = await q.rows(
        f"""
        SELECT partnership_id, tenant, COALESCE(name, '(bez nazwy)'), coordinator_count
        FROM ev_partnerships WHERE {q.scope()} ORDER BY tenant, name
        """
    )
    coordinators = Table(
        "coordinators",
        "Koordynatorzy sieci w partnerstwach (zalecani co najmniej dwaj)",
        ["Partnerstwo", "Gmina", "Koordynatorzy"],
    )
    for pid, tenant, name, n in coord:
        coordinators.add(str(pid), name, tenant, n or 0)
    return coordinators, coord


async def _meetings(q: _Q) -> tuple[Table, list[Any]]:
    per_quarter = await q.rows(
        f"""
        SELECT to_char(held_at AT TIME ZONE 'Europe/Warsaw', 'YYYY-"Q"Q') AS quarter, count(*)
        FROM ev_meetings
        WHERE held_at IS NOT NULL AND NOT cancelled AND {q.scope()} AND {_within("held_at")}
        GROUP BY 1 ORDER BY 1
        """
    )
    meetings = Table(
        "meetings_per_quarter",
        "Spotkania partnerstwa odbyte w kwartałach",
        ["Kwartał", "Spotkania"],
    )
    for quarter, n in per_quarter:
        meetings.add(quarter, quarter, n)
    return meetings, per_quarter


async def _attendance(q: _Q) -> Table:
    attendance_rows = await q.rows(
        f"""
        WITH held AS (
            SELECT meeting_id, partnership_id FROM ev_meetings
            WHERE held_at IS NOT NULL AND NOT cancelled AND {q.scope()} AND {_within("held_at")}
        ), per_partnership AS (
            SELECT partnership_id, count(*) AS meetings FROM held GROUP BY partnership_id
        ), people AS (
            SELECT DISTINCT m.partnership_id, m.institution_id FROM ev_memberships m
            WHERE {q.scope("m.tenant")} AND m.state IN ('informal', 'declared')
            UNION
            SELECT h.partnership_id, a.institution_id
            FROM held h JOIN ev_meeting_attendance a USING (meeting_id)
        ), attended AS (
            SELECT h.partnership_id, a.institution_id, count(*) AS n
            FROM held h JOIN ev_meeting_attendance a USING (meeting_id)
            GROUP BY 1, 2
        )
        SELECT p.institution_id, COALESCE(i.name, p.institution_id::text), i.sector,
               COALESCE(at.n, 0) AS attended, COALESCE(pp.meetings, 0) AS meetings
        FROM people p
        LEFT JOIN attended at USING (partnership_id, institution_id)
        LEFT JOIN ev_institutions i USING (institution_id)
        LEFT JOIN per_partnership pp USING (partnership_id)
        ORDER BY 2
        """
    )
    attendance = Table(
        "attendance",
        "Obecność instytucji na spotkaniach partnerstwa",
        ["Instytucja", "Sektor", "Obecności", "Spotkania", "Frekwencja (%)"],
    )
    for iid, name, sector, attended, held in attendance_rows:
        share = round(100.0 * attended / held, 1) if held else None
        attendance.add(str(iid), name, L.sector(sector), attended, held, share)
    return attendance


def _summary(counts: _Counts, covered: int, coord: _Coordinators, per_quarter: list[Any]) -> Table:
    declared = sum(c["declared"] for c in counts.values())
    informal = sum(c["informal"] for c in counts.values())
    meetings_held = sum(n for _, n in per_quarter)
    summary = Table("partnership_summary", "Partnerstwo w liczbach", ["Wskaźnik", "Wartość"])
    summary.chart = "none"
    summary.add("declared", "Członkowie z deklaracją przystąpienia", declared)
    summary.add("informal", "Członkowie uczestniczący nieformalnie", informal)
    summary.add("recommended_covered", "Pokryte sektory zalecane (z 5)", covered)
    summary.add("coordinators", "Koordynatorzy sieci", sum(n or 0 for *_, n in coord))
    summary.add(
        "understaffed",
        "Partnerstwa z mniej niż dwoma koordynatorami",
        sum(1 for *_, n in coord if (n or 0) < 2),
    )
    summary.add("meetings_held", "Spotkania partnerstwa odbyte", meetings_held)
    return summary
