"""Bad input in page addresses, against the real stack (the development issuer's own login page,
the services and the web app on real ports). Where the sign-in goes back to (`next`): a bad one
never blocks the sign-in nor breaks the answer, it falls back to the start page, and a local path
with Polish letters is kept, percent-encoded. A report period outside the years the evaluation
service reports on falls back to the current quarter."""

from __future__ import annotations

import re
from urllib.parse import urljoin

import httpx
import pytest

SECURITY_HEADERS = ("content-security-policy", "x-frame-options", "x-content-type-options")
FORM_ACTION = re.compile(r'<form method="post" action="([^"]+)"')

CASES = [
    ("/ą", "/%C4%85"),
    ("/institutions?q=żółw&page=2", "/institutions?q=%C5%BC%C3%B3%C5%82w&page=2"),
    ("/a b", "/a%20b"),
    ("/x\r\nSet-Cookie: planted=1", "/"),
    ("/x\nLocation: http://evil.example/", "/"),
    ("/x\x00y", "/"),
    ("/\t/evil.example", "/"),
    ("/x\x7f", "/"),
    ("//evil.example/", "/"),
    ("/\\evil.example", "/"),
    ("https://evil.example/", "/"),
    ("javascript:alert(1)", "/"),
    ("institutions", "/"),
]


def _secured(response: httpx.Response) -> None:
    for name in SECURITY_HEADERS:
        assert name in response.headers, (name, response.status_code, response.text[:200])


async def _sign_in(
    client: httpx.AsyncClient, web_url: str, next_: str, username: str = "coord-a"
) -> httpx.Response:
    """Starts at /login?next=…, types the password on the issuer's page and returns the web's
    answer to /auth/callback (not followed)."""
    start = await client.get(f"{web_url}/login", params={"next": next_})
    assert start.status_code == 302, start.text
    _secured(start)
    page = await client.get(start.headers["location"], follow_redirects=True)
    assert page.status_code == 200, page.text
    match = FORM_ACTION.search(page.text)
    assert match, page.text
    response = await client.post(
        urljoin(str(page.url), match.group(1).replace("&amp;", "&")),
        data={"username": username, "password": "demo"},
    )
    while not str(response.url).startswith(f"{web_url}/auth/callback"):
        assert response.is_redirect, (response.status_code, response.text[:300])
        response = await client.get(urljoin(str(response.url), response.headers["location"]))
    return response


@pytest.mark.parametrize(("next_", "expected"), CASES)
async def test_the_sign_in_goes_back_only_to_a_safe_local_path(stack, next_, expected):
    async with httpx.AsyncClient(timeout=20) as client:
        callback = await _sign_in(client, stack.web_url, next_)
        assert callback.status_code == 303, callback.text
        assert callback.headers["location"] == expected
        assert "planted" not in client.cookies
        _secured(callback)
        # Signed in now: /login with the same `next` goes straight to the same place.
        again = await client.get(f"{stack.web_url}/login", params={"next": next_})
        assert again.status_code == 303, again.text
        assert again.headers["location"] == expected
        _secured(again)
        home = await client.get(f"{stack.web_url}/")
        assert home.status_code == 200
        assert "coord-a" in home.text or "Anna" in home.text


async def test_a_page_with_polish_letters_comes_back_after_sign_in(stack):
    async with httpx.AsyncClient(timeout=20) as client:
        guest = await client.get(f"{stack.web_url}/institutions/żółw")
        assert guest.status_code == 303, guest.text
        assert guest.headers["location"].startswith("/login?next=")
        _secured(guest)
        callback = await _sign_in(
            client,
            stack.web_url,
            httpx.URL(urljoin(stack.web_url, guest.headers["location"])).params["next"],
        )
        assert callback.headers["location"] == "/institutions/%C5%BC%C3%B3%C5%82w"
        page = await client.get(urljoin(stack.web_url, callback.headers["location"]))
        assert page.status_code in (404, 422), page.text[:300]
        assert page.headers["content-type"].startswith("text/html")
        _secured(page)


@pytest.mark.parametrize("period", ["0000", "9999-12", "0001-Q1", "0001-01", "1999-12", "2101"])
async def test_a_period_outside_the_reported_years_shows_the_current_quarter(stack, period):
    async with httpx.AsyncClient(timeout=20) as client:
        await _sign_in(client, stack.web_url, "/", "analyst")
        page = await client.get(f"{stack.web_url}/evaluation/reports", params={"period": period})
        assert page.status_code == 200, page.text[:500]
        _secured(page)
        assert "kwartał" in page.text
        export = await client.get(
            f"{stack.web_url}/evaluation/export.csv", params={"period": period}
        )
        assert export.status_code == 200, export.text[:500]
        assert "monitoring" in export.headers["content-disposition"]


async def test_the_first_reported_month_has_no_link_further_back(stack):
    async with httpx.AsyncClient(timeout=20) as client:
        await _sign_in(client, stack.web_url, "/", "analyst")
        page = await client.get(f"{stack.web_url}/evaluation/reports", params={"period": "2000-01"})
        assert page.status_code == 200, page.text[:500]
        assert "styczeń 2000" in page.text
        assert "period=1999-12" not in page.text
        assert "period=2000-02" in page.text


async def test_a_public_survey_answer_in_other_digits_is_a_form_error_not_a_crash(stack):
    headers = await stack.tokens.headers("coord-a")
    async with httpx.AsyncClient(base_url=stack.evaluation_url, timeout=20) as api:
        question = {"id": "q1", "text": "Jak oceniasz współpracę?", "kind": "scale"}
        survey = await api.post(
            "/v1/surveys", json={"title": "Ankieta cyfr", "questions": [question]}, headers=headers
        )
        assert survey.status_code == 201, survey.text
        links = await api.post(
            f"/v1/surveys/{survey.json()['id']}/links",
            json={"contact_person_ids": ["6f1c0d1e-6a3b-4a8e-9c55-0d1f2a3b4c5d"]},
            headers=headers,
        )
        token = links.json()["links"][0]["token"]
    async with httpx.AsyncClient(base_url=stack.web_url, timeout=20) as client:
        form = await client.get(f"/ankieta/{token}")
        assert form.status_code == 200, form.text[:300]
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert csrf
        for raw in ("²", "١"):
            page = await client.post(
                f"/ankieta/{token}", data={"csrf_token": csrf.group(1), "q1": raw}
            )
            assert page.status_code == 422, (raw, page.status_code, page.text[:300])
            assert page.headers["content-type"].startswith("text/html")
            _secured(page)
        answered = await client.post(
            f"/ankieta/{token}", data={"csrf_token": csrf.group(1), "q1": "4"}
        )
        assert answered.status_code == 303, answered.text[:300]


async def test_forged_non_ascii_cookie_state_and_csrf_token_are_refused_not_a_crash(stack):
    async with httpx.AsyncClient(base_url=stack.web_url, timeout=20) as client:
        forged = await client.get("/", headers={"Cookie": "cus_session=ą.ą".encode()})
        assert forged.status_code == 200, forged.text[:300]
        _secured(forged)
        start = await client.get("/login")
        assert start.status_code == 302
        callback = await client.get("/auth/callback", params={"state": "ą", "code": "x"})
        assert callback.status_code == 400, callback.text[:300]
        assert callback.headers["content-type"].startswith("text/html")
        _secured(callback)
        post = await client.post("/logout", data={"csrf_token": "ą"})
        assert post.status_code in (303, 403), post.text[:300]
        assert post.headers["content-type"].startswith("text/html") or post.is_redirect
        _secured(post)
