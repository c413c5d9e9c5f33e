"""Browser tests: Playwright driving Debian's chromium against the dev issuer, the partners service
and the web app on real ports. axe-core checks every page visited; screenshots of the main pages
go to tests/screenshots/ for reviewers."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import httpx
from playwright.async_api import Browser, expect

from shared import clock
from shared.testing.months import GENITIVE_PL


async def seed(stack: Any) -> None:
    """A partnership led by the welfare centre, a few members and a meeting next month."""
    headers = await stack.tokens.headers("coord-a")
    async with httpx.AsyncClient(base_url=stack.partners_url, headers=headers) as client:

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
                "formal_act_kind": "uchwała rady gminy",
                "formal_act_reference": "XII/123/2026",
                "meeting_frequency": "raz na kwartał",
            },
        )
        for name, sector in [
            ("Żłobek Miejski „Słoneczko”", "family_support"),
            ("Komenda Powiatowa Policji", "police"),
            ("Stowarzyszenie Ąkacja", "ngo"),
        ]:
            member = await post(
                "/v1/institutions", {"name": name, "sector": sector, "city": "Wieliczka"}
            )
            await post(
                "/v1/memberships",
                {"partnership_id": partnership, "institution_id": member, "state": "informal"},
            )
        await post(
            "/v1/meetings",
            {
                "partnership_id": partnership,
                "title": "Spotkanie partnerstwa – przegląd koszyka usług",
                "starts_at": (clock.now() + timedelta(days=20)).replace(microsecond=0).isoformat(),
                "place": "Sala narad Urzędu Miasta i Gminy",
            },
        )


async def test_coordinator_signs_in_registers_an_institution_and_signs_out(
    stack: Any, browser: Browser, ui: Any
) -> None:
    await seed(stack)
    context = await browser.new_context(
        viewport={"width": 1100, "height": 800}, locale="pl-PL", timezone_id="Europe/Warsaw"
    )
    page = await context.new_page()
    console_errors: list[str] = []  # CSP violations would show here (no inline script or style)
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    failed: list[str] = []  # what our app answered with an error, but for the form with errors
    page.on(
        "response",
        lambda r: (
            failed.append(f"{r.status} {r.url}")
            if r.url.startswith(stack.web_url) and r.status >= 400 and r.status != 422
            else None
        ),
    )

    await page.goto(stack.web_url + "/")
    await ui.check(page, "01-start-public")
    await page.get_by_role("main").get_by_role("link", name="Zaloguj się").click()

    # The issuer's own login page.
    await expect(page).to_have_url(re.compile(re.escape(stack.issuer.issuer_url)))
    await page.get_by_label("Nazwa użytkownika").fill("coord-a")
    await page.get_by_label("Hasło").fill("demo")
    await page.get_by_role("button", name="Zaloguj się").click()

    await expect(page).to_have_url(stack.web_url + "/")
    await expect(page.locator("html")).to_have_attribute("lang", "pl")
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Dzień dobry")
    gaps = page.get_by_role("region", name="Brakujące zalecane sektory")
    await expect(gaps).to_contain_text("Edukacja")
    await expect(page.get_by_text("Spotkanie partnerstwa – przegląd koszyka usług")).to_be_visible()
    await ui.check(page, "02-start-coordinator")

    nav = page.get_by_role("navigation", name="Menu główne")
    await nav.get_by_role("link", name="Rejestr partnerów").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Rejestr partnerów")
    await ui.check(page, "03-registry")

    # Register an institution: first with a REGON that fails its checksum.
    await page.get_by_role("link", name="Zarejestruj instytucję").click()
    await page.get_by_label("Nazwa").first.fill("Poradnia Psychologiczno-Pedagogiczna w Wieliczce")
    await page.get_by_label("Sektor").select_option("education")
    await page.get_by_label("REGON").fill("123456789")
    await page.get_by_label("Kod pocztowy").fill("32-020")
    await page.get_by_label("Miejscowość").fill("Wieliczka")
    await page.get_by_role("button", name="Zapisz").click()
    summary = page.get_by_role("alert")
    await expect(summary).to_contain_text("REGON")
    await expect(page.get_by_label("REGON")).to_have_attribute("aria-invalid", "true")
    await ui.check(page, "04-register-errors")
    await summary.get_by_role("link").first.click()
    await expect(page.get_by_label("REGON")).to_be_focused()

    await page.get_by_label("REGON").fill("123456785")
    await page.get_by_role("button", name="Zapisz").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Poradnia Psychologiczno-Pedagogiczna w Wieliczce"
    )
    await expect(page.get_by_role("main").get_by_role("status").first).to_have_text("Zapisano.")

    # Take it into the partnership as an informal participant.
    membership = page.locator("#membership")
    await membership.get_by_label("Nowy stan").select_option("informal")
    await membership.get_by_role("button", name="Zapisz").click()
    await expect(page.locator("#membership")).to_contain_text("uczestnik nieformalny")
    await ui.check(page, "05-institution")

    # The registry's search: htmx swaps the results in place and keeps the URL shareable.
    await nav.get_by_role("link", name="Rejestr partnerów").click()
    assert await page.evaluate("typeof window.htmx") == "object"
    await page.evaluate("window.__samePage = true")
    await page.get_by_label("Szukaj po nazwie").fill("poradnia")
    await page.get_by_role("button", name="Filtruj").click()
    await expect(page).to_have_url(re.compile(r"/institutions\?q=poradnia"))
    await expect(page.get_by_role("table")).to_contain_text("Poradnia Psychologiczno-Pedagogiczna")
    await expect(page.get_by_role("table").get_by_role("row")).to_have_count(2)
    assert await page.evaluate("window.__samePage") is True  # swapped, not reloaded
    await ui.check(page)

    # The invitation with the benefit card, from the partners service with the user's token.
    invitation = await context.request.get(
        stack.web_url + "/invitation?institution_name=Sąd Rejonowy&sector=justice"
    )
    assert invitation.ok
    assert invitation.headers["content-type"].startswith("text/html")
    assert "sandbox" in invitation.headers["content-security-policy"]
    pdf = await context.request.get(
        stack.web_url + "/invitation?institution_name=Sąd Rejonowy&sector=justice&format=pdf"
    )
    assert pdf.headers["content-type"] == "application/pdf"
    assert (await pdf.body()).startswith(b"%PDF")

    await nav.get_by_role("link", name="Partnerstwo").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Partnerstwo na rzecz rodzin w Gminie Wieliczka"
    )
    coordinators = page.locator("#coordinators")
    await coordinators.get_by_label("Imię i nazwisko").fill("Anna Kowalska")
    await coordinators.get_by_label("E-mail").fill("a.kowalska@ops.example.org")
    await coordinators.get_by_role("button", name="Zapisz").click()
    await expect(page.locator("#coordinators")).to_contain_text("a.kowalska@ops.example.org")
    await expect(page.locator("#coordinators .warning")).to_contain_text("1 aktywnego")
    await ui.check(page, "06-partnership")

    await nav.get_by_role("link", name="Spotkania").click()
    await expect(
        page.get_by_role("region", name="Proponowany gospodarz następnego spotkania")
    ).to_be_visible()
    schedule = page.get_by_role("form", name="Zaplanuj spotkanie")
    await schedule.get_by_label("Temat").fill("Spotkanie robocze partnerstwa")
    meeting_day = clock.today() + timedelta(days=38)
    await schedule.get_by_label("Początek").fill(f"{meeting_day:%Y-%m-%d}T10:00")
    await schedule.get_by_label("Miejsce").fill("Biblioteka Publiczna")
    await schedule.get_by_label("Porządek obrad").fill("Przegląd koszyka usług\nWolne wnioski")
    await schedule.get_by_role("button", name="Zapisz").click()
    row = page.get_by_role("row", name=re.compile("Spotkanie robocze partnerstwa"))
    when = f"{meeting_day.day} {GENITIVE_PL[meeting_day.month - 1]} {meeting_day.year}, 10:00"
    await expect(row).to_contain_text(when)  # Warsaw time, as entered
    await ui.check(page, "07-meetings")

    await nav.get_by_role("link", name="Karty korzyści").click()
    await ui.check(page, "08-benefit-cards", full_page=False)

    await page.get_by_role("link", name="English").click()
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    await page.goto(stack.web_url + "/institutions")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Partner registry")
    await ui.check(page, "09-registry-en")
    await page.get_by_role("link", name="Polski").click()
    await expect(page.locator("html")).to_have_attribute("lang", "pl")

    await page.get_by_role("button", name="Wyloguj się").click()
    await expect(page).to_have_url(stack.web_url + "/signed-out")
    await expect(page.get_by_role("main").get_by_role("status")).to_contain_text("Wylogowano")
    await ui.check(page, "10-signed-out")

    # The session is gone here and at the issuer: the registry asks for a sign-in again.
    await page.goto(stack.web_url + "/institutions")
    await expect(page).to_have_url(re.compile(re.escape(stack.issuer.issuer_url)))
    await expect(page.get_by_label("Nazwa użytkownika")).to_be_visible()
    assert not [e for e in console_errors if "Content Security Policy" in e], console_errors
    assert not failed, failed
    await context.close()


async def test_public_pages_work_on_a_phone_and_from_the_keyboard(
    stack: Any, browser: Browser, ui: Any
) -> None:
    context = await browser.new_context(
        viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True, locale="pl-PL"
    )
    page = await context.new_page()
    for path, name in [("/", "11-phone-start"), ("/benefit-cards", "12-phone-benefit-cards")]:
        await page.goto(stack.web_url + path)
        too_wide = await ui.too_wide(page)
        assert not too_wide, f"{path} scrolls sideways on a phone: {too_wide}"
        await ui.check(page, name, full_page=False)

    # The first Tab reaches the skip link, which moves focus to the main content.
    await page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Przejdź do treści")
    await expect(skip).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(page.locator("main")).to_be_focused()
    await context.close()
