"""Browser tests of the notifications pages: a real event (a membership change in the partners
service) reaches the notifications service over NATS, and the coordinator sees the unread count
in the header rise without reloading; the inbox, marking read, preferences; an administrator
registers a webhook endpoint (a private address refused with a field error), sees the secret
once and rotates it. axe-core on every page; screenshots 70–79."""

from __future__ import annotations

import re
from typing import Any

import httpx
from playwright.async_api import Browser, Page, expect

PUBLIC_HOOK = "https://185.199.108.153/cus-hooks"  # a public address: no DNS needed offline


async def seed(stack: Any) -> tuple[str, str]:
    """A partnership of Wieliczka with its leader; returns (partnership id, a new institution)."""
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
            },
        )
        school = await post(
            "/v1/institutions",
            {"name": "Szkoła Podstawowa nr 1 w Wieliczce", "sector": "education"},
        )
        return partnership, school


async def institution(stack: Any, name: str) -> str:
    headers = await stack.tokens.headers("coord-a")
    async with httpx.AsyncClient(base_url=stack.partners_url, headers=headers) as client:
        response = await client.post("/v1/institutions", json={"name": name, "sector": "health"})
        assert response.status_code == 201, response.text
        return str(response.json()["id"])


async def join(stack: Any, partnership: str, institution: str) -> None:
    """The school joins the partnership: `partners.membership.changed` goes out over NATS."""
    headers = await stack.tokens.headers("coord-a")
    async with httpx.AsyncClient(base_url=stack.partners_url, headers=headers) as client:
        response = await client.post(
            "/v1/memberships",
            json={
                "partnership_id": partnership,
                "institution_id": institution,
                "state": "informal",
            },
        )
        assert response.status_code == 201, response.text


async def unread_of(page: Page) -> int:
    text = (await page.locator("#unread-count").text_content() or "").strip()
    return int(text) if text.isdigit() else 0


def watch(page: Page, web_url: str) -> tuple[list[str], list[str]]:
    """Console errors (CSP violations show there) and our app's error answers (but 422)."""
    console: list[str] = []
    failed: list[str] = []
    # Resources failing elsewhere (the issuer's favicon) are not ours; ours are in `failed`.
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


async def test_unread_count_rises_live_then_inbox_mark_read_and_preferences(
    stack: Any, browser: Browser, ui: Any
) -> None:
    partnership, school = await seed(stack)
    context, page = await ui.new_page(browser)
    console, failed = watch(page, stack.web_url)
    await ui.sign_in(page, stack.web_url, stack.issuer.issuer_url, "coord-a")

    # The start page: the unread block for everyone, the badge in the header.
    block = page.get_by_role("region", name=re.compile("Nieprzeczytane powiadomienia"))
    await expect(block).to_be_visible()
    before = await unread_of(page)
    await expect(page.locator("#unread-link")).to_have_attribute("data-unread", str(before))

    # A real event, from another service, while the page stays open: the count rises live.
    await join(stack, partnership, school)
    await expect(page.locator("#unread-count")).to_have_text(str(before + 1), timeout=20_000)
    await expect(page.locator("#unread-label")).to_contain_text(f"nieprzeczytane: {before + 1}")
    await expect(page.locator("#unread-live")).to_contain_text("Nowe powiadomienie")
    await ui.check(page, "70-start-unread-live")

    # The inbox: the notice, unread, marked read.
    await page.locator("#unread-link").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Powiadomienia")
    row = page.get_by_role("row").filter(has_text="Zmiana członkostwa w partnerstwie").first
    await expect(row).to_contain_text("nieprzeczytane")
    await expect(
        row.get_by_role("link", name="Zmiana członkostwa w partnerstwie")
    ).to_have_attribute("href", re.compile(r"^/notifications/\d+/open$"))
    await ui.check(page, "71-inbox")
    await row.get_by_role("button", name=re.compile("Oznacz jako przeczytane")).click()
    await expect(page.get_by_role("main").get_by_role("status").first).to_contain_text(
        "Oznaczono jako przeczytane"
    )
    await expect(
        page.get_by_role("row").filter(has_text="Zmiana członkostwa w partnerstwie").first
    ).to_contain_text("przeczytane")
    await expect(page.locator("#unread-count")).to_have_text(str(before), timeout=10_000)

    # Only unread ones: none left.
    await page.get_by_role("link", name="Nieprzeczytane", exact=True).click()
    await expect(page.get_by_text("Nie masz nieprzeczytanych powiadomień.")).to_be_visible()

    # Preferences: no e-mails about the partnership, a daily digest.
    await page.get_by_role("link", name="Ustawienia powiadomień").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Ustawienia powiadomień")
    email_partnership = page.get_by_role("checkbox", name="E-mail Partnerstwo")
    await expect(email_partnership).to_be_checked()
    await ui.check(page, "72-preferences")
    await email_partnership.uncheck()
    await page.get_by_label("Zamiast pojedynczych e-maili").check()
    await page.get_by_role("button", name="Zapisz ustawienia").click()
    await expect(page.get_by_role("main").get_by_role("status").first).to_contain_text(
        "Zapisano ustawienia"
    )
    await expect(page.get_by_role("checkbox", name="E-mail Partnerstwo")).not_to_be_checked()
    await expect(page.get_by_role("checkbox", name="W aplikacji Partnerstwo")).to_be_checked()
    await expect(page.get_by_label("Zamiast pojedynczych e-maili")).to_be_checked()

    # English.
    await page.goto(stack.web_url + "/notifications?lang=en")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Notifications")
    await expect(page.locator("#unread-link")).to_contain_text("Notifications")
    await ui.check(page, "73-inbox-en")
    await page.goto(stack.web_url + "/notifications?lang=pl")

    # The e-mails' Polish address of the settings leads here.
    await page.goto(stack.web_url + "/powiadomienia/ustawienia")
    await expect(page).to_have_url(stack.web_url + "/notifications/preferences")

    await context.close()
    assert not console, console
    assert not failed, failed


async def test_admin_registers_a_webhook_endpoint_sees_the_secret_once_and_rotates_it(
    stack: Any, browser: Browser, ui: Any
) -> None:
    await institution(stack, "Centrum Zdrowia Psychicznego w Wieliczce")
    context, page = await ui.new_page(browser)
    console, failed = watch(page, stack.web_url)
    await ui.sign_in(page, stack.web_url, stack.issuer.issuer_url, "admin")
    nav = page.get_by_role("navigation", name="Menu główne")
    await nav.get_by_role("link", name="Webhooki").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Webhooki systemów partnerskich"
    )
    await ui.check(page, "74-webhooks")

    # A private address is refused by the service: the error is shown at the field.
    await page.get_by_role("link", name="Zarejestruj punkt odbioru").click()
    await page.get_by_label("Adres (URL)").fill("http://127.0.0.1:9/hook")
    await page.get_by_label("Instytucja partnerska").select_option(
        label="Centrum Zdrowia Psychicznego w Wieliczce"
    )
    await page.get_by_label("Gminy").fill("1219053")
    await page.get_by_role("checkbox", name="Partnerzy: zmiana członkostwa w partnerstwie").check()
    await page.get_by_role("button", name="Zarejestruj punkt odbioru").click()
    summary = page.get_by_role("alert")
    await expect(summary).to_contain_text("Adres (URL)")
    await expect(page.get_by_label("Adres (URL)")).to_have_attribute("aria-invalid", "true")
    await expect(
        page.get_by_role("checkbox", name="Partnerzy: zmiana członkostwa w partnerstwie")
    ).to_be_checked()
    await ui.check(page, "75-webhook-refused")

    # A public address: registered; the secret is shown this once.
    await page.get_by_label("Adres (URL)").fill(PUBLIC_HOOK)
    await page.get_by_role("button", name="Zarejestruj punkt odbioru").click()
    secret = page.locator("#secret-value")
    await expect(secret).to_have_text(re.compile(r"^whsec_"))
    first = await secret.text_content()
    await expect(page.get_by_text("Partnerzy: zmiana członkostwa w partnerstwie")).to_be_visible()
    await expect(page.get_by_text("Centrum Zdrowia Psychicznego w Wieliczce")).to_be_visible()
    await ui.check(page, "76-webhook-created")
    endpoint_url = page.url
    await page.goto(endpoint_url)
    await expect(page.locator("#secret-value")).to_have_count(0)

    # Rotation: a new secret, the previous one valid for a while.
    await page.get_by_role("button", name="Wygeneruj nowy sekret").click()
    await expect(page.locator("#secret-value")).to_have_text(re.compile(r"^whsec_"))
    assert await page.locator("#secret-value").text_content() != first
    await expect(page.get_by_text("Poprzedni sekret działa jeszcze do")).to_be_visible()

    # Pause and resume; the log and the dead letters.
    await page.get_by_role("button", name="Wstrzymaj wysyłanie").click()
    await expect(page.get_by_role("main").get_by_role("status").first).to_contain_text("Wstrzymano")
    await page.get_by_role("button", name="Wznów wysyłanie").click()
    await expect(page.get_by_text("Brak dostaw.")).to_be_visible()
    await page.goto(stack.web_url + "/webhooks/dead-letters")
    await expect(page.get_by_text("Brak nieudanych dostaw.")).to_be_visible()
    await ui.check(page, "77-dead-letters")

    await page.goto(stack.web_url + "/webhooks")
    await expect(page.get_by_role("link", name=PUBLIC_HOOK)).to_be_visible()

    # Someone without the right sees a refusal, not the page.
    other_context, other = await ui.new_page(browser)
    await ui.sign_in(other, stack.web_url, stack.issuer.issuer_url, "director-a")
    response = await other.goto(stack.web_url + "/webhooks")
    assert response is not None
    assert response.status == 403
    await other_context.close()

    await context.close()
    assert not console, console
    assert not failed, failed
