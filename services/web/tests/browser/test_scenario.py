"""The issue's end-to-end scenario in the browser, every page checked by axe-core (`ui.check`) and
photographed (screenshots 40-... to 69-...).

1. A network coordinator (`coord-a`) signs in on the issuer's own login page, registers a partner
   institution, adds it to the partnership, adds its service to the Local Basket of Services and
   publishes it.
2. The regional administrator links the specialist's account (`partner-a`) to that institution,
   as in production: Keycloak's Admin REST API (here the dev issuer's subset of it, ADR 0060)
   through python-keycloak's `KeycloakAdmin`, with the `cus-admin` service account.
3. A case manager (`manager-a`) opens a case, records the family's consent covering that partner
   (diagnosis and referrals only), invites its specialist, writes the diagnosis and refers the
   family to the service after seeing its capacity.
4. The specialist signs in, joins the team, sees only what the consent allows (the diagnosis, not
   the family's contact data nor the plan) and accepts the referral.
5. The case manager withdraws the consent; on the specialist's next page load the case is gone.
6. A member of the public finds the service by searching without Polish letters.

Only the partnership itself (its leader and formal act) is seeded through the partners API: the
web pages do not create partnerships (the coordinator's start page assumes one exists).
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx
import pytest
from keycloak import KeycloakAdmin
from playwright.async_api import Browser, Page, expect

TENANT = "1219053"
PARTNER_NAME = "Fundacja Rodzinna „Ścieżka”"
SERVICE_TITLE = "Grupa wsparcia dla rodziców „Ścieżka zmian”"
ADMIN_CLIENT, ADMIN_SECRET = "cus-admin", "cus-admin-dev-secret"  # deploy/keycloak/realm-cus.json


async def seed_partnership(stack: Any) -> None:
    headers = await stack.tokens.headers("coord-a")
    async with httpx.AsyncClient(base_url=stack.partners_url, headers=headers) as client:
        leader = await client.post(
            "/v1/institutions",
            json={"name": "Ośrodek Pomocy Społecznej w Wieliczce", "sector": "social_assistance"},
        )
        assert leader.status_code == 201, leader.text
        partnership = await client.post(
            "/v1/partnerships",
            json={
                "name": "Partnerstwo na rzecz rodzin w Gminie Wieliczka",
                "municipality_name": "Wieliczka",
                "leader_institution_id": leader.json()["id"],
                "formal_act_kind": "uchwała rady gminy",
                "formal_act_reference": "XII/123/2026",
                "meeting_frequency": "raz na kwartał",
            },
        )
        assert partnership.status_code == 201, partnership.text


def link_to_institution(stack: Any, username: str, institution_id: str) -> None:
    """What a regional administrator does in Keycloak: set the user's `institution` attribute."""
    admin = KeycloakAdmin(
        server_url=stack.issuer.base_url,
        realm_name="cus",
        client_id=ADMIN_CLIENT,
        client_secret_key=ADMIN_SECRET,
    )
    user_id = admin.get_user_id(username)
    assert user_id is not None
    user = admin.get_user(user_id)
    admin.update_user(user_id, {**user, "attributes": {"institution": [institution_id]}})
    assert admin.get_user(user_id)["attributes"]["institution"] == [institution_id]


async def reload_until(page: Page, ready: Any, tries: int = 100) -> None:
    """Other services learn of a change from events: reload until the page shows it."""
    for _ in range(tries):
        if await ready():
            return
        await asyncio.sleep(0.2)
        await page.reload()
    raise AssertionError(f"{page.url} never showed what was expected")


# A whole story across four browser sessions and six servers: longer than the default 120 s.
@pytest.mark.timeout(360)
async def test_the_issue_scenario(stack: Any, browser: Browser, ui: Any) -> None:
    await seed_partnership(stack)
    web, issuer = stack.web_url, stack.issuer.issuer_url

    # 1. the coordinator registers the partner and publishes its service --------------------------
    coord_context, coord = await ui.new_page(browser)
    coord.set_default_timeout(10_000)
    coord_problems = ui.watch(coord, web, (404, 422))
    await coord.goto(web + "/")
    await ui.check(coord, "40-start-public")
    await ui.sign_in(coord, web, issuer, "coord-a")
    await ui.check(coord, "41-start-coordinator")
    await coord.goto(web + "/institutions/new")
    await coord.get_by_label("Nazwa", exact=False).first.fill(PARTNER_NAME)
    await coord.get_by_label("Sektor").select_option("ngo")
    await coord.get_by_label("Miejscowość").fill("Wieliczka")
    await ui.check(coord, "42-register-partner")
    await coord.get_by_role("button", name="Zapisz").click()
    await expect(coord.get_by_role("heading", level=1)).to_contain_text("Ścieżka")
    institution_id = coord.url.rsplit("/", 1)[-1]
    membership = coord.locator("form[action$='/membership']")
    await membership.get_by_label("Nowy stan").select_option("informal")
    await membership.get_by_role("button").click()
    await expect(coord.locator("p.notice")).to_contain_text("Zapisano")
    await ui.check(coord, "43-partner-member")

    await coord.goto(web + "/basket/new")
    institution = coord.get_by_label("Instytucja realizująca")

    async def partner_known() -> bool:  # the basket learns of members from partners' events
        return await institution.locator(f"option[value='{institution_id}']").count() == 1

    await reload_until(coord, partner_known)
    await institution.select_option(institution_id)
    await coord.get_by_label("Nazwa usługi").fill(SERVICE_TITLE)
    await coord.get_by_label("Obszar i kategoria").select_option(index=1)
    await coord.get_by_label("Opis", exact=True).fill(
        "Cotygodniowe spotkania rodziców z psychologiem: wychowanie, emocje, codzienne trudności."
    )
    await coord.get_by_role("textbox", name=re.compile("^Osoba do kontaktu")).fill("Ewa Nowak")
    await coord.get_by_label("Telefon").fill("+48 12 111 22 33")
    await ui.check(coord, "44-basket-new-service")
    await coord.get_by_role("button", name="Zapisz").click()
    await expect(coord.get_by_role("heading", level=1)).to_contain_text("Ścieżka zmian")
    service_id = coord.url.rsplit("/", 1)[-1]
    await coord.get_by_role("button", name="Opublikuj").click()
    await expect(coord.locator("p.notice")).to_be_visible()
    await ui.check(coord, "45-basket-published")
    await coord_context.close()

    # 2. the specialist's account is linked to the new partner (Keycloak's Admin REST API) --------
    await asyncio.to_thread(link_to_institution, stack, "partner-a", institution_id)

    # 3. the case manager: case, consent, team, diagnosis, referral ------------------------------
    context, page = await ui.new_page(browser)
    page.set_default_timeout(10_000)
    problems = ui.watch(page, web, (404, 422))
    await ui.sign_in(page, web, issuer, "manager-a")
    await ui.check(page, "46-start-case-manager")
    await (
        page.get_by_role("navigation", name="Menu główne")
        .get_by_role("link", name="Sprawy rodzin")
        .click()
    )
    await page.get_by_role("link", name="Przyjmij nową sprawę").click()
    await page.locator("#f-case-p0_first_name").fill("Marta")
    await page.locator("#f-case-p0_last_name").fill("Zając")
    await page.locator("#f-case-p0_relation").fill("matka")
    await page.locator("#f-case-p1_first_name").fill("Zosia")
    await page.locator("#f-case-p1_last_name").fill("Zając")
    await page.locator("#f-case-p1_relation").fill("córka")
    await ui.check(page, "47-new-case")
    await page.get_by_role("button", name="Przyjmij sprawę").click()
    await expect(page.locator("p.notice")).to_contain_text("Przyjęto sprawę")
    case_url = page.url
    case_id = case_url.rsplit("/", 1)[-1]
    await ui.check(page, "48-case")

    nav = page.get_by_role("navigation", name="Części sprawy")
    await nav.get_by_role("link", name="Zgoda rodziny").click()
    await page.get_by_label("Kto z rodziny wyraził zgodę").select_option(label="Marta Zając")
    await page.get_by_role("radio", name="na papierze (podpisana)").check()
    await page.get_by_role("checkbox", name=PARTNER_NAME).check()
    await page.get_by_role("checkbox", name="diagnoza", exact=True).check()
    await page.get_by_role("checkbox", name="skierowania", exact=True).check()
    await ui.check(page, "49-consent-form")
    await page.get_by_role("button", name="Zapisz zgodę").click()
    await expect(page.locator(".consent--valid")).to_have_count(1)
    await ui.check(page, "50-consent-recorded")

    await nav.get_by_role("link", name="Zespół").click()
    await page.get_by_label("Instytucja").select_option(label=PARTNER_NAME)
    await page.get_by_label("Funkcja w zespole").fill("psycholog")
    await page.get_by_label("Konkretna osoba (login)").fill("partner-a")
    await page.get_by_role("button", name="Wyślij zaproszenie").click()
    await expect(page.get_by_role("cell", name="zaproszony")).to_be_visible()
    await ui.check(page, "51-team-invited")

    await nav.get_by_role("link", name="Diagnoza").click()
    await page.get_by_label("Obszar diagnozy").select_option(label="Opieka i wychowanie")
    await page.get_by_label("Treść").fill("Nie radzę sobie z wybuchami złości córki.")
    await page.get_by_role("button", name="Zapisz").click()
    await expect(page.locator("#area-care_and_upbringing .view--family")).to_contain_text(
        "wybuchami złości"
    )
    await ui.check(page, "52-diagnosis")

    await nav.get_by_role("link", name="Skierowania").click()
    choose = page.locator(f"a[href$='service_id={service_id}']")

    async def offering_known() -> bool:  # the cases service learns of it from basket's events
        return await choose.count() == 1

    await reload_until(page, offering_known)
    await ui.check(page, "53-referral-choose")
    await choose.click()
    await expect(page.get_by_role("heading", name=SERVICE_TITLE)).to_be_visible()
    await expect(page.locator(".capacity")).to_have_text("są wolne miejsca")
    await ui.check(page, "54-referral-capacity")
    await page.get_by_label("Informacja dla instytucji").fill("Rodzina może przychodzić we wtorki.")
    await page.get_by_role("button", name="Wyślij skierowanie").click()
    await expect(page.locator(".referral--requested")).to_have_count(1)
    await ui.check(page, "55-referral-sent")

    # 4. the specialist: joins the team, sees only what the consent allows, accepts -------------
    partner_context, partner = await ui.new_page(browser)
    partner.set_default_timeout(10_000)
    partner_problems = ui.watch(partner, web, (404, 422))
    await ui.sign_in(partner, web, issuer, "partner-a")
    to_answer = partner.get_by_role("region", name="Skierowania do odpowiedzi")
    await expect(to_answer.get_by_role("link", name=SERVICE_TITLE)).to_be_visible()
    await ui.check(partner, "56-start-specialist")
    await (
        partner.get_by_role("navigation", name="Menu główne")
        .get_by_role("link", name="Sprawy rodzin")
        .click()
    )
    await ui.check(partner, "57-specialist-invitation")
    await partner.get_by_role("button", name=re.compile("^Przyjmij")).click()
    await expect(partner.locator("p.notice")).to_contain_text("Dołączono do zespołu")
    await partner.get_by_role("link", name=re.compile("^Sprawa ")).click()
    await expect(partner).to_have_url(re.compile(case_id))
    await expect(partner.locator(".consent-scope")).to_contain_text("diagnoza")
    await expect(partner.get_by_text("nie obejmuje danych osobowych")).to_be_visible()
    assert "Marta" not in await partner.inner_text("main")
    await ui.check(partner, "58-specialist-case")
    partner_nav = partner.get_by_role("navigation", name="Części sprawy")
    await partner_nav.get_by_role("link", name=re.compile("^Diagnoza")).click()
    await expect(partner.get_by_text("wybuchami złości")).to_be_visible()
    await ui.check(partner, "59-specialist-diagnosis")
    await partner_nav.get_by_role("link", name=re.compile("^Plan wsparcia")).click()
    await expect(partner.get_by_role("heading", name=re.compile("nie obejmuje"))).to_be_visible()
    await ui.check(partner, "60-specialist-plan-not-covered")

    await (
        partner.get_by_role("navigation", name="Menu główne")
        .get_by_role("link", name="Skierowania")
        .click()
    )
    await ui.check(partner, "61-specialist-referrals")
    await partner.get_by_role("button", name="Przyjmij", exact=True).click()
    await expect(partner.locator("p.notice")).to_contain_text("przyjęte")
    await expect(partner.locator(".referral--accepted")).to_have_count(1)
    await ui.check(partner, "62-referral-accepted")

    await page.reload()
    await expect(page.locator(".referral--accepted")).to_have_count(1)
    await ui.check(page, "63-manager-sees-accepted")

    # 5. the consent is withdrawn: the specialist loses access on the next page load ------------
    await nav.get_by_role("link", name="Zgoda rodziny").click()
    await page.get_by_text("Wycofaj zgodę", exact=True).click()
    await page.get_by_label("Uwagi do wycofania (opcjonalnie)").fill("Rodzina zmieniła zdanie.")
    await ui.check(page, "64-withdraw-consent")
    await page.get_by_role("button", name="Wycofaj zgodę teraz").click()
    await expect(page.locator(".consent--withdrawn")).to_have_count(1)
    await ui.check(page, "65-consent-withdrawn")

    response = await partner.goto(f"{web}/cases/{case_id}/diagnosis")
    assert response is not None
    assert response.status == 404
    await expect(partner.get_by_role("heading", level=1)).to_have_text("Sprawa niedostępna")
    assert "wybuchami" not in await partner.content()
    await ui.check(partner, "66-specialist-access-ended")
    await partner.goto(f"{web}/referrals")
    await expect(partner.get_by_text(SERVICE_TITLE)).to_have_count(0)
    await ui.check(partner, "67-specialist-referrals-after")
    await partner_context.close()
    await context.close()

    # 6. the public finds the service without Polish letters -----------------------------------
    public_context, public = await ui.new_page(browser)
    public.set_default_timeout(10_000)
    public_problems = ui.watch(public, web, (404, 422))
    await public.goto(f"{web}/public/basket/{TENANT}?q=sciezka+zmian")
    found = public.get_by_role("link", name=SERVICE_TITLE)
    await expect(found).to_be_visible()
    await ui.check(public, "68-public-search")
    await found.click()
    await expect(public.get_by_role("heading", level=1)).to_have_text(SERVICE_TITLE)
    await ui.check(public, "69-public-service")
    await public_context.close()

    assert not coord_problems, coord_problems
    assert not problems, problems
    assert not partner_problems, partner_problems
    assert not public_problems, public_problems
