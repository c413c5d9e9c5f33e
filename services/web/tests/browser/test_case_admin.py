"""Browser test of the case workspace's newer parts: monitoring reviews of the plan (ADR 0025),
the plan re-saved with its goals' ids kept, correcting and removing people of the family with the
service's 409 rules (ADR 0024), handing the case over to another case manager (ADR 0023: the web
looks the new manager's subject up by username in Keycloak's admin API; the old manager loses
access on the next page, the new one sees the case), and the workspace at phone width.

Real servers (`stack`); axe-core on every page (`ui.check`); screenshots case-21… onwards."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.async_api import Browser, expect

from shared import clock

WARSAW = ZoneInfo("Europe/Warsaw")
SECTIONS = ("", "/consent", "/team", "/diagnosis", "/plan", "/reviews", "/referrals", "/meetings")


async def open_case_with_plan(stack: Any) -> tuple[str, dict[str, str], list[str]]:
    """A case of manager-a with two people, a consent given by Anna and a plan of two goals;
    returns the case id, the people's ids by first name and the goals' ids."""
    headers = await stack.tokens.headers("manager-a")
    async with httpx.AsyncClient(base_url=stack.cases_url, headers=headers) as cases:
        family = [
            {"first_name": "Anna", "last_name": "Kowalska", "relation": "matka"},
            {"first_name": "Jan", "last_name": "Kowalski", "relation": "syn"},
        ]
        created = await cases.post("/v1/cases", json={"family": family})
        assert created.status_code == 201, created.text
        case_id = created.json()["id"]
        people = (await cases.get(f"/v1/cases/{case_id}/family")).json()
        ids = {p["first_name"]: p["id"] for p in people}
        consent = await cases.post(
            f"/v1/cases/{case_id}/consents",
            json={
                "given_by_member_id": ids["Anna"],
                "method": "paper",
                "scope": {"sectors": ["education"], "data_kinds": ["plan"]},
            },
        )
        assert consent.status_code == 201, consent.text
        due = (clock.local_now() + timedelta(days=30)).date().isoformat()
        plan = await cases.put(
            f"/v1/cases/{case_id}/plan",
            json={
                "goals": [
                    {
                        "title": "Powrót matki do pracy",
                        "actions": [
                            {
                                "title": "Spotkanie z doradcą zawodowym",
                                "responsible": {"kind": "family"},
                                "due_on": due,
                            }
                        ],
                    },
                    {"title": "Opieka nad synem po szkole", "actions": []},
                ]
            },
        )
        assert plan.status_code == 200, plan.text
        current = (await cases.get(f"/v1/cases/{case_id}/plan")).json()
    return case_id, ids, [g["id"] for g in current["goals"]]


@pytest.mark.timeout(360)
async def test_reviews_family_changes_and_handing_the_case_over(
    stack: Any, browser: Browser, ui: Any
) -> None:
    case_id, people, goal_ids = await open_case_with_plan(stack)
    web, issuer = stack.web_url, stack.issuer.issuer_url
    case_url = f"{web}/cases/{case_id}"

    context, page = await ui.new_page(browser)
    page.set_default_timeout(10_000)
    problems = ui.watch(page, web, (403, 404, 422))
    await ui.sign_in(page, web, issuer, "manager-a")

    # monitoring reviews: nothing marked is refused naming the goals, then a review is recorded
    await page.goto(case_url)
    nav = page.get_by_role("navigation", name="Części sprawy")
    await nav.get_by_role("link", name="Przeglądy planu").click()
    await expect(page.get_by_text("Nie odnotowano jeszcze przeglądu planu.")).to_be_visible()
    await page.get_by_role("button", name="Zapisz przegląd").click()
    await expect(page.get_by_role("alert")).to_contain_text("Oceń co najmniej jeden cel")
    await ui.check(page, "case-21-review-errors")
    goal_1 = page.get_by_role("group", name=re.compile("^Cel 1: Powrót matki do pracy"))
    await goal_1.get_by_role("radio", name="cel osiągnięty").check()
    goal_2 = page.get_by_role("group", name=re.compile("^Cel 2: Opieka nad synem"))
    await goal_2.get_by_role("radio", name="postęp").check()
    await goal_2.get_by_label("Uwagi").fill("Świetlica do 16:00, szukamy dłużej.")
    await page.get_by_label("Ocena rodziny (jej słowami)").fill("Jest lepiej, mam pracę od maja.")
    next_review = (clock.local_now() + timedelta(days=90)).date().isoformat()
    await page.get_by_label("Termin następnego przeglądu").fill(next_review)
    await page.get_by_role("button", name="Zapisz przegląd").click()
    await expect(page.locator("p.notice")).to_contain_text("Zapisano przegląd planu")
    review = page.locator("article.review")
    await expect(review).to_have_count(1)
    await expect(review.get_by_role("cell", name="cel osiągnięty")).to_be_visible()
    await expect(review).to_contain_text("Jest lepiej, mam pracę od maja.")
    await ui.check(page, "case-22-reviews")

    # re-saving the plan keeps its goals' ids, so the review still matches its goals
    await nav.get_by_role("link", name="Plan wsparcia").click()
    await page.get_by_role("button", name="Zapisz nową wersję planu").click()
    await expect(page.locator("p.notice")).to_contain_text("Zapisano wersję 2")
    headers = await stack.tokens.headers("manager-a")
    async with httpx.AsyncClient(base_url=stack.cases_url, headers=headers) as cases:
        plan = (await cases.get(f"/v1/cases/{case_id}/plan")).json()
    assert plan["version"] == 2
    assert [g["id"] for g in plan["goals"]] == goal_ids

    # correcting a person: a bad e-mail is refused at its field, then the phone is saved
    await page.goto(case_url)
    await page.get_by_text("Popraw dane: Jan Kowalski").click()
    jan = page.locator(f"#person-{people['Jan']}")
    await jan.get_by_label("E-mail").fill("nie-adres")
    await jan.get_by_role("button", name="Zapisz zmiany").click()
    jan = page.locator(f"#person-{people['Jan']}")
    await expect(jan.get_by_role("alert")).to_contain_text("E-mail")
    await expect(jan.locator("input[aria-invalid='true']")).to_have_count(1)
    await ui.check(page, "case-23-family-edit-errors")
    await jan.get_by_label("E-mail").fill("")
    await jan.get_by_label("Telefon").fill("+48 600 100 200")
    await jan.get_by_role("button", name="Zapisz zmiany").click()
    await expect(page.locator("p.notice")).to_contain_text("Zapisano zmiany danych osoby")
    await expect(page.get_by_role("cell", name="+48 600 100 200")).to_be_visible()

    # removing the giver of the consent in force: the service's 409 in plain Polish
    await page.get_by_text("Popraw dane: Anna Kowalska").click()
    anna = page.locator(f"#person-{people['Anna']}")
    await anna.get_by_role("button", name=re.compile("^Usuń osobę z rodziny")).click()
    anna = page.locator(f"#person-{people['Anna']}")
    await expect(anna.get_by_role("alert")).to_contain_text("wyraziła obowiązującą zgodę")
    await expect(page.get_by_role("cell", name="Anna Kowalska")).to_be_visible()
    await ui.check(page, "case-24-family-remove-refused")
    # Jan never gave a consent: removed outright
    await page.get_by_text("Popraw dane: Jan Kowalski").click()
    jan = page.locator(f"#person-{people['Jan']}")
    await jan.get_by_role("button", name=re.compile("^Usuń osobę z rodziny")).click()
    await expect(page.locator("p.notice")).to_contain_text("Usunięto osobę z rodziny")
    await expect(page.get_by_role("cell", name="Jan Kowalski")).to_have_count(0)
    # Anna is now the last person: refused for that reason
    await page.get_by_text("Popraw dane: Anna Kowalska").click()
    anna = page.locator(f"#person-{people['Anna']}")
    await anna.get_by_role("button", name=re.compile("^Usuń osobę z rodziny")).click()
    await expect(page.get_by_role("alert")).to_contain_text("ostatniej osoby")

    # handing over: an unknown account and a missing reason are named at their fields
    await page.goto(case_url)
    await expect(page.get_by_text("Sprawa nie była przekazywana.")).to_be_visible()
    await page.get_by_text("Przekaż sprawę innemu pracownikowi socjalnemu").click()
    handover = page.locator("#reassign")
    await handover.get_by_label(re.compile("^Nazwa użytkownika nowego")).fill("nie-ma-takiego")
    await handover.get_by_role("button", name="Przekaż sprawę").click()
    alert = page.locator("#reassign").get_by_role("alert")
    await expect(alert).to_contain_text("Nie ma konta o takiej nazwie użytkownika")
    await expect(alert).to_contain_text("Wybierz powód przekazania")
    await ui.check(page, "case-25-reassign-errors")
    handover = page.locator("#reassign")
    await handover.get_by_label(re.compile("^Nazwa użytkownika nowego")).fill("manager-c")
    await handover.get_by_label("Powód").select_option(label="nieobecność prowadzącego")
    await handover.get_by_label("Wyjaśnienie").fill("Długie zwolnienie lekarskie.")
    await handover.get_by_role("button", name="Przekaż sprawę").click()
    await expect(page).to_have_url(f"{web}/cases")
    await expect(page.locator("p.notice")).to_contain_text("Przekazano sprawę")
    await expect(page.locator("p.notice")).to_contain_text("manager-c")
    await ui.check(page, "case-26-handed-over")
    # the old manager: the case is gone on the next page
    await page.goto(case_url)
    await expect(page.get_by_role("heading", name="Sprawa niedostępna")).to_be_visible()
    await ui.check(page, "case-27-old-manager-no-access")
    await context.close()

    # the new manager sees the case, the history of handovers and the review
    new_context, new = await ui.new_page(browser)
    new.set_default_timeout(10_000)
    new_problems = ui.watch(new, web, (403, 422))
    await ui.sign_in(new, web, issuer, "manager-c")
    await new.goto(case_url)
    await expect(new.locator(".case-meta")).to_contain_text("manager-c")
    history = new.get_by_role("table", name="Historia przekazań")
    await expect(history.get_by_role("cell", name="manager-a", exact=True)).to_be_visible()
    await expect(history).to_contain_text("nieobecność prowadzącego")
    await expect(history).to_contain_text("Długie zwolnienie lekarskie.")
    await ui.check(new, "case-28-new-manager")
    await new.goto(f"{case_url}/reviews?lang=en")
    await expect(new.get_by_role("cell", name="goal reached")).to_be_visible()
    await ui.check(new, "case-29-reviews-en")
    await new.goto(f"{case_url}?lang=pl")
    await new_context.close()

    # at phone width every part of the workspace fits the screen (no sideways scrolling)
    phone_context, phone = await ui.new_page(browser, phone=True)
    phone.set_default_timeout(10_000)
    phone_problems = ui.watch(phone, web, (403, 422))
    await ui.sign_in(phone, web, issuer, "manager-c")
    for n, suffix in enumerate(SECTIONS):
        await phone.goto(case_url + suffix)
        await expect(phone.get_by_role("navigation", name="Części sprawy")).to_be_visible()
        for opener in await phone.locator("main details > summary").all():
            await opener.click()  # the forms folded away must fit too
        assert await ui.too_wide(phone) == [], (suffix, await ui.too_wide(phone))
        name = (suffix.strip("/") or "overview").replace("-", "")
        await ui.check(phone, f"case-{30 + n}-phone-{name}")
    await phone.goto(f"{web}/cases")
    assert await ui.too_wide(phone) == []
    await ui.check(phone, "case-38-phone-list")
    await phone_context.close()

    assert not problems, problems
    assert not new_problems, new_problems
    assert not phone_problems, phone_problems
