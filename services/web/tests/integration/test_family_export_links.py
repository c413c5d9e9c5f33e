"""The case page offers the case manager the family's copy of its data (ADR 0016) as JSON and as
PDF; the links go through the web's backend for the front end, which streams the cases service's
file on as a download — and a case manager of another municipality gets no file."""

from __future__ import annotations

import json
import re
from urllib.parse import urljoin

import httpx

FORM_ACTION = re.compile(r'<form method="post" action="([^"]+)"')


async def _sign_in(client: httpx.AsyncClient, web_url: str, username: str) -> None:
    start = await client.get(f"{web_url}/login", params={"next": "/"})
    assert start.status_code == 302, start.text
    page = await client.get(start.headers["location"], follow_redirects=True)
    match = FORM_ACTION.search(page.text)
    assert match, page.text
    response = await client.post(
        urljoin(str(page.url), match.group(1).replace("&amp;", "&")),
        data={"username": username, "password": "demo"},
    )
    while response.is_redirect:
        response = await client.get(urljoin(str(response.url), response.headers["location"]))
    assert response.status_code == 200, response.text[:300]


async def test_the_case_manager_downloads_the_familys_data_as_json_and_pdf(stack):
    headers = await stack.tokens.headers("manager-a")
    family = [{"first_name": "Halina", "last_name": "Eksportowa", "year_of_birth": 1980}]
    async with httpx.AsyncClient(base_url=stack.cases_url, timeout=20) as api:
        created = await api.post("/v1/cases", json={"family": family}, headers=headers)
        assert created.status_code == 201, created.text
        case_id = created.json()["id"]
    async with httpx.AsyncClient(timeout=30) as client:
        await _sign_in(client, stack.web_url, "manager-a")
        page = await client.get(f"{stack.web_url}/cases/{case_id}")
        assert page.status_code == 200, page.text[:300]
        assert "Eksport danych rodziny (JSON)" in page.text
        assert "Eksport danych rodziny (PDF)" in page.text
        assert f'href="/cases/{case_id}/export?format=json"' in page.text
        assert f'href="/cases/{case_id}/export?format=pdf"' in page.text

        data = await client.get(f"{stack.web_url}/cases/{case_id}/export?format=json")
        assert data.status_code == 200, data.text[:300]
        assert data.headers["content-type"].startswith("application/json")
        assert data.headers["content-disposition"].startswith("attachment; filename=")
        assert data.headers["cache-control"] == "no-store"
        exported = json.loads(data.content.decode("utf-8"))
        assert exported["format"] == "cus-family-export"
        assert [p["last_name"] for p in exported["family"]] == ["Eksportowa"]

        pdf = await client.get(f"{stack.web_url}/cases/{case_id}/export?format=pdf")
        assert pdf.status_code == 200
        assert pdf.headers["content-type"] == "application/pdf"
        assert pdf.headers["content-disposition"].startswith("attachment; filename=")
        assert pdf.content.startswith(b"%PDF")

        log = await client.get(f"{stack.web_url}/cases/{case_id}/access-log")
        assert "udostępnienie rodzinie (kopia danych)" in log.text
        assert "kopia danych rodziny (JSON)" in log.text
        assert "Eksport danych rodziny (PDF)" in log.text

    async with httpx.AsyncClient(timeout=30) as client:
        await _sign_in(client, stack.web_url, "manager-b")
        other = await client.get(f"{stack.web_url}/cases/{case_id}/export?format=json")
        assert other.status_code == 404
        assert "Eksportowa" not in other.text
