"""Read queries: the monitoring view and the evaluation report, computed from the read models.

Aggregates are computed here from per-object rows, for one municipality or for the region; the
figures about referrals and cases read whole months from the monthly summaries that the database
recomputes from those rows (never counters bumped by events, ADR 0046). Figures about cases and
referrals leave as `Count`/`Rate`/`Stat`, to be disclosed by `evaluation.domain.disclosure` only.

Flows (cases opened, referrals sent, meetings held…) are counted within the period; referral
figures follow the cohort of referrals sent in the period. States (memberships, coordinators, the
basket) are the current ones: the read models keep each object's latest state.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from evaluation.domain import labels as L
from evaluation.domain.periods import Period
from evaluation.domain.report import Report, Section
from evaluation.views.basket import _basket, _missing_areas, _tenants
from evaluation.views.cases import _cases
from evaluation.views.common import _Q, EPOCH, FRESH_DAYS, _whole_months
from evaluation.views.durations import _days, _percentiles
from evaluation.views.gaps import _gaps
from evaluation.views.municipalities import _municipalities
from evaluation.views.partnership import _partnership
from evaluation.views.referrals import _referrals
from evaluation.views.relations import relations
from evaluation.views.trend import _trend
from shared.clock import WARSAW

# Callers use `views.report`, `views.monitoring`; the tests also reach `_Q` and `_percentiles`.
__all__ = [
    "EPOCH",
    "FRESH_DAYS",
    "_Q",
    "_percentiles",
    "build",
    "monitoring",
    "relations",
    "report",
]


# --- the two entry points ------------------------------------------------------------------------


async def build(
    session: AsyncSession,
    tenant: str | None,
    *,
    start: datetime,
    end: datetime,
    as_of: date,
    title: str,
    period: Period | None,
    trend: list[Period],
    now: datetime,
) -> Report:
    q = _Q(session, tenant, start, end)
    await session.execute(_CUSTOM_PLANS)
    q.params |= await _whole_months(q)
    tenants = await _tenants(q)
    missing = await _missing_areas(q, tenants)
    await _days(q)  # read by both lanes below
    # Two lanes of sections at once, on two connections (the largest sections, cases and
    # referrals, take about a third of the time each); the second lane computes the results that
    # only its own sections share.
    async with _fork(q) as other, asyncio.TaskGroup() as lanes:
        first = lanes.create_task(_first_lane(q, as_of, missing, trend))
        second = lanes.create_task(_second_lane(other, missing, tenants))
    partnership, basket, cases, trend_section = first.result()
    report = Report(
        title=title,
        scope=tenant or "region",
        scope_label=L.scope_label(tenant),
        period=period.code if period else None,
        period_label=period.label if period else f"stan na {as_of.isoformat()}",
        generated_at=now,
    )
    report.sections += [partnership, basket, cases, *second.result(), trend_section]
    report.relations = relations(report, period)
    return report


_CUSTOM_PLANS = text("SET plan_cache_mode = force_custom_plan")


@contextlib.asynccontextmanager
async def _fork(q: _Q) -> AsyncIterator[_Q]:
    """The same report's parameters and shared results on a second connection of the same
    engine. Each statement reads its own snapshot either way (READ COMMITTED), as before."""
    async with AsyncSession(q.session.bind) as session:
        await session.execute(_CUSTOM_PLANS)
        other = _Q(session, q.tenant, q.params["start"], q.params["end"])
        other.params = q.params
        other.shared = q.shared
        yield other


async def _first_lane(
    q: _Q, as_of: date, missing: dict[str, list[str]], trend: list[Period]
) -> tuple[Section, Section, Section, Section]:
    return (
        await _partnership(q),
        await _basket(q, as_of, missing),
        await _cases(q),
        await _trend(q, trend),
    )


async def _second_lane(q: _Q, missing: dict[str, list[str]], tenants: list[str]) -> list[Section]:
    sections = [await _referrals(q), await _gaps(q, missing)]
    if q.tenant is None:
        sections.append(await _municipalities(q, tenants))
    return sections


async def monitoring(session: AsyncSession, tenant: str | None, now: datetime) -> Report:
    """Everything up to now; the trend over the last six months."""
    # The month and the date as in Poland: at 23:30 on 31 December there it is already
    # the new year nowhere but in UTC it is still the old one (ADR 0015).
    this_month = Period.parse(now.astimezone(WARSAW).strftime("%Y-%m"))
    return await build(
        session,
        tenant,
        start=EPOCH,
        end=now,
        as_of=now.astimezone(WARSAW).date(),
        title="Monitoring współpracy",
        period=None,
        trend=this_month.trailing(6),
        now=now,
    )


async def report(
    session: AsyncSession, tenant: str | None, period: Period, now: datetime
) -> Report:
    """An evaluation report for a period; the trend over it and the three periods before."""
    return await build(
        session,
        tenant,
        start=period.start,
        end=period.end,
        as_of=min(now.astimezone(WARSAW).date(), period.end_date - timedelta(days=1)),
        title=f"Raport ewaluacyjny – {period.label}",
        period=period,
        trend=period.trailing(4),
        now=now,
    )
