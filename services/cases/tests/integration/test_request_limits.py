"""NUL in any text of a case (which PostgreSQL refuses; it made the service answer 500) gets 422
naming the field, without echoing the value, and changes nothing (issue 12, ADR 0009)."""

from __future__ import annotations

from sqlalchemy import text

TABLES = ("cases", "family_members", "consents", "outbox")


async def counts(c) -> dict[str, int]:
    async with c.runtime.engine.connect() as conn:
        return {
            t: int((await conn.execute(text(f"SELECT count(*) FROM {t}"))).scalar_one())
            for t in TABLES
        }


def fields(response) -> list[tuple[str, str]]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return [(e["location"], e["field"]) for e in response.json()["errors"]]


async def test_nul_in_a_family_member_is_refused_naming_the_field(cases):
    c = cases
    before = await counts(c)
    family = c.family()
    family[0]["first_name"] = "Ann\x00a"
    family[1]["pesel"] = c.PESEL_MOTHER[:5] + "\x00" + c.PESEL_MOTHER[6:]
    response = await c.post("manager-a", "/v1/cases", {"family": family})
    assert fields(response) == [("body", "family.0.first_name"), ("body", "family.1.pesel")]
    assert c.PESEL_MOTHER[6:] not in response.text
    search = await c.post("manager-a", "/v1/families/search", {"pesel": "\x00"})
    assert fields(search) == [("body", "pesel")]
    assert await counts(c) == before
