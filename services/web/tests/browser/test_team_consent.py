"""Browser test of the team page over time (ADR 0037, issue 13 §5): the family withdraws its
consent, so the partner's specialist leaves the team and the open referral to the partner ends.
The case manager sees why the specialist left and when, and the referral's state and reason; the
"invite again" button is refused by the service while no consent covers the partner (its problem
is shown on the page), then works once a new consent covers it; the specialist joins again and
sees the team, without the case manager's button.

Real servers (`stack`); the setup goes through the services' APIs, the steps under test through
the pages; axe-core and the check for message keys on every page (`ui.check`); screenshots
team-NN-…"""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, expect

PARTNER_INSTITUTION = "7a1c3e52-5d0b-4a53-9b1e-2f6d0c8a0001"  # partner-a's, in the realm
PARTNER_NAME = "Powiatowy Urząd Pracy w Wieliczce"
SERVICE_TITLE = "Poradnictwo zawodowe dla rodziców"
ALL_KINDS = ["diagnosis", "plan", "referrals", "meetings", "contact"]


async def seed_partner_and_offering(stack: Any) -> str:
    """partner-a's institution in Wieliczka's partnership with a published service; returns the
    service id once the cases service knows it (its read model follows basket's events)."""
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
            {"id": PARTNER_INSTITUTION, "name": PARTNER_NAME, "sector": "labour_market"},
        )
        await post(
            "/v1/memberships",
            {"partnership_id": partnership, "institution_id": partner, "state": "informal"},
        )
    async with httpx.AsyncClient(base_url=stack.basket_url) as basket:
        areas = (await basket.get("/v1/categories")).json()
    category = areas[0]["categories"][0]["code"]
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
        created = None
        for _ in range(200):  # the basket learns of the membership from partners' events
            created = await basket.post("/v1/offerings", json=offering)
            if created.status_code == 201:
                break
            await asyncio.sleep(0.1)
        assert created is not None
        assert created.status_code == 201, created.text
        service_id = str(created.json()["id"])
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


async def case_whose_consent_was_withdrawn(stack: Any, service_id: str) -> tuple[str, str]:
    """A case of manager-a: a consent covering the partner, partner-a in the team, a referral
    to the partner's service, then the consent withdrawn. Returns (case id, Anna's id)."""
    manager = await stack.tokens.headers("manager-a")
    partner = await stack.tokens.headers("partner-a")
    async with httpx.AsyncClient(base_url=stack.cases_url, headers=manager) as cases:
        family = [{"first_name": "Anna", "last_name": "Zgodna", "relation": "matka"}]
        created = await cases.post("/v1/cases", json={"family": family})
        assert created.status_code == 201, created.text
        case_id = created.json()["id"]
        [anna] = (await cases.get(f"/v1/cases/{case_id}/family")).json()
        consent = await give_consent(cases, case_id, anna["id"])
        invited = None
        for _ in range(200):  # the cases service learns of the institution from partners' events
            invited = await cases.post(
                f"/v1/cases/{case_id}/team",
                json={"institution_id": PARTNER_INSTITUTION, "function": "doradca zawodowy"},
            )
            if invited.status_code == 201:
                break
            await asyncio.sleep(0.1)
        assert invited is not None
        assert invited.status_code == 201, invited.text
        accepted = await cases.post(
            f"/v1/team-invitations/{invited.json()['id']}/accept", headers=partner
        )
        assert accepted.status_code == 200, accepted.text
        referral = await cases.post(
            f"/v1/cases/{case_id}/referrals", json={"service_id": service_id}
        )
        assert referral.status_code == 201, referral.text
        withdrawn = await cases.post(f"/v1/cases/{case_id}/consents/{consent}/withdraw", json={})
        assert withdrawn.status_code == 200, withdrawn.text
    return case_id, str(anna["id"])


async def give_consent(cases: httpx.AsyncClient, case_id: str, giver: str) -> str:
    response = await cases.post(
        f"/v1/cases/{case_id}/consents",
        json={
            "given_by_member_id": giver,
            "method": "paper",
            "scope": {"institution_ids": [PARTNER_INSTITUTION], "data_kinds": ALL_KINDS},
        },
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


@pytest.mark.timeout(300)
async def test_a_member_who_left_with_the_consent_is_shown_why_and_invited_again(
    stack: Any, browser: Browser, ui: Any
) -> None:
    service_id = await seed_partner_and_offering(stack)
    case_id, anna = await case_whose_consent_was_withdrawn(stack, service_id)
    web, issuer = stack.web_url, stack.issuer.issuer_url
    case_url = f"{web}/cases/{case_id}"

    context, page = await ui.new_page(browser)
    page.set_default_timeout(10_000)
    problems = ui.watch(page, web, (422,))
    await ui.sign_in(page, web, issuer, "manager-a")

    # the team: the specialist left, with the reason and the day; the case manager may re-invite
    await page.goto(f"{case_url}/team")
    row = page.get_by_role("row").filter(has_text=PARTNER_NAME)
    await expect(row).to_have_count(1)
    await expect(row).to_contain_text("opuścił zespół")
    await expect(row).to_contain_text("zgoda rodziny przestała obowiązywać")
    await expect(row.locator(".left-reason")).to_contain_text(re.compile(r"Odszedł\(a\) \d"))
    reinvite = row.get_by_role("button", name=re.compile("^Zaproś ponownie"))
    await expect(reinvite).to_have_count(1)
    await expect(row.get_by_role("button", name=re.compile("^Usuń z zespołu"))).to_have_count(0)
    await ui.check(page, "team-01-member-left")

    # no consent covers the partner now: the service's refusal is shown on the page
    await reinvite.click()
    alert = page.get_by_role("alert")
    await expect(alert).to_contain_text("zgoda rodziny nie obejmuje tej instytucji")
    await ui.check(page, "team-02-reinvite-refused")

    # the referral to the partner ended with the consent: its state and reason are shown
    await page.goto(f"{case_url}/referrals")
    ended = page.locator(".referral--withdrawn-consent")
    await expect(ended).to_have_count(1)
    await expect(ended).to_contain_text("wycofane — brak zgody")
    await expect(ended).to_contain_text("rodzina wycofała zgodę")
    await page.get_by_text("Historia").first.click()
    await expect(ended).to_contain_text("koniec zgody rodziny")
    await ui.check(page, "team-03-referral-withdrawn-consent")

    # a new consent covers the partner: the re-invitation goes out, the button is gone
    manager = await stack.tokens.headers("manager-a")
    async with httpx.AsyncClient(base_url=stack.cases_url, headers=manager) as cases:
        await give_consent(cases, case_id, anna)
    await page.goto(f"{case_url}/team")
    await row.get_by_role("button", name=re.compile("^Zaproś ponownie")).click()
    await expect(page.locator("p.notice")).to_contain_text("Wysłano ponowne zaproszenie")
    rows = page.get_by_role("row").filter(has_text=PARTNER_NAME)
    await expect(rows).to_have_count(2)
    await expect(rows.filter(has_text="zaproszony")).to_have_count(1)
    await expect(page.get_by_role("button", name=re.compile("^Zaproś ponownie"))).to_have_count(0)
    await ui.check(page, "team-04-reinvited")

    # in English too
    await page.goto(f"{case_url}/team?lang=en")
    await expect(page.get_by_role("row").filter(has_text="left the team")).to_contain_text(
        "the family's consent no longer applies"
    )
    await ui.check(page, "team-05-team-en")
    await page.goto(f"{case_url}/team?lang=pl")

    # the specialist joins again and sees the team and the reason, but no re-invite button
    partner_context, partner = await ui.new_page(browser)
    partner.set_default_timeout(10_000)
    partner_problems = ui.watch(partner, web, ())
    await ui.sign_in(partner, web, issuer, "partner-a")
    await partner.get_by_role("link", name="Sprawy rodzin", exact=True).first.click()
    await partner.get_by_role("button", name=re.compile("^Przyjmij")).click()
    await expect(partner.locator("p.notice")).to_contain_text("Dołączono do zespołu")
    await partner.goto(f"{case_url}/team")
    partner_rows = partner.get_by_role("row").filter(has_text=PARTNER_NAME)
    await expect(partner_rows.filter(has_text="w zespole")).to_have_count(1)
    await expect(partner_rows.filter(has_text="opuścił zespół")).to_contain_text(
        "zgoda rodziny przestała obowiązywać"
    )
    await expect(partner.get_by_role("button", name=re.compile("^Zaproś ponownie"))).to_have_count(
        0
    )
    await ui.check(partner, "team-06-partner-team")

    assert not problems, problems
    assert not partner_problems, partner_problems
    await partner_context.close()
    await context.close()
