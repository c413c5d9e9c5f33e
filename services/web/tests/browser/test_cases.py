"""Browser test of a case's workspace in depth: a case manager opens a case, records the family's
consent (and opens the form the service prints), invites a specialist, writes the diagnosis with
the family's view beside the specialist's, keeps two versions of the plan, refers the family to a
published service after seeing its capacity, holds a meeting with a decision the family agreed
to, and reads the access log; the partner's specialist then rejects the referral, first without a
reason (the service's field error is shown by the field), and sees only what the consent allows.

Everything runs on real servers (the `stack` fixture); axe-core checks every page visited
(`ui.check`); screenshots go to tests/screenshots/ (case-NN-... for this file)."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from shared import clock

PARTNER_INSTITUTION = "7a1c3e52-5d0b-4a53-9b1e-2f6d0c8a0001"  # partner-a's, in the realm
SERVICE_TITLE = "Poradnictwo zawodowe dla rodziców"
WARSAW = ZoneInfo("Europe/Warsaw")


async def seed_partner_and_offering(stack: Any, category: str) -> str:
    """The partner of `partner-a` in Wieliczka's partnership and its published service; returns
    the service id once the cases service knows it (its read model follows basket's events)."""
    coordinator = await stack.tokens.headers("coord-a")
    async with httpx.AsyncClient(base_url=stack.partners_url, headers=coordinator) as partners:

        async def post(url: str, body: dict[str, object]) -> str:
            response = await partners.post(url, json=body)
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
                "formal_act_kind": "uchwała rady gminy",
                "formal_act_reference": "XII/123/2026",
                "meeting_frequency": "raz na kwartał",
            },
        )
        partner = await post(
            "/v1/institutions",
            {
                "id": PARTNER_INSTITUTION,
                "name": "Powiatowy Urząd Pracy w Wieliczce",
                "sector": "labour_market",
                "city": "Wieliczka",
            },
        )
        await post(
            "/v1/memberships",
            {"partnership_id": partnership, "institution_id": partner, "state": "informal"},
        )
    offering = {
        "institution_id": PARTNER_INSTITUTION,
        "title": SERVICE_TITLE,
        "description": "Spotkania z doradcą zawodowym i pomoc w szukaniu pracy.",
        "category": category,
        "cost": {"kind": "free"},
        "contact": {"name": "Doradca zawodowy", "phone": "+48 12 000 00 00"},
        "capacity_status": "available",
    }
    async with httpx.AsyncClient(base_url=stack.basket_url, headers=coordinator) as basket:
        service_id = await retry_create(basket, offering)
        published = await basket.post(f"/v1/offerings/{service_id}/publish", json={})
        assert published.status_code == 200, published.text
    manager = await stack.tokens.headers("manager-a")
    async with httpx.AsyncClient(base_url=stack.cases_url, headers=manager) as cases:
        for _ in range(200):
            response = await cases.get(f"/v1/offerings/{service_id}")
            if response.status_code == 200 and response.json()["status"] == "published":
                return service_id
            await asyncio.sleep(0.1)
    raise AssertionError("the cases service never learnt of the published offering")


async def retry_create(basket: httpx.AsyncClient, offering: dict[str, Any]) -> str:
    """The basket learns of the partner's membership from partners' events: retry until it has."""
    last = None
    for _ in range(200):
        last = await basket.post("/v1/offerings", json=offering)
        if last.status_code == 201:
            return str(last.json()["id"])
        await asyncio.sleep(0.1)
    raise AssertionError(f"offering not created: {last.text if last else ''}")


async def categories(stack: Any) -> list[str]:
    async with httpx.AsyncClient(base_url=stack.basket_url) as basket:
        response = await basket.get("/v1/categories")
        return [c["code"] for area in response.json() for c in area["categories"]]


def watch(page: Page, web_url: str) -> tuple[list[str], list[str]]:
    """Console errors (CSP violations show there) and unexpected error answers of the web app."""
    console: list[str] = []
    failed: list[str] = []
    page.on(
        "console",
        lambda m: (
            console.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource")
            else None
        ),
    )
    page.on(
        "response",
        lambda r: (
            failed.append(f"{r.status} {r.url}")
            if r.url.startswith(web_url) and r.status >= 400 and r.status not in (403, 422)
            else None
        ),
    )
    return console, failed


# A whole story across four browser sessions and six servers: longer than the default 120 s.
@pytest.mark.timeout(360)
async def test_case_workspace_in_depth(stack: Any, browser: Browser, ui: Any) -> None:
    codes = await categories(stack)
    category = next((c for c in codes if "unemploy" in c), codes[0])
    service_id = await seed_partner_and_offering(stack, category)
    web, issuer = stack.web_url, stack.issuer.issuer_url

    context, page = await ui.new_page(browser)
    page.set_default_timeout(10_000)
    console, failed = watch(page, web)
    await ui.sign_in(page, web, issuer, "manager-a")
    await expect(page.get_by_role("heading", name="Moje sprawy")).to_be_visible()
    await ui.check(page, "case-01-start-case-manager")

    # a new case: the form names the missing field, then the case opens
    await page.get_by_role("link", name="Sprawy rodzin", exact=True).first.click()
    await ui.check(page, "case-02-cases-empty")
    await page.get_by_role("link", name="Przyjmij nową sprawę").click()
    await page.get_by_role("button", name="Przyjmij sprawę").click()
    summary = page.get_by_role("alert")
    await expect(summary).to_contain_text("Osoba 1: Imię")
    await ui.check(page, "case-03-new-case-errors")
    await page.locator("#f-case-p0_first_name").fill("Anna")
    await page.locator("#f-case-p0_last_name").fill("Kowalska")
    await page.locator("#f-case-p0_relation").fill("matka")
    await page.locator("#f-case-p1_first_name").fill("Jan")
    await page.locator("#f-case-p1_last_name").fill("Kowalski")
    await page.locator("#f-case-p1_relation").fill("syn")
    await page.locator("#f-case-p1_year_of_birth").fill("2012")
    await page.get_by_role("button", name="Przyjmij sprawę").click()
    await expect(page).to_have_url(re.compile(r"/cases/[0-9a-f-]{36}$"))
    await expect(page.locator("p.notice")).to_contain_text("Przyjęto sprawę")
    case_url = page.url
    case_id = case_url.rsplit("/", 1)[-1]
    await expect(page.get_by_role("cell", name="Anna Kowalska")).to_be_visible()
    await ui.check(page, "case-04-case-overview")

    # consent: an empty scope is refused naming the field; then a consent for the partner
    nav = page.get_by_role("navigation", name="Części sprawy")
    await nav.get_by_role("link", name="Zgoda rodziny").click()
    await page.get_by_label("Kto z rodziny wyraził zgodę").select_option(label="Anna Kowalska")
    await page.get_by_role("checkbox", name="skierowania").uncheck()
    await page.get_by_role("button", name="Zapisz zgodę").click()
    await expect(page.get_by_role("alert")).to_contain_text("Jakie dane można udostępnić")
    await ui.check(page, "case-05-consent-errors")
    await page.get_by_role("checkbox", name="Powiatowy Urząd Pracy w Wieliczce").check()
    for kind in ("diagnoza", "plan wsparcia", "skierowania", "spotkania i ustalenia"):
        await page.get_by_role("checkbox", name=kind, exact=True).check()
    await page.get_by_role("radio", name="na papierze (podpisana)").check()
    await page.get_by_role("button", name="Zapisz zgodę").click()
    await expect(page.locator("p.notice")).to_contain_text("Zapisano zgodę")
    await expect(page.locator(".consent--valid")).to_have_count(1)
    await ui.check(page, "case-06-consent")
    form_link = page.get_by_role("link", name=re.compile("^Formularz zgody do druku"))
    printed = await page.request.get(web + str(await form_link.get_attribute("href")))
    assert printed.status == 200
    assert "text/html" in printed.headers["content-type"]
    assert "Kowalska" in await printed.text()
    assert "sandbox" in printed.headers["content-security-policy"]
    pdf_link = page.get_by_role("link", name=re.compile(r"^Formularz zgody \(PDF\)"))
    pdf = await page.request.get(web + str(await pdf_link.get_attribute("href")))
    assert pdf.status == 200
    assert pdf.headers["content-type"].startswith("application/pdf")
    assert (await pdf.body()).startswith(b"%PDF")

    # the team: the partner in the consent's scope is invited
    await nav.get_by_role("link", name="Zespół").click()
    await page.get_by_label("Instytucja").select_option(label="Powiatowy Urząd Pracy w Wieliczce")
    await page.get_by_label("Funkcja w zespole").fill("doradca zawodowy")
    await page.get_by_role("button", name="Wyślij zaproszenie").click()
    await expect(page.get_by_role("cell", name="zaproszony")).to_be_visible()
    await ui.check(page, "case-07-team")

    # the diagnosis: the family's own view beside the specialist's, by area
    await nav.get_by_role("link", name="Diagnoza").click()
    await page.get_by_label("Obszar diagnozy").select_option(label="Praca")
    await page.get_by_role("radio", name=re.compile("spojrzenie rodziny")).check()
    await page.get_by_label("Treść").fill("Chcę wrócić do pracy, ale nie mam z kim zostawić syna.")
    await page.get_by_role("button", name="Zapisz").click()
    await page.get_by_label("Obszar diagnozy").select_option(label="Praca")
    await page.get_by_role("radio", name="ocena specjalisty").check()
    await page.get_by_label("Treść").fill("Matka ma doświadczenie w handlu; brak opieki po szkole.")
    await page.get_by_role("button", name="Zapisz").click()
    work = page.locator("#area-work")
    await expect(work.locator(".view--family")).to_contain_text("Chcę wrócić do pracy")
    await expect(work.locator(".view--specialists")).to_contain_text("doświadczenie w handlu")
    await ui.check(page, "case-08-diagnosis")

    # the plan: version 1, then version 2 with a changed status and a new action
    await nav.get_by_role("link", name="Plan wsparcia").click()
    await page.locator("#f-plan-g0_title").fill("Powrót matki do pracy")
    await page.locator("#f-plan-g0_a0_title").fill("Spotkanie z doradcą zawodowym")
    await page.locator("#f-plan-g0_a0_responsible").select_option("family")
    due = (clock.local_now() + timedelta(days=14)).date().isoformat()
    await page.locator("#f-plan-g0_a0_due_on").fill(due)
    await page.get_by_role("button", name="Zapisz nową wersję planu").click()
    await expect(page.locator("p.notice")).to_contain_text("Zapisano wersję 1")
    await page.locator("#f-plan-g0_a0_status").select_option("in_progress")
    await page.locator("#f-plan-g0_a1_title").fill("Zapisanie syna na zajęcia świetlicowe")
    await page.locator("#f-plan-g0_a1_due_on").fill("2001-01-01")  # before the case: refused
    await page.get_by_role("button", name="Zapisz nową wersję planu").click()
    alert = page.get_by_role("alert")
    await expect(alert).to_contain_text("Cel 1, działanie 2: Termin")
    await ui.check(page, "case-09-plan-errors")
    await page.locator("#f-plan-g0_a1_due_on").fill(due)
    await page.get_by_role("button", name="Zapisz nową wersję planu").click()
    await expect(page.locator("p.notice")).to_contain_text("Zapisano wersję 2")
    await expect(page.get_by_role("heading", name=re.compile("Wersja 2"))).to_be_visible()
    await expect(page.get_by_role("cell", name="w trakcie")).to_be_visible()
    await ui.check(page, "case-10-plan")
    await page.get_by_role("link", name="Wersja 1").click()
    await expect(page.get_by_role("heading", name="Wersja 1", exact=True)).to_be_visible()
    await expect(page.get_by_role("cell", name="zaplanowane")).to_be_visible()
    await expect(page.locator("table.plan-goal")).not_to_contain_text("Zapisanie syna")

    # a referral: the capacity is shown before sending
    await nav.get_by_role("link", name="Skierowania").click()
    await expect(page.get_by_role("cell", name="są wolne miejsca")).to_be_visible()
    await ui.check(page, "case-11-referrals-choose")
    await page.locator(f"a[href$='service_id={service_id}']").click()
    await expect(page.get_by_text("są wolne miejsca")).to_be_visible()
    await ui.check(page, "case-12-referral-capacity")
    await page.get_by_label("Informacja dla instytucji").fill("Matka prosi o termin po 15:00.")
    await page.get_by_role("button", name="Wyślij skierowanie").click()
    await expect(page.locator("p.notice")).to_contain_text("Wysłano skierowanie")
    await expect(page.locator(".referral--requested")).to_have_count(1)

    # a meeting and its decision, with the family's consent noted
    await nav.get_by_role("link", name="Spotkania i ustalenia").click()
    tomorrow = (clock.local_now() + timedelta(days=1)).replace(hour=10, minute=0)
    await page.get_by_label("Początek").fill(tomorrow.strftime("%Y-%m-%dT%H:%M"))
    await page.get_by_label("Miejsce").fill("OPS Wieliczka, pokój 12")
    await page.get_by_role("checkbox", name="Anna Kowalska").check()
    await page.get_by_label("Sprawy do omówienia").fill("Plan wsparcia\nOpieka nad synem")
    await page.get_by_role("button", name="Zaplanuj", exact=True).click()
    await expect(page.locator("p.notice")).to_contain_text("Zaplanowano spotkanie")
    await page.get_by_text("Odnotuj spotkanie i ustalenia").click()
    await page.locator("[id$='-d0_text']").fill("Syn będzie chodził na świetlicę do 17:00.")
    await page.get_by_role("button", name="Zapisz przebieg spotkania").click()
    await expect(page.get_by_role("alert")).to_contain_text("Ustalenie 1: Czy rodzina się zgodziła")
    await ui.check(page, "case-13-meeting-errors")
    await page.locator("[id$='-d0_family_consent-1']").check()
    await page.get_by_role("button", name="Zapisz przebieg spotkania").click()
    await expect(page.locator("p.notice")).to_contain_text("Zapisano przebieg")
    await expect(page.locator(".decisions")).to_contain_text("rodzina się zgodziła")
    await ui.check(page, "case-14-meetings")

    # the access log for the family: on the page and as the service's PDF
    await nav.get_by_role("link", name="Rejestr dostępu").click()
    await expect(page.get_by_role("cell", name="odnotowanie zgody")).to_be_visible()
    await ui.check(page, "case-15-access-log")
    report = await page.request.get(f"{web}/cases/{case_id}/access-log/pdf")
    assert report.status == 200
    assert (await report.body()).startswith(b"%PDF")
    await page.goto(f"{case_url}/referrals?lang=en")
    await expect(page.get_by_role("heading", name=re.compile("Referrals"))).to_be_visible()
    await ui.check(page, "case-16-referrals-en")
    await page.goto(f"{case_url}?lang=pl")

    # the partner's specialist: accepts the invitation, sees what the consent allows
    partner_context, partner = await ui.new_page(browser)
    partner.set_default_timeout(10_000)
    p_console, p_failed = watch(partner, web)
    await ui.sign_in(partner, web, issuer, "partner-a")
    await expect(partner.get_by_role("heading", name="Skierowania do odpowiedzi")).to_be_visible()
    await ui.check(partner, "case-17-start-partner")
    await partner.get_by_role("link", name="Sprawy rodzin", exact=True).first.click()
    await partner.get_by_role("button", name=re.compile("^Przyjmij")).click()
    await expect(partner.locator("p.notice")).to_contain_text("Dołączono do zespołu")
    await partner.get_by_role("link", name=re.compile("^Sprawa ")).first.click()
    await expect(partner.get_by_text("Zgoda rodziny nie obejmuje danych osobowych")).to_be_visible()
    await ui.check(partner, "case-18-partner-case")
    await partner.goto(f"{web}/cases/{case_id}/diagnosis")
    await expect(partner.locator("#area-work .view--family")).to_contain_text("wrócić do pracy")
    await partner.goto(f"{web}/cases/{case_id}/consent")
    assert (await partner.title()).startswith("Tylko dla prowadzącego")

    # rejecting without a reason: the service's 422 names the field, shown next to it
    await partner.goto(f"{web}/referrals")
    await partner.get_by_text("Odrzuć…").click()
    await partner.get_by_role("button", name="Odrzuć", exact=True).click()
    alert = partner.get_by_role("alert")
    await expect(alert).to_contain_text("Powód:")
    await expect(partner.locator("select[aria-invalid='true']")).to_have_count(1)
    await ui.check(partner, "case-19-reject-without-reason")
    rejecting = partner.locator("details[open]")
    await rejecting.get_by_label("Powód").select_option("no_capacity")
    await rejecting.get_by_label("Wyjaśnienie").fill("Grupa na ten miesiąc jest pełna.")
    await partner.get_by_role("button", name="Odrzuć", exact=True).click()
    await expect(partner.locator("p.notice")).to_contain_text("odrzucone")
    await ui.check(partner, "case-20-referrals-partner")

    # the case manager sees the answer with its reason
    await page.goto(f"{case_url}/referrals")
    await expect(page.locator(".referral--rejected")).to_contain_text("brak miejsc")
    assert service_id in await page.content()

    assert not console, console
    assert not p_console, p_console
    assert not failed, failed
    assert not p_failed, p_failed
    await partner_context.close()
    await context.close()
