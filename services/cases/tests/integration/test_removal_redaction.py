"""A removed family member's data leaves the case's free text (ADR 0017): what is certainly them
is replaced by the marker, what only may be them waits for the case manager, and afterwards no
text column of any table (sealed ones opened) holds it."""

from __future__ import annotations

import asyncpg

from cases.adapters.sealing import SEALED, open_value
from shared.db.engine import asyncpg_url

MARKER = "[osoba usunięta]"


def plain_url(url: str) -> str:
    return asyncpg_url(url).replace("postgresql+asyncpg://", "postgresql://")


async def every_text(c) -> str:
    """Every text, JSON and array column of every table, sealed columns opened."""
    vault = c.app.state.pesel_vault
    conn = await asyncpg.connect(plain_url(c.runtime.settings.database_url))
    out = []
    try:
        columns = await conn.fetch(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'public' AND data_type IN "
            "('text', 'character varying', 'jsonb', 'json', 'ARRAY', 'bytea')"
        )
        for col in columns:
            table, name, kind = col["table_name"], col["column_name"], col["data_type"]
            if table == "alembic_version":
                continue
            sealed = name in SEALED.get(table, ())
            if kind == "bytea" and not sealed:
                continue  # PESEL ciphertexts (checked by the PESEL tests), outbox bodies
            key = "id" if sealed else "NULL"
            for row in await conn.fetch(f'SELECT {key} AS id, "{name}" AS v FROM "{table}"'):
                if row["v"] is None:
                    continue
                value = (
                    open_value(vault, f"{table}.{name}", row["id"], row["v"])
                    if sealed
                    else row["v"]
                )
                out.append(f"{table}.{name}: {value}")
        for body in await conn.fetch("SELECT body FROM outbox"):
            out.append(bytes(body["body"]).decode())
    finally:
        await conn.close()
    return "\n".join(out)


async def test_removal_takes_the_person_out_of_every_table(cases):
    c = cases
    case_id, (mother, child) = await c.open_case()
    pesel = c.family()[1]["pesel"]  # born 5 March 2014
    certain = f"Bartłomiej Zmyślony (PESEL {pesel}, ur. 05.03.2014) opuszcza zajęcia"
    entry = {"area": "health", "perspective": "family", "text": certain}
    assert (await c.post("manager-a", f"/v1/cases/{case_id}/diagnosis", entry)).status_code == 201
    plan = {"goals": [{"id": "g1", "title": "Powrót Bartka do szkoły",
                       "actions": [{"title": "Bartłomiej na zajęciach wyrównawczych",
                                    "responsible": {"kind": "family"}}]}]}  # fmt: skip
    assert (await c.put("manager-a", f"/v1/cases/{case_id}/plan", plan)).status_code == 200
    before = await every_text(c)
    assert "Bartłomiej" in before

    response = await c.request("DELETE", "manager-a", f"/v1/cases/{case_id}/family/{child}")
    assert response.status_code == 204, response.text
    after = await every_text(c)
    assert pesel not in after
    assert "05.03.2014" not in after
    assert "Bartłomiej" not in after
    assert MARKER in after
    assert "Bartka" in after  # a diminutive: not replaced automatically, but queued

    queue = (await c.get("manager-a", f"/v1/cases/{case_id}/redactions")).json()
    assert [(r["place"], r["reason"], r["fragments"]) for r in queue] == [
        ("plan_versions.goals", "inflected", ["Bartka"])
    ]
    assert queue[0]["excerpts"] == ["Powrót Bartka do szkoły"]
    assert queue[0]["place_name"] == "Plan wsparcia: cele i działania"
    # Only the case manager sees or works the queue.
    assert (await c.get("manager-b", f"/v1/cases/{case_id}/redactions")).status_code == 404
    url = f"/v1/cases/{case_id}/redactions/{queue[0]['id']}"
    applied = await c.post("manager-a", f"{url}/apply")
    assert applied.json() == {"replaced": 1}
    assert (await c.post("manager-a", f"{url}/apply")).status_code == 404  # done already
    assert (await c.get("manager-a", f"/v1/cases/{case_id}/redactions")).json() == []

    final = await every_text(c)
    for trace in ("Bartłomiej", "Bartka", "Zmyślony", pesel, "05.03.2014"):
        assert trace not in final, trace
    plan_now = (await c.get("manager-a", f"/v1/cases/{case_id}/plan")).json()
    assert plan_now["goals"][0]["title"] == f"Powrót {MARKER} do szkoły"
    # Recorded without personal data: the removal and the redaction in the access log.
    log = (await c.get("manager-a", f"/v1/cases/{case_id}/access-log")).json()
    whats = [e["what"] for e in log]
    assert {"family.remove", "redactions", "redaction.apply"} <= set(whats)
    assert not c.scan(await c.outbox_bodies())
    assert mother


async def test_a_false_match_is_dismissed_unchanged(cases):
    c = cases
    case_id, (_mother, child) = await c.open_case()
    text = "Bardzo dobra współpraca z Barbarą z poradni"
    entry = {"area": "work", "perspective": "family", "text": text}
    assert (await c.post("manager-a", f"/v1/cases/{case_id}/diagnosis", entry)).status_code == 201
    response = await c.request("DELETE", "manager-a", f"/v1/cases/{case_id}/family/{child}")
    assert response.status_code == 204
    [item] = (await c.get("manager-a", f"/v1/cases/{case_id}/redactions")).json()
    assert item["fragments"] == ["Barbarą"]
    url = f"/v1/cases/{case_id}/redactions/{item['id']}"
    assert (await c.post("manager-a", f"{url}/dismiss")).json() == {"replaced": 0}
    diagnosis = (await c.get("manager-a", f"/v1/cases/{case_id}/diagnosis")).json()
    work = next(a for a in diagnosis if a["area"] == "work")
    assert work["family_view"][0]["text"] == text
    assert (await c.get("manager-a", f"/v1/cases/{case_id}/redactions")).json() == []
