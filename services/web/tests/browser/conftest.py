"""Fixtures every browser test shares (used as fixtures: under --import-mode=importlib a test
module cannot import a helper module): Debian's chromium driven by Playwright (no browser
download), axe-core on every page, a check that no message key shows instead of text, screenshots
for reviewers, and signing in through the issuer's own login page."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, BrowserContext, Page, async_playwright, expect

from web.i18n import MESSAGES

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[1] / "screenshots"
axe = Axe()
# A catalogue key on the page means a message is missing from web.i18n (or from an area's file).
_PREFIXES = sorted({key.split(".", 1)[0] for key in MESSAGES["pl"] if "." in key})
UNTRANSLATED = re.compile(r"\b(?:" + "|".join(map(re.escape, _PREFIXES)) + r")\.[a-z_.]+")
WIDER_THAN_SCREEN = """[...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
  .map(e => e.tagName + ' ' + (e.textContent || '').trim().slice(0, 40))"""


def require_chromium() -> None:
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"{CHROMIUM} is missing: apt-get install -y --no-install-recommends chromium "
            "(Playwright must not download a browser of its own)"
        )


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    require_chromium()
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True
        )
        yield launched
        await launched.close()


async def _check(page: Page, screenshot: str | None = None, *, full_page: bool = True) -> None:
    """No axe-core violations on the page (WCAG 2.1 A/AA and best practices); a screenshot."""
    results = await axe.run(page)
    assert results.violations_count == 0, results.generate_report()
    untranslated = UNTRANSLATED.findall(await page.inner_text("body"))
    assert not untranslated, f"message keys shown instead of text: {untranslated}"
    if screenshot:
        SCREENSHOTS.mkdir(exist_ok=True)
        await page.screenshot(path=SCREENSHOTS / f"{screenshot}.png", full_page=full_page)


async def _new_page(
    browser: Browser, *, phone: bool = False, lang: str = "pl-PL"
) -> tuple[BrowserContext, Page]:
    if phone:
        context = await browser.new_context(
            viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True, locale=lang
        )
    else:
        context = await browser.new_context(
            viewport={"width": 1100, "height": 800}, locale=lang, timezone_id="Europe/Warsaw"
        )
    return context, await context.new_page()


def _watch(page: Page, web_url: str, allowed: tuple[int, ...]) -> list[str]:
    """Console errors (CSP violations show there) and error answers of the web app other than
    the `allowed` ones, collected while the test goes on."""
    problems: list[str] = []
    page.on(
        "console",
        lambda m: (
            problems.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource")
            else None
        ),
    )
    page.on(
        "response",
        lambda r: (
            problems.append(f"{r.status} {r.url}")
            if r.url.startswith(web_url) and r.status >= 400 and r.status not in allowed
            else None
        ),
    )
    return problems


async def _sign_in(page: Page, web_url: str, issuer_url: str, username: str) -> None:
    """Sign in through the issuer's own login page (password `demo`), back on the start page."""
    await page.goto(web_url + "/login")
    await expect(page).to_have_url(re.compile(re.escape(issuer_url)))
    await page.get_by_label("Nazwa użytkownika").fill(username)
    await page.get_by_label("Hasło").fill("demo")
    await page.get_by_role("button", name="Zaloguj się").click()
    await expect(page).to_have_url(re.compile(re.escape(web_url) + r"/(\?.*)?$"))


class UI:
    """`ui.check(page, "name")`, `ui.new_page(browser)`, `ui.sign_in(page, web, issuer, user)`,
    `ui.too_wide(page)` (elements wider than a phone's screen)."""

    check = staticmethod(_check)
    new_page = staticmethod(_new_page)
    sign_in = staticmethod(_sign_in)
    watch = staticmethod(_watch)

    @staticmethod
    async def too_wide(page: Page) -> list[str]:
        result: list[str] = await page.evaluate(WIDER_THAN_SCREEN)
        return result


@pytest.fixture
def ui() -> UI:
    return UI()
