"""Browser tests of the evaluation pages: a director sees the monitoring view of the municipality
with SVG charts beside tables, switches to a period report and downloads CSV, XLSX and PDF; small
figures show the service's "< 3"; an analyst sees the region; a coordinator defines a survey,
issues one-time links, and a contact person answers through the public link without signing in.
Events reach the evaluation service over NATS from the partners and cases services. axe-core on
every page; screenshots 80–89."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx
from playwright.async_api import Browser, expect

from shared import clock
from shared.testing.months import NOMINATIVE_PL

# The service's markers (ADR 0042, 0047): "< 3", or "#" and "—" where complementary suppression
# hid a figure from which a small one would follow.
HIDDEN = re.compile(r"^\s*(< 3|#|—)")


async def seed(stack: Any) -> None:
    """A partnership with members and a contact person (partners), one family case (cases), and
    the evaluation service having taken them in."""
    coord = await stack.tokens.headers("coord-a")
    async with httpx.AsyncClient(base_url=stack.partners_url, headers=coord) as client:

        async def post(url: str, body: dict[str, object]) -> str:
            response = await client.post(url, json=body)
            assert response.status_code == 201, response.text
            return str(response.json()["id"])

        leader = await post(
            "/v1/institutions",
            {"name": "Ośrodek Pomocy Społecznej w Wieliczce", "sector": "social_assistance"},
        )
        partnership = await post(
            "/v1/partnerships",
            {
                "name": "Partnerstwo na rzecz rodzin w Gminie Wieliczka",
                "municipality_name": "Wieliczka",
                "leader_institution_id": leader,
            },
        )
        for name, sector in [
            ("Komenda Powiatowa Policji w Wieliczce", "police"),
            ("Poradnia Psychologiczno-Pedagogiczna", "education"),
            ("Powiatowy Urząd Pracy", "labour_market"),
        ]:
            member = await post("/v1/institutions", {"name": name, "sector": sector})
            await post(
                "/v1/memberships",
                {"partnership_id": partnership, "institution_id": member, "state": "informal"},
            )
        await post(
            f"/v1/institutions/{leader}/contact-persons",
            {"name": "Anna Nowak", "position": "pedagog", "email": "anna.nowak@example.org"},
        )
    manager = await stack.tokens.headers("manager-a")
    async with httpx.AsyncClient(base_url=stack.cases_url, headers=manager) as client:
        response = await client.post(
            "/v1/cases", json={"family": [{"first_name": "Jan", "last_name": "Kowalski"}]}
        )
        assert response.status_code == 201, response.text

    director = await stack.tokens.headers("director-a")
    async with httpx.AsyncClient(base_url=stack.evaluation_url, headers=director) as client:
        for _ in range(100):
            view = (await client.get("/v1/monitoring")).json()
            tables = {t["key"]: t for s in view["sections"] for t in s["tables"]}
            cases = tables.get("cases_summary", {}).get("rows") or []
            members = tables.get("partnership_summary", {}).get("rows") or []
            hidden = any({"< 3", "#"} & set(row) for row in cases)
            if hidden and any(row[1] == 3 for row in members):
                return
            await asyncio.sleep(0.2)
    raise AssertionError(f"evaluation did not take the events in: {cases} {members}")


async def test_director_monitoring_report_exports_and_analyst_region(
    stack: Any, browser: Browser, ui: Any
) -> None:
    await seed(stack)
    context, page = await ui.new_page(browser)
    await ui.sign_in(page, stack.web_url, stack.issuer.issuer_url, "director-a")

    block = page.get_by_role("region", name="Monitoring w skrócie")
    await expect(block).to_contain_text(re.compile(r"< 3|#|—"))
    await ui.check(page, "80-start-director")

    await (
        page.get_by_role("navigation", name="Menu główne")
        .get_by_role("link", name="Monitoring")
        .click()
    )
    await expect(page.get_by_role("heading", level=1)).to_have_text("Monitoring współpracy")
    await expect(page.get_by_text("Gmina Wieliczka (1219053)")).to_be_visible()
    charts = page.locator("figure svg[role='img']")
    assert await charts.count() >= 3  # tables of zeros only have no chart, just the table
    await expect(page.locator("#t-trend svg polyline, #t-trend svg circle").first).to_be_attached()
    await expect(charts.first.locator("title")).not_to_be_empty()
    # Every chart has a table beside it; small figures show the service's marker.
    pair = page.locator(".eval-pair").filter(has=page.locator("svg")).first
    await expect(pair.locator("table")).to_have_count(1)
    await expect(page.locator("td .suppressed").first).to_have_text(HIDDEN)
    await ui.check(page, "81-monitoring")

    # Downloads, in the page's session: status and type.
    for fmt, media in [
        ("csv", "text/csv"),
        ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("pdf", "application/pdf"),
    ]:
        href = await page.locator(f"a[href^='/evaluation/export.{fmt}']").get_attribute("href")
        response = await page.request.get(stack.web_url + str(href))
        assert response.status == 200, await response.text()
        assert response.headers["content-type"].startswith(media)
        assert "attachment" in response.headers["content-disposition"]
        body = await response.body()
        assert len(body) > 100
        if fmt == "pdf":
            assert body.startswith(b"%PDF")

    # A period report; switching the period.
    await page.get_by_role("link", name="Raporty za okres").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Raport ewaluacyjny")
    await page.get_by_label("Okres", exact=True).select_option(index=0)  # this month
    await page.get_by_role("button", name="Pokaż").click()
    await expect(page).to_have_url(re.compile(r"period=\d{4}-\d{2}"))
    today = clock.today()
    await expect(page).to_have_url(re.compile(rf"period={today:%Y-%m}"))
    await expect(page.get_by_role("heading", level=1)).to_contain_text(
        f"Raport ewaluacyjny – {NOMINATIVE_PL[today.month - 1]} {today.year}"
    )
    await ui.check(page, "82-report-month")
    href = await page.locator("a[href^='/evaluation/export.xlsx']").get_attribute("href")
    assert href is not None
    assert "period=" in href
    response = await page.request.get(stack.web_url + href)
    assert response.status == 200
    await page.goto(stack.web_url + "/evaluation/reports?lang=en")
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Evaluation report")
    await ui.check(page, "83-report-en")
    await page.goto(stack.web_url + "/evaluation/reports?lang=pl")
    await context.close()

    # The analyst: the region, with every municipality.
    context, page = await ui.new_page(browser)
    await ui.sign_in(page, stack.web_url, stack.issuer.issuer_url, "analyst")
    await page.goto(stack.web_url + "/evaluation")
    await expect(
        page.get_by_role("main").locator("strong", has_text="Region – wszystkie gminy")
    ).to_be_visible()
    municipality = page.locator("#t-by_municipality")
    await expect(municipality).to_contain_text("Wieliczka")
    await ui.check(page, "84-monitoring-region")
    await municipality.get_by_role("link", name=re.compile("Wieliczka")).click()
    await expect(page.get_by_text("Gmina Wieliczka (1219053)")).to_be_visible()
    await context.close()


async def test_coordinator_sends_a_survey_answered_through_the_public_link(
    stack: Any, browser: Browser, ui: Any
) -> None:
    context, page = await ui.new_page(browser)
    await ui.sign_in(page, stack.web_url, stack.issuer.issuer_url, "coord-a")
    await page.goto(stack.web_url + "/surveys")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Ankiety partnerów")
    await page.get_by_role("link", name="Nowa ankieta").click()
    await expect(page.get_by_label("Tytuł ankiety")).to_have_value("Ankieta satysfakcji partnerów")
    await ui.check(page, "85-survey-new")
    # A choice question without options: the service's error, at the field.
    await page.locator("#f-survey-q5_text").fill("Jak często chcesz się spotykać?")
    await page.locator("#f-survey-q5_kind").select_option("choice")
    await page.get_by_role("button", name="Utwórz ankietę").click()
    await expect(page.get_by_role("alert")).to_contain_text("Pytanie 5")
    await expect(page.locator("#f-survey-q5_options")).to_have_attribute("aria-invalid", "true")
    await page.locator("#f-survey-q5_options").fill("Co miesiąc\nCo kwartał")
    await page.get_by_role("button", name="Utwórz ankietę").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Ankieta satysfakcji partnerów")
    await expect(
        page.get_by_text("Wyniki pokażemy, gdy będzie co najmniej 5 odpowiedzi")
    ).to_be_visible()

    await page.get_by_role("checkbox", name=re.compile("Anna Nowak")).check()
    await page.get_by_role("button", name="Wydaj linki").click()
    links = page.get_by_role("region", name="Linki do ankiety")
    await expect(links).to_contain_text("Anna Nowak")
    mail = links.get_by_role("link", name=re.compile("Wyślij e-mail do: Anna Nowak"))
    await expect(mail).to_have_attribute("href", re.compile(r"^mailto:anna\.nowak@example\.org\?"))
    await ui.check(page, "86-survey-links")
    link = (await links.locator("code").first.text_content() or "").strip()
    assert re.match(re.escape(stack.web_url) + r"/ankieta/\S+$", link), link
    await page.reload()
    await expect(page.get_by_role("region", name="Linki do ankiety")).to_have_count(0)
    await context.close()

    # The contact person, not signed in, answers once.
    context, page = await ui.new_page(browser)
    await page.goto(link)
    await expect(page.get_by_role("heading", level=1)).to_have_text("Ankieta satysfakcji partnerów")
    await ui.check(page, "87-survey-answer")
    await (
        page.get_by_role("group", name=re.compile("współpracę z liderem"))
        .get_by_label("5 – bardzo dobrze")
        .check()
    )
    await page.get_by_role("group", name=re.compile("korzyści")).get_by_label("Raczej tak").check()
    await page.get_by_label(re.compile("Co powinniśmy zmienić")).fill("Częstsze spotkania.")
    await page.get_by_role("button", name="Wyślij odpowiedź").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Dziękujemy")
    await ui.check(page, "88-survey-thanks")
    # The link works once.
    response = await page.goto(link)
    assert response is not None
    assert response.status == 404
    await expect(page.get_by_text("nieważny albo został już wykorzystany")).to_be_visible()
    await ui.check(page, "89-survey-link-used")
    await context.close()

    # The coordinator's list counts the answer as "< 5" (no results yet).
    coord = await stack.tokens.headers("coord-a")
    async with httpx.AsyncClient(base_url=stack.evaluation_url, headers=coord) as client:
        [survey] = [s for s in (await client.get("/v1/surveys")).json()]
        assert survey["answers"] == "< 5"
