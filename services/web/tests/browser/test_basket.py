"""Browser tests of the basket pages: the coordinator's editor (add, publish, suspend, edit,
capacity, history), the stale list and verification, a partner's editor limited to their own
institution, and the public basket without signing in (search without Polish letters, a
service's page, the printable version, open data, a phone, the keyboard). axe-core checks every
page visited; screenshots 20-39 go to tests/screenshots/."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

import basket.service.handlers as basket_handlers
from shared import clock

TENANT = "1219053"
SCREENSHOTS = Path(__file__).resolve().parents[1] / "screenshots"
PARTNER_A = "7a1c3e52-5d0b-4a53-9b1e-2f6d0c8a0001"  # partner-a's institution (the dev realm)


def offering(institution: str, title: str, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "institution_id": institution,
        "title": title,
        "description": "Opieka nad dziećmi w wieku od 20 tygodni do 3 lat, posiłki i zajęcia.",
        "category": "family_policy.early_childcare",
        "target_groups": ["children", "parents"],
        "eligibility": {"description": "Dzieci zamieszkałe w gminie", "referral_required": False},
        "required_documents": ["Karta zgłoszenia dziecka"],
        "cost": {"kind": "co_paid", "amount": 250, "description": "miesięcznie"},
        "places": [
            {
                "street": "ul. Słoneczna 3",
                "postal_code": "32-020",
                "city": "Wieliczka",
                "accessible": True,
                "accessibility_notes": "Wejście bez progów",
            }
        ],
        "schedule": [
            {"weekday": d, "opens_at": "06:30", "closes_at": "17:00"} for d in range(1, 6)
        ],
        "contact": {"name": "Maria Kowalczyk", "role": "dyrektorka", "phone": "+48 12 111 22 33"},
    }
    body.update(extra)
    return body


@pytest.fixture(scope="module")
async def seeded(stack: Any) -> dict[str, str]:
    """A partnership with three partners (one of them partner-a's institution), as the basket
    learns them from the partners events; a published nursery, an entry not verified for
    four months, and offerings of partner-a's institution and of another partner."""
    coord = await stack.tokens.headers("coord-a")
    ids: dict[str, str] = {}
    async with httpx.AsyncClient(base_url=stack.partners_url, headers=coord) as partners:

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
            },
        )
        for key, body in [
            ("nursery", {"name": "Żłobek Miejski „Słoneczko”", "sector": "family_support"}),
            ("partner_a", {"id": PARTNER_A, "name": "Fundacja Pomocy Rodzinie", "sector": "ngo"}),
            ("club", {"name": "Stowarzyszenie Ąkacja", "sector": "ngo"}),
        ]:
            ids[key] = await post("/v1/institutions", {**body, "city": "Wieliczka"})
            await post(
                "/v1/memberships",
                {"partnership_id": partnership, "institution_id": ids[key], "state": "informal"},
            )
    async with httpx.AsyncClient(base_url=stack.basket_url, headers=coord) as basket:
        async with asyncio.timeout(20):
            while True:  # the basket learns partners from their events
                known = (await basket.get("/v1/institutions", params={"tenant": TENANT})).json()
                ready = {str(i["id"]) for i in known if i["may_offer"]}
                # These three exactly: other modules' stacks share the NATS server and the
                # counts of earlier institutions in the same municipality.
                if {ids["nursery"], ids["partner_a"], ids["club"]} <= ready:
                    break
                await asyncio.sleep(0.1)

        async def add(body: dict[str, Any], publish: bool = True, user: str = "coord-a") -> str:
            headers = await stack.tokens.headers(user)
            response = await basket.post("/v1/offerings", json=body, headers=headers)
            assert response.status_code == 201, response.text
            new_id = str(response.json()["id"])
            if publish:
                published = await basket.post(f"/v1/offerings/{new_id}/publish", headers=headers)
                assert published.status_code == 200, published.text
            return new_id

        ids["nursery_offering"] = await add(
            offering(ids["nursery"], "Żłobek Miejski – opieka nad dziećmi do lat 3")
        )
        ids["partner_offering"] = await add(
            offering(
                PARTNER_A,
                "Poradnictwo rodzinne Fundacji",
                category="family_support.counselling",
                cost={"kind": "free"},
            ),
            user="partner-a",
        )
        # Added four months ago and never verified since: the basket's clock, turned back.
        real_today = basket_handlers.today
        basket_handlers.today = lambda: clock.today() - timedelta(days=120)  # type: ignore[assignment]
        try:
            ids["stale_offering"] = await add(
                offering(
                    ids["club"],
                    "Klub seniora „Ąkacja”",
                    category="civic_activity.senior_clubs",
                    target_groups=["seniors"],
                    cost={"kind": "free"},
                )
            )
        finally:
            basket_handlers.today = real_today  # type: ignore[assignment]
    return ids


def track_errors(page: Page, web_url: str) -> tuple[list[str], list[str]]:
    """Console errors (CSP violations show here) and our app's error answers (but 422)."""
    console: list[str] = []
    failed: list[str] = []
    # Failed loads are the responses below (a 422 form, the issuer's missing favicon).
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
            if r.url.startswith(web_url) and r.status >= 400 and r.status != 422
            else None
        ),
    )
    return console, failed


async def test_coordinator_adds_publishes_and_keeps_an_offering_current(
    stack: Any, seeded: dict[str, str], browser: Browser, ui: Any
) -> None:
    context, page = await ui.new_page(browser)
    console, failed = track_errors(page, stack.web_url)
    await ui.sign_in(page, stack.web_url, stack.issuer.issuer_url, "coord-a")

    # The start page tells the coordinator which basket entries need verifying.
    stale_block = page.locator(
        "section", has=page.get_by_role("heading", name=re.compile("Koszyk usług"))
    )
    await expect(stale_block).to_contain_text("Klub seniora „Ąkacja”")
    await ui.check(page, "20-start-coordinator-basket")

    await (
        page.get_by_role("navigation", name="Menu główne")
        .get_by_role("link", name="Koszyk usług")
        .click()
    )
    await expect(page.get_by_role("heading", level=1)).to_have_text("Lokalny Koszyk Usług")
    await expect(
        page.get_by_role("link", name="Żłobek Miejski – opieka nad dziećmi do lat 3")
    ).to_be_visible()
    await ui.check(page, "21-basket-editor")

    # Filter by status: drafts only (none yet).
    await page.get_by_label("Status").select_option("draft")
    await page.get_by_role("button", name="Filtruj").click()
    await expect(page.locator("#results [role=status]")).to_contain_text("Znaleziono usług: 0")

    await page.goto(stack.web_url + "/basket")
    await page.get_by_role("link", name="Dodaj usługę").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Nowa usługa w koszyku")
    await ui.check(page, "22-basket-new")

    # Mistakes first: a paid service without an amount, opening hours that close before they open.
    await page.get_by_label("Instytucja realizująca").select_option(
        label="Żłobek Miejski „Słoneczko”"
    )
    await page.get_by_label("Nazwa usługi").fill("Ćwiczenia logopedyczne dla maluchów")
    await page.get_by_label("Obszar i kategoria").select_option("public_education.speech_therapy")
    await page.get_by_role("combobox", name=re.compile("^Odpłatność")).select_option("paid")
    await (
        page.get_by_role("group", name="Termin 1", exact=True)
        .get_by_label("Dzień tygodnia")
        .select_option("3")
    )
    await (
        page.get_by_role("group", name="Termin 1", exact=True)
        .get_by_label("Od godziny")
        .fill("15:00")
    )
    await (
        page.get_by_role("group", name="Termin 1", exact=True)
        .get_by_label("Do godziny")
        .fill("13:00")
    )
    await page.get_by_role("textbox", name=re.compile("^Osoba do kontaktu")).fill("Ewa Nowak")
    await page.get_by_role("button", name="Zapisz").click()
    summary = page.get_by_role("alert")
    await expect(summary).to_contain_text("Kwota (zł)")
    await expect(summary).to_contain_text("Termin 1: Do godziny")
    await ui.check(page, "23-basket-new-errors")
    # The summary's link takes the keyboard to the field.
    await summary.get_by_role("link", name=re.compile("Kwota")).click()
    await expect(page.get_by_label("Kwota (zł)")).to_be_focused()
    await expect(page.get_by_label("Kwota (zł)")).to_have_attribute("aria-invalid", "true")

    await page.get_by_label("Kwota (zł)").fill("20,50")
    await page.get_by_label("Opis odpłatności").fill("za zajęcia")
    await (
        page.get_by_role("group", name="Termin 1", exact=True)
        .get_by_label("Do godziny")
        .fill("17:00")
    )
    await page.get_by_label("Opis", exact=True).fill(
        "Zajęcia z logopedą w małych grupach, dla dzieci od 2 do 6 lat."
    )
    await page.get_by_label("Dzieci", exact=True).check()
    await page.get_by_label("Rodzice", exact=True).check()
    await page.get_by_label("Kto może skorzystać").fill("Dzieci zamieszkałe w gminie Wieliczka")
    await page.get_by_label("Wiek od").fill("2")
    await page.get_by_label("Wiek do").fill("6")
    await page.get_by_label("Wymagane skierowanie").check()
    await page.get_by_label("Wymagane dokumenty").fill("Skierowanie od lekarza\nKarta zgłoszenia")
    await (
        page.get_by_role("group", name="Miejsce 1", exact=True)
        .get_by_label("Ulica i numer")
        .fill("ul. Słoneczna 3")
    )
    await (
        page.get_by_role("group", name="Miejsce 1", exact=True)
        .get_by_label("Miejscowość")
        .fill("Wieliczka")
    )
    await (
        page.get_by_role("group", name="Miejsce 1", exact=True)
        .get_by_label("Dostępne dla osób z niepełnosprawnościami")
        .check()
    )
    await page.get_by_label("Telefon").fill("+48 12 111 22 44")
    await page.get_by_label("E-mail").fill("logopeda@example.org")
    await page.get_by_label("Języki").fill("pl, uk")
    await page.get_by_role("button", name="Zapisz").click()

    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Ćwiczenia logopedyczne dla maluchów"
    )
    await expect(page.locator("p.notice[role=status]")).to_contain_text("Dodano usługę jako szkic")
    await expect(page.locator(".lead .tag")).to_have_text("szkic")
    await expect(page.get_by_text("ukraiński")).to_be_visible()
    await ui.check(page, "24-basket-offering-draft")

    await page.get_by_role("button", name="Opublikuj").click()
    await expect(page.locator(".lead .tag")).to_have_text("opublikowana")

    # Suspending needs a reason; the error names the field.
    await page.locator("summary", has_text="Zawieś").click()
    await page.locator("form[action$='/suspend'] button").click()
    await expect(page.get_by_role("alert")).to_contain_text("Powód")
    await ui.check(page, "25-basket-suspend-error")
    await page.locator("#f-suspend-reason").fill("Urlop logopedy do końca miesiąca")
    await page.locator("form[action$='/suspend'] button").click()
    await expect(page.locator(".lead .tag")).to_have_text("zawieszona")
    await expect(page.locator(".lead")).to_contain_text("Urlop logopedy")
    await page.get_by_role("button", name="Opublikuj").click()
    await expect(page.locator(".lead .tag")).to_have_text("opublikowana")

    # Places fill up: a waiting list of about three weeks.
    await page.get_by_role("combobox", name=re.compile("^Dostępność miejsc")).select_option(
        "waitlist"
    )
    await page.get_by_label("Czas oczekiwania (dni)").fill("21")
    await page.get_by_role("button", name="Zapisz dostępność").click()
    await expect(page.locator("dd", has_text="lista oczekujących")).to_contain_text("21 dni")

    await page.get_by_role("link", name="Edytuj").click()
    await expect(page.get_by_label("Kwota (zł)")).to_have_value("20,5")
    await ui.check(page, "26-basket-edit")
    await page.get_by_label("Wiek do").fill("7")
    await page.get_by_role("button", name="Zapisz").click()
    await expect(page.locator("p.notice[role=status]")).to_contain_text("Zapisano zmiany")
    await expect(page.get_by_text("od 2 do 7 lat")).to_be_visible()

    history = page.get_by_role("table", name="Historia zmian")
    for action in ("dodanie", "publikacja", "zawieszenie", "zmiana dostępności", "zmiana treści"):
        await expect(history).to_contain_text(action)
    await ui.check(page, "27-basket-offering-history")

    # The public sees it at once, found without Polish letters.
    await page.goto(f"{stack.web_url}/public/basket/{TENANT}?q=cwiczenia+logopedyczne")
    await expect(
        page.get_by_role("link", name="Ćwiczenia logopedyczne dla maluchów")
    ).to_be_visible()
    assert failed == [], failed
    assert console == [], console
    await context.close()


async def test_stale_entries_are_listed_and_verified(
    stack: Any, seeded: dict[str, str], browser: Browser, ui: Any
) -> None:
    context, page = await ui.new_page(browser)
    console, failed = track_errors(page, stack.web_url)
    await ui.sign_in(page, stack.web_url, stack.issuer.issuer_url, "coord-a")
    await page.get_by_role("link", name="Wpisy do weryfikacji").first.click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Wpisy do weryfikacji")
    row = page.get_by_role("row", name=re.compile("Klub seniora"))
    since = clock.today() - timedelta(days=120)
    await expect(row).to_contain_text(str(since.year))
    await ui.check(page, "28-basket-stale")
    await row.get_by_role("button", name="Potwierdź aktualność: Klub seniora „Ąkacja”").click()
    await expect(page).to_have_url(re.compile(r"/basket/stale$"))
    await expect(page.locator("p.notice[role=status]")).to_contain_text("Potwierdzono aktualność")
    await expect(page.get_by_text("Brak wpisów do weryfikacji")).to_be_visible()
    await ui.check(page, "29-basket-stale-verified")

    await page.goto(stack.web_url + "/")
    await expect(page.get_by_text("Wszystkie wpisy koszyka są aktualne.")).to_be_visible()
    assert failed == [], failed
    assert console == [], console
    await context.close()


async def test_partner_editor_sees_only_their_institutions_offerings(
    stack: Any, seeded: dict[str, str], browser: Browser, ui: Any
) -> None:
    context, page = await ui.new_page(browser)
    console, failed = track_errors(page, stack.web_url)
    await ui.sign_in(page, stack.web_url, stack.issuer.issuer_url, "partner-a")
    await page.get_by_role("link", name="Koszyk usług").first.click()
    await expect(page.get_by_text("Widzisz usługi swojej instytucji.")).to_be_visible()
    await expect(page.get_by_role("link", name="Poradnictwo rodzinne Fundacji")).to_be_visible()
    await expect(page.get_by_role("link", name=re.compile("Żłobek Miejski"))).to_have_count(0)
    await expect(page.get_by_role("link", name=re.compile("Klub seniora"))).to_have_count(0)
    await ui.check(page, "30-basket-partner-editor")

    await page.get_by_role("link", name="Dodaj usługę").click()
    select = page.get_by_label("Instytucja realizująca")
    await expect(select.locator("option")).to_have_count(1)
    await expect(select).to_have_value(PARTNER_A)
    await ui.check(page, "31-basket-partner-new")

    # Another partner's published offering can be read, but the page offers no editing.
    await page.goto(f"{stack.web_url}/basket/{seeded['nursery_offering']}")
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Żłobek Miejski")
    await expect(page.get_by_role("button", name="Opublikuj")).to_have_count(0)
    await expect(page.get_by_role("link", name="Edytuj")).to_have_count(0)
    # ... and the service refuses the edit page.
    response = await page.goto(f"{stack.web_url}/basket/{seeded['nursery_offering']}/edit")
    assert response is not None
    assert response.status == 403
    assert console == [], console
    assert all("/edit" in f for f in failed), failed
    await context.close()


async def test_public_finds_a_service_without_polish_letters_and_prints_it(
    stack: Any, seeded: dict[str, str], browser: Browser, ui: Any
) -> None:
    context, page = await ui.new_page(browser)
    console, failed = track_errors(page, stack.web_url)
    await page.goto(stack.web_url + "/")
    await page.get_by_role("link", name=re.compile("Lokalny Koszyk Usług")).click()
    await ui.check(page, "32-public-choose")
    # The municipalities by name (the partners service's public list) …
    await page.get_by_role("link", name="Wieliczka").click()
    await expect(page).to_have_url(re.compile(rf"/public/basket/{TENANT}$"))
    await expect(page.locator("p.lead")).to_contain_text("Gmina Wieliczka")
    # … or a TERYT code.
    await page.go_back()
    await page.get_by_label("Kod TERYT gminy").fill("12190")
    await page.get_by_role("button", name="Pokaż koszyk").click()
    await expect(page.get_by_role("alert")).to_contain_text("Kod TERYT gminy")
    await page.get_by_label("Kod TERYT gminy").fill(TENANT)
    await page.get_by_role("button", name="Pokaż koszyk").click()
    await expect(page).to_have_url(re.compile(rf"/public/basket/{TENANT}$"))
    await expect(page.get_by_role("heading", level=1)).to_have_text("Lokalny Koszyk Usług")
    # Drafts, suspended and withdrawn entries are not public; published ones are.
    await expect(page.get_by_role("link", name="Klub seniora „Ąkacja”")).to_be_visible()
    await ui.check(page, "33-public-basket")

    # From the keyboard, without Polish letters: "zlobek" finds "Żłobek".
    search = page.get_by_label("Czego szukasz?")
    await search.focus()
    await page.keyboard.type("zlobek")
    await page.keyboard.press("Enter")
    await expect(page).to_have_url(re.compile(r"q=zlobek"))
    first = page.locator(".result h2 a").first
    await expect(first).to_have_text("Żłobek Miejski – opieka nad dziećmi do lat 3")
    await ui.check(page, "34-public-search")

    # Filters: free of charge only leaves the nursery (co-paid) out.
    await page.get_by_label("bezpłatne").check()
    await page.get_by_role("button", name="Szukaj").click()
    await expect(page.get_by_role("link", name=re.compile("Żłobek Miejski"))).to_have_count(0)
    await page.get_by_label("bezpłatne").uncheck()
    await page.get_by_role("button", name="Szukaj").click()

    await page.get_by_role("link", name="Żłobek Miejski – opieka nad dziećmi do lat 3").focus()
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Żłobek Miejski – opieka nad dziećmi do lat 3"
    )
    await expect(page.get_by_role("heading", name="Warunki dostępu")).to_be_visible()
    await expect(page.get_by_text("Maria Kowalczyk")).to_be_visible()
    await expect(page.get_by_role("link", name="+48 12 111 22 33")).to_have_attribute(
        "href", "tel:+48121112233"
    )
    await expect(page.get_by_text("częściowo odpłatna: 250 zł (miesięcznie)")).to_be_visible()
    await ui.check(page, "35-public-offering")

    await page.get_by_role("link", name="Wersja do druku").click()
    await expect(page.get_by_role("button", name="Drukuj")).to_be_visible()
    await ui.check(page, "36-public-print")
    await page.emulate_media(media="print")
    await expect(page.get_by_role("button", name="Drukuj")).to_be_hidden()
    await page.screenshot(path=SCREENSHOTS / "37-public-print-media.png", full_page=True)
    await page.emulate_media(media="screen")

    # Open data: the exports come through the web app.
    csv = await page.request.get(f"{stack.web_url}/public/basket/{TENANT}/export.csv")
    assert csv.status == 200
    assert csv.headers["content-type"].startswith("text/csv")
    assert "Żłobek Miejski – opieka nad dziećmi do lat 3" in (await csv.body()).decode("utf-8-sig")
    hsds = await page.request.get(f"{stack.web_url}/public/basket/{TENANT}/export.json")
    assert hsds.status == 200
    assert any(s["name"].startswith("Żłobek") for s in await hsds.json())

    # English, with Polish formats kept.
    await page.goto(
        f"{stack.web_url}/public/basket/{TENANT}/services/{seeded['nursery_offering']}?lang=en"
    )
    await expect(page.get_by_role("heading", name="Conditions of access")).to_be_visible()
    await expect(page.get_by_text("partly paid: 250 zł (miesięcznie)")).to_be_visible()
    await ui.check(page, "38-public-offering-en")
    await page.goto(f"{stack.web_url}/public/basket/{TENANT}?lang=pl")
    assert console == [], console
    assert failed == [], failed
    await context.close()

    # On a phone: no sideways scrolling on the list and the service's page.
    context, page = await ui.new_page(browser, phone=True)
    await page.goto(f"{stack.web_url}/public/basket/{TENANT}?q=zlobek")
    await expect(page.locator(".result h2 a").first).to_contain_text("Żłobek")
    assert await ui.too_wide(page) == []
    await ui.check(page, "39-phone-public-basket")
    await page.locator(".result h2 a").first.click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Żłobek")
    assert await ui.too_wide(page) == []
    await ui.check(page, None)
    await context.close()


async def test_regional_staff_choose_the_municipality_whose_basket_they_read(
    stack: Any, seeded: dict[str, str], browser: Browser, ui: Any
) -> None:
    """An analyst has no municipality of their own: the basket pages offer the municipalities
    that have a partnership instead of failing for want of one."""
    context, page = await ui.new_page(browser)
    console, failed = track_errors(page, stack.web_url)
    await ui.sign_in(page, stack.web_url, stack.issuer.issuer_url, "analyst")
    await page.get_by_role("link", name="Koszyk usług").first.click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Lokalny Koszyk Usług")
    municipality = page.get_by_label("Gmina")
    await expect(municipality).to_have_value(TENANT)
    await expect(page.get_by_role("link", name=re.compile("Żłobek Miejski"))).to_be_visible()
    await ui.check(page, "39a-basket-regional")
    await page.goto(f"{stack.web_url}/basket/stale?tenant={TENANT}")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Wpisy do weryfikacji")
    await ui.check(page)
    assert failed == [], failed
    assert console == [], console
    await context.close()

    # A regional administrator adds an offering to a municipality's basket they choose.
    context, page = await ui.new_page(browser)
    await ui.sign_in(page, stack.web_url, stack.issuer.issuer_url, "admin")
    await page.goto(f"{stack.web_url}/basket/new")
    await expect(page.get_by_role("combobox", name="Gmina", exact=True)).to_have_value(TENANT)
    await expect(page.get_by_label("Instytucja realizująca").locator("option")).not_to_have_count(0)
    await ui.check(page, "39b-basket-new-regional")
    await context.close()
