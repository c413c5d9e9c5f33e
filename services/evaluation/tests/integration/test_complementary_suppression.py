"""Aggregates never expose a family (ADR 0047): every subtraction a reader could try, on every
view and export of a realistic region, for a municipality and for the region.

A generated region (tests/realistic.py: a town, a rural municipality and a small one, with many
small cells) is fed to a service of its own. For each view the report is also built directly, so
the test knows the true counts and the relations between the cells (which columns sum to which
figure, which share is computed from which counts). Each output — the JSON view and the CSV, XLSX
and PDF exports (the PDF read back with pdftotext) — is parsed back into cells, and then, for each
line a cell belongs to (a row, a column, a total, a breakdown summing to a figure of a summary),
the test subtracts the visible cells from the total: no count of 1 or 2 may come out. It also
solves all the lines at once with the markers' bounds (`suppression.audit`, over the cells as the
output shows them), and checks that shares computed from hidden counts are hidden as shares."""

from __future__ import annotations

import asyncio
import csv
import importlib.util
import io
import random
import re
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import nats
import pytest
from openpyxl import load_workbook

from evaluation import views
from evaluation.adapters.exports import text_value
from evaluation.bootstrap import bootstrap
from evaluation.config import EvaluationSettings
from evaluation.domain.disclosure import (
    COMPLEMENTARY,
    NOT_SHOWN,
    SUPPRESSED,
    Count,
    Rate,
)
from evaluation.domain.periods import Period
from evaluation.domain.report import Report
from evaluation.domain.suppression import Kind, Line, Ref, audit
from shared.messaging import ConsumerStats
from shared.testing.plugin import serve
from shared.testing.servers import NatsServer


def _load(name: str, file: str) -> ModuleType:
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).parents[1] / file)
        assert spec
        assert spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


realistic_history = _load("evaluation_tests_realistic", "realistic.py")
TOWN, SMALL = realistic_history.TOWN, realistic_history.SMALL
Q3 = Period.parse("2026-Q3")


@dataclass
class Service:
    client: httpx.AsyncClient
    runtime: Any
    tokens: Any

    async def get(self, user: str, url: str, **params: Any) -> httpx.Response:
        headers = await self.tokens.headers(user)
        return await self.client.get(url, params=params, headers=headers)


@pytest.fixture(scope="session")
async def region(databases, issuer, tokens, tmp_path_factory) -> AsyncIterator[Service]:
    """The service with the generated region applied (a NATS server and a database of its own)."""
    events = list(realistic_history.build(date.today()))
    random.Random(11).shuffle(events)
    server = NatsServer(tmp_path_factory.mktemp("eval-realistic-nats")).start()
    settings = EvaluationSettings(
        database_url=await databases.create("evaluation"),
        nats_url=server.url,
        oidc_issuer=issuer.issuer_url,
        db_pool_size=4,
    )
    app, runtime, stats = bootstrap(settings)
    try:
        async with serve(app, runtime) as client:
            nc = await nats.connect(server.url)
            js = nc.jetstream()
            acks = [
                await js.publish_async(
                    e.type, e.model_dump_json().encode(), headers={"Nats-Msg-Id": str(e.id)}
                )
                for e in events
            ]
            await asyncio.gather(*acks)
            await nc.close()

            def seen(s: dict[str, ConsumerStats]) -> int:
                return sum(x.applied + x.duplicates for x in s.values())

            async with asyncio.timeout(60):
                while seen(stats) < len(events):
                    await asyncio.sleep(0.05)
            yield Service(client, runtime, tokens)
    finally:
        server.stop()


# --- the views checked: (user, query) → the scope the report is about --------------------------

VIEWS = {
    "municipality-monitoring": ("coord-a", {}, TOWN),
    "municipality-report": ("coord-a", {"period": Q3.code}, TOWN),
    "small-municipality-report": ("analyst", {"tenant": SMALL, "period": Q3.code}, SMALL),
    "region-monitoring": ("analyst", {}, None),
    "region-report": ("analyst", {"period": Q3.code}, None),
}
FORMATS = ("json", "csv", "xlsx", "pdf")


async def _truth(service: Service, query: dict[str, Any], scope: str | None) -> Report:
    async with service.runtime.sessions() as session:
        if "period" in query:
            return await views.report(session, scope, Period.parse(query["period"]), _now())
        return await views.monitoring(session, scope, _now())


def _now() -> datetime:
    return datetime.now(UTC)


# --- reading each output back into cells ---------------------------------------------------------

Shown = dict[Ref, Any]


def _layout(report: Report) -> list[tuple[str, str, list[str], int]]:
    """(section title, table key, row keys, column count) of every table, in output order."""
    return [
        (s.title, t.key, list(t.row_keys), len(t.columns))
        for s in report.sections
        for t in s.tables
    ]


def _number(text: str) -> Any:
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    if re.fullmatch(r"-?\d+,\d", text):
        return float(text.replace(",", "."))
    return text if text else None


def _from_json(body: dict[str, Any]) -> Shown:
    shown: Shown = {}
    for section in body["sections"]:
        for t in section["tables"]:
            for key, row in zip(t["row_keys"], t["rows"], strict=True):
                for col, v in enumerate(row):
                    shown[(t["key"], key, col)] = v
    return shown


def _from_csv(content: bytes, report: Report) -> Shown:
    lines = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
    shown: Shown = {}
    i = 0
    for section, key, row_keys, _ in _layout(report):
        table = report.table(key)
        assert table is not None
        while lines[i] != [f"{section} – {table.title}"]:
            i += 1
        assert lines[i + 1] == table.columns
        for r, row_key in enumerate(row_keys):
            for col, text in enumerate(lines[i + 2 + r]):
                shown[(key, row_key, col)] = _number(text)
        i += 2 + len(row_keys)
    return shown


def _from_xlsx(content: bytes, report: Report) -> Shown:
    book = load_workbook(io.BytesIO(content))
    shown: Shown = {}
    sheets = iter(book.sheetnames[1:])  # after "Informacje", one sheet per section
    for section in report.sections:
        rows = [[c.value for c in row] for row in book[next(sheets)].iter_rows()]
        i = 0
        for table in section.tables:
            while not rows[i] or rows[i][0] != table.title:
                i += 1
            assert rows[i + 1][: len(table.columns)] == table.columns
            for r, row_key in enumerate(table.row_keys):
                for col, v in enumerate(rows[i + 2 + r][: len(table.columns)]):
                    shown[(table.key, row_key, col)] = v
            i += 2 + len(table.row_keys)
    return shown


_VALUE = re.compile(
    rf"{re.escape(SUPPRESSED)}|{re.escape(COMPLEMENTARY)}|{NOT_SHOWN}|-?\d+(?:,\d)?"
)


def _from_pdf(content: bytes, report: Report, tmp_path: Path) -> Shown:
    """The PDF as pdftotext reads it in content order (-raw): each table's title, its header,
    then its rows cell by cell, left to right; the counts and shares of a row are the values
    that follow its label, up to the next row's label (the chart under a table starts with
    "Wykres:")."""
    path = tmp_path / "view.pdf"
    path.write_bytes(content)
    out = subprocess.run(
        ["pdftotext", "-raw", "-enc", "UTF-8", str(path), "-"],
        check=True, capture_output=True, text=True, timeout=60,
    ).stdout  # fmt: skip
    text = re.sub(r"\s+", " ", re.sub(r"Strona \d+ z \d+", " ", out))
    text = text.replace(f"{report.title} – {report.scope_label}", " ")  # the footer
    text = re.sub(r"\s+", " ", text)
    shown: Shown = {}
    pos = 0
    for section in report.sections:
        for table in section.tables:
            if not any(isinstance(c, Count | Rate) for row in table.rows for c in row):
                continue  # figures about institutions and offerings: not about families
            # The header follows the title (its long words broken inside narrow cells); the
            # first row's label after it is where the rows start.
            pos = text.index(table.title, pos) + len(table.title)
            chart = text.find("Wykres:", pos)
            following = [text.find(f"{t.title}", pos) for s in report.sections for t in s.tables]
            end = min([x for x in (chart, *following) if x > pos] or [len(text)])
            first = min(
                col
                for row in table.rows
                for col, cell in enumerate(row)
                if isinstance(cell, Count | Rate)
            )
            # A row's label: its cells before the first figure (a sector pair has two).
            labels = [" ".join(str(text_value(c)) for c in row[:first]) for row in table.rows]
            for r, row_key in enumerate(table.row_keys):
                at = text.index(labels[r], pos)
                after = at + len(labels[r])
                stop = text.find(f" {labels[r + 1]} ", after - 1) if r + 1 < len(labels) else end
                segment = text[after : stop if stop > 0 else end]
                values = _VALUE.findall(segment)
                cols = [
                    col for col, cell in enumerate(table.rows[r]) if isinstance(cell, Count | Rate)
                ]
                # Counts come before any other figure in these rows; a share with no value (0 of
                # 0) prints nothing and is last.
                for col, v in zip(cols, values, strict=False):
                    shown[(table.key, row_key, col)] = _number(v)
                pos = after
            pos = max(pos, end)
    return shown


# --- the attacker --------------------------------------------------------------------------------


def _counts(report: Report) -> dict[Ref, int]:
    values: dict[Ref, int] = {}
    for section in report.sections:
        for table in section.tables:
            values |= table.counts()
    for rest, (whole, part) in report.relations.remainders.items():
        values[rest] = values[whole] - values[part]
    return values


# The relations the test knows of its own accord (by what the figures mean), checked to hold on
# the true counts before the attack uses them, beside those the report declares.
BREAKDOWNS = {
    "cases_closed_by_reason": ("cases_summary", {1: "closed"}),
    "referrals_by_state": ("referrals_summary", {1: "sent"}),
    "rejection_reasons": ("referrals_summary", {1: "rejected"}),
    "failure_reasons": ("referrals_summary", {1: "failed"}),
    "referral_outcomes": ("referrals_summary", {1: "completed"}),
    "referrals_by_sector": ("referrals_summary", {2: "sent", 3: "accepted", 4: "rejected"}),
    "referrals_by_cost": ("referrals_summary", {1: "sent", 2: "completed"}),
    "by_municipality": (None, {1: "opened", 2: "sent"}),
    "gaps_by_municipality": ("referrals_summary", {3: "to_no_capacity"}),
    "gaps_by_area": ("referrals_summary", {3: "to_no_capacity"}),
}
SAME = {  # a row of a breakdown that counts exactly what a summary figure counts
    ("referrals_by_state", state): ("referrals_summary", state)
    for state in ("rejected", "completed", "failed", "cancelled")
} | {("cases_closed_by_reason", "goals_achieved"): ("cases_summary", "closed_goals_achieved")}


def _known(report: Report, values: dict[Ref, int]) -> list[Line]:
    lines = []
    for key, (summary, columns) in BREAKDOWNS.items():
        table = report.table(key)
        if table is None or not table.rows:
            continue
        for col, figure in columns.items():
            where = summary or ("cases_summary" if figure == "opened" else "referrals_summary")
            line = Line(tuple(table.ref(k, col) for k in table.row_keys), ((where, figure, 1),))
            assert sum(values[r] for r in line.parts) == values[line.totals[0]], line
            lines.append(line)
    for (key, row), (summary, figure) in SAME.items():
        table = report.table(key)
        if table is not None:
            line = Line((table.ref(row, 1),), ((summary, figure, 1),))
            assert values[line.parts[0]] == values[line.totals[0]], line
            lines.append(line)
    return lines


def _attack(report: Report, shown: Shown, where: str) -> None:
    values = _counts(report)
    virtual = set(report.relations.remainders)
    lines = report.relations.lines + _known(report, values)

    def visible(ref: Ref) -> bool:
        return ref not in virtual and isinstance(shown.get(ref), int)

    # Every count is shown, as itself or as a marker; "< 3" is never said of a count of 3 or more.
    for ref, n in values.items():
        if ref in virtual:
            continue
        assert ref in shown, (where, ref)
        if 0 < n < 3:
            assert shown[ref] in (SUPPRESSED, COMPLEMENTARY), (where, ref, shown[ref])
        elif shown[ref] == SUPPRESSED:
            raise AssertionError((where, ref, n, "shown as < 3"))
        else:
            assert shown[ref] in (n, COMPLEMENTARY), (where, ref, n, shown[ref])

    # Every subtraction: a line with one unknown cell gives it as total − the visible cells.
    for line in lines:
        unknown = [r for r in line.cells if not visible(r)]
        if len(unknown) == 1:
            (cell,) = unknown
            sign = 1 if cell in line.parts else -1
            computed = sign * (
                sum(values[r] for r in line.totals if r != cell)
                - sum(values[r] for r in line.parts if r != cell)
            )
            assert computed == values[cell]  # the relation is real
            assert not 0 < computed < 3, (where, cell, "= total − visible", line)

    # All lines at once, with what the markers say (linear algebra and bounds, two steps or more).
    hidden: dict[Ref, Kind] = {r: "virtual" for r in virtual}
    for ref in values:
        if ref not in virtual and not visible(ref):
            hidden[ref] = "primary" if shown[ref] == SUPPRESSED else "complementary"
    assert audit(values, lines, hidden) == set(), where

    # Shares: never "< 3"; hidden as shares when computed from a hidden count.
    for section in report.sections:
        for table in section.tables:
            for key, row in zip(table.row_keys, table.rows, strict=True):
                for col, cell in enumerate(row):
                    if not isinstance(cell, Rate):
                        continue
                    ref = table.ref(key, col)
                    assert shown.get(ref) != SUPPRESSED, (where, ref)
                    basis = report.relations.bases.get(ref, ())
                    if cell.denominator and any(r in hidden for r in basis):
                        assert shown.get(ref) == NOT_SHOWN, (where, ref, shown.get(ref))


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("view", list(VIEWS))
async def test_no_small_count_follows_from_the_rest(region, view, fmt, tmp_path):
    user, query, scope = VIEWS[view]
    base = "/v1/reports" if "period" in query else "/v1/monitoring"
    url = base if fmt == "json" else f"{base}/export.{fmt}"
    response = await region.get(user, url, **query)
    assert response.status_code == 200, response.text
    truth = await _truth(region, query, scope)
    if fmt == "json":
        shown = _from_json(response.json())
    elif fmt == "csv":
        shown = _from_csv(response.content, truth)
    elif fmt == "xlsx":
        shown = _from_xlsx(response.content, truth)
    else:
        shown = _from_pdf(response.content, truth, tmp_path)
    _attack(truth, shown, f"{view}.{fmt}")


@pytest.mark.parametrize("view", list(VIEWS))
async def test_the_region_has_small_cells_to_protect(region, view):
    """Not vacuous: each view has several small counts, and complementary suppression acts."""
    _, query, scope = VIEWS[view]
    truth = await _truth(region, query, scope)
    values = _counts(truth)
    small = [r for r, n in values.items() if 0 < n < 3 and r not in truth.relations.remainders]
    assert len(small) >= 4, view
    kinds = truth.hidden()
    assert "complementary" in kinds.values(), view
