"""The case's free text sealed at rest (ADR 0017): no plaintext in the database, the API unchanged,
a value moved to another row refused, the key rotation re-sealing free text with old values
readable meanwhile, and the migration sealing rows written before it."""

from __future__ import annotations

import asyncio
import base64
import os
import sys
import uuid
from datetime import timedelta

import asyncpg
import pytest
from sqlalchemy import text

from cases.adapters.crypto import PeselVault, UnreadableText, decode_key, new_key
from cases.adapters.sealing import SEALED, use_vault
from cases.rotate_pesel_keys import remaining_texts, rotate_texts
from shared import clock
from shared.db.engine import asyncpg_url
from shared.db.migrations import upgrade
from shared.testing.plugin import service_dir

NOTE = "Sąd rodzinny: ograniczenie władzy rodzicielskiej, kurator od marca"
GOAL = "Terapia uzależnienia ojca w poradni"
REVIEW_NOTE = "Ojciec po detoksie, kontynuuje terapię"
MEETING_NOTE = "Rozmowa o wyroku sądu i leczeniu matki"
SECRETS = [NOTE, GOAL, REVIEW_NOTE, MEETING_NOTE, "Poufne: matka zgłasza epizody depresyjne"]


def plain_url(url: str) -> str:
    return asyncpg_url(url).replace("postgresql+asyncpg://", "postgresql://")


async def rich_case(c) -> tuple[str, list[str]]:
    """A case with text in every sealed place the API writes."""
    case_id, people, _consent = await c.team_case()
    team = (await c.get("manager-a", f"/v1/cases/{case_id}/team")).json()
    member_id = team[1]["id"]
    entry = {"area": "health", "perspective": "family", "text": c.DIAGNOSIS_TEXT}
    r = await c.post("manager-a", f"/v1/cases/{case_id}/diagnosis", entry)
    assert r.status_code == 201, r.text
    action = {"title": "Wizyty w poradni", "responsible": {"kind": "family"}}
    plan = {"goals": [{"id": "g1", "title": GOAL, "actions": [action]}]}
    assert (await c.put("manager-a", f"/v1/cases/{case_id}/plan", plan)).status_code == 200
    goal = {"goal_id": "g1", "status": "progressed", "note": REVIEW_NOTE}
    review = {"reviewed_on": str(clock.today()), "notes": REVIEW_NOTE, "goals": [goal]}
    assert (await c.post("manager-a", f"/v1/cases/{case_id}/reviews", review)).status_code == 201
    service_id = await c.offering()
    referral_id = await c.created(
        "manager-a", f"/v1/cases/{case_id}/referrals", {"service_id": service_id, "note": NOTE}
    )
    assert referral_id
    starts = clock.now() + timedelta(days=1)
    meeting_id = await c.created(
        "manager-a", f"/v1/cases/{case_id}/meetings",
        {"kind": "meeting", "starts_at": starts.isoformat(), "place": "OPS, pokój 4",
         "participants": [{"kind": "case_manager"}, {"kind": "member", "member_id": member_id}],
         "agenda": [GOAL]},
    )  # fmt: skip
    held = await c.post("manager-a", f"/v1/meetings/{meeting_id}/held",
                        {"held_at": starts.isoformat(), "notes": MEETING_NOTE,
                         "decisions": [{"text": NOTE, "family_consent": "given"}]})  # fmt: skip
    assert held.status_code == 200, held.text
    return case_id, people


async def sealed_values(url: str) -> list[tuple[str, str, bytes]]:
    conn = await asyncpg.connect(plain_url(url))
    try:
        out = []
        for table, columns in SEALED.items():
            for column in columns:
                for row in await conn.fetch(
                    f"SELECT id, {column} AS v FROM {table} WHERE {column} IS NOT NULL"
                ):
                    out.append((f"{table}.{column}", str(row["id"]), bytes(row["v"])))
        return out
    finally:
        await conn.close()


async def test_free_text_is_ciphertext_at_rest_and_plain_through_the_api(cases):
    c = cases
    case_id, _people = await rich_case(c)
    values = await sealed_values(c.runtime.settings.database_url)
    places = {place for place, _, _ in values}
    assert {"diagnosis_entries.text", "plan_versions.goals", "monitoring_reviews.notes",
            "monitoring_reviews.goals", "referrals.note", "referrals.history",
            "meetings.notes", "meetings.decisions", "meetings.agenda"} <= places  # fmt: skip
    for _place, _id, blob in values:
        for secret in [*SECRETS, "depresyjne", "Terapia", "sądu"]:
            assert secret.encode() not in blob
            assert secret.encode("utf-16-le") not in blob
    # Nor anywhere in the database's text, as PostgreSQL would show it.
    conn = await asyncpg.connect(plain_url(c.runtime.settings.database_url))
    try:
        for table in SEALED:
            dump = await conn.fetchval(
                f"SELECT coalesce(string_agg(t::text, ''), '') FROM {table} t"
            )
            assert not [s for s in SECRETS if s in dump], table
    finally:
        await conn.close()

    # The API shows the same text as was written.
    diagnosis = (await c.get("manager-a", f"/v1/cases/{case_id}/diagnosis")).json()
    health = next(a for a in diagnosis if a["area"] == "health")
    assert health["family_view"][0]["text"] == c.DIAGNOSIS_TEXT
    plan = (await c.get("manager-a", f"/v1/cases/{case_id}/plan")).json()
    assert plan["goals"][0]["title"] == GOAL
    view = (await c.get("manager-a", f"/v1/cases/{case_id}")).json()
    assert view["plan"]["goals"][0]["title"] == GOAL
    assert view["referrals"][0]["note"] == NOTE
    assert [h["to"] for h in view["referrals"][0]["history"]] == ["draft", "requested"]
    [referral] = (await c.get("manager-a", f"/v1/cases/{case_id}/referrals")).json()
    assert referral["note"] == NOTE
    [review] = (await c.get("manager-a", f"/v1/cases/{case_id}/reviews")).json()
    assert (review["notes"], review["goals"][0]["note"], review["goals"][0]["title"]) == (
        REVIEW_NOTE, REVIEW_NOTE, GOAL
    )  # fmt: skip
    [meeting] = (await c.get("manager-a", f"/v1/cases/{case_id}/meetings")).json()
    assert (meeting["notes"], meeting["agenda"], meeting["decisions"][0]["text"]) == (
        MEETING_NOTE, [GOAL], NOTE
    )  # fmt: skip
    # The team member, whom the consent shares it with, reads it too.
    partner = (await c.get("partner-a", f"/v1/cases/{case_id}/plan")).json()
    assert partner["goals"][0]["title"] == GOAL
    # Events still carry none of it.
    assert not [s for s in SECRETS if any(s.encode() in b for b in await c.outbox_bodies())]


async def test_a_value_moved_to_another_row_or_column_is_refused(cases):
    c = cases
    case_id, _ = await c.open_case()
    for words in ("Pierwszy wpis diagnozy", "Drugi wpis diagnozy"):
        r = await c.post("manager-a", f"/v1/cases/{case_id}/diagnosis",
                         {"area": "work", "perspective": "family", "text": words})  # fmt: skip
        assert r.status_code == 201
    vault = c.app.state.pesel_vault
    async with c.runtime.engine.begin() as conn:
        rows = (
            await conn.execute(text("SELECT id, text FROM diagnosis_entries ORDER BY id"))
        ).all()
        (id1, blob1), (id2, _blob2) = rows
        # The vault opens each only as what and where it was sealed.
        assert vault.open_text("diagnosis_entries.text", id1, bytes(blob1)) in (
            "Pierwszy wpis diagnozy", "Drugi wpis diagnozy"
        )  # fmt: skip
        with pytest.raises(UnreadableText):
            vault.open_text("diagnosis_entries.text", id2, bytes(blob1))
        with pytest.raises(UnreadableText):
            vault.open_text("meetings.notes", id1, bytes(blob1))
        tampered = bytes(blob1[:-1]) + bytes([blob1[-1] ^ 1])
        with pytest.raises(UnreadableText):
            vault.open_text("diagnosis_entries.text", id1, tampered)
        # Copy the first entry's ciphertext over the second's, as an attacker with SQL could.
        await conn.execute(
            text("UPDATE diagnosis_entries SET text = :b WHERE id = :i"), {"b": blob1, "i": id2}
        )
    response = await c.get("manager-a", f"/v1/cases/{case_id}/diagnosis")
    assert response.status_code == 500
    assert "Pierwszy" not in response.text
    assert "Drugi" not in response.text


async def test_rotation_reseals_free_text_and_old_values_read_meanwhile(cases):
    c = cases
    case_id, _people = await rich_case(c)
    settings = c.runtime.settings
    old_key = decode_key(settings.cases_pesel_key.get_secret_value(), "k")
    old_hash = decode_key(settings.cases_pesel_hash_key.get_secret_value(), "h")
    old_vault = PeselVault(old_key, old_hash)
    before = await sealed_values(settings.database_url)
    assert {b[1:9].hex() for _, _, b in before} == {old_vault.key_id}

    # The service restarts with new keys and the old ones as previous keys.
    new_key_, new_hash = decode_key(new_key(), "k"), decode_key(new_key(), "h")
    vault = PeselVault(new_key_, new_hash, [old_key, old_hash])
    c.app.state.pesel_vault = vault
    use_vault(vault, c.runtime.sessions, c.runtime.read_sessions)
    sessions = c.runtime.sessions
    outdated = await remaining_texts(sessions, vault)
    assert outdated == 5  # rows: diagnosis, plan, review, referral, meeting

    async def shown() -> tuple[str, str, str]:
        view = (await c.get("manager-a", f"/v1/cases/{case_id}")).json()
        [meeting] = (await c.get("manager-a", f"/v1/cases/{case_id}/meetings")).json()
        return view["plan"]["goals"][0]["title"], view["referrals"][0]["note"], meeting["notes"]

    assert await shown() == (GOAL, NOTE, MEETING_NOTE)
    # During: one batch of one row moved; old and new key side by side, all readable.
    report = await rotate_texts(sessions, vault, batch_size=1, max_batches=1)
    assert report.rotated >= 1
    assert report.unreadable == 0
    assert await remaining_texts(sessions, vault) == outdated - 1
    assert await shown() == (GOAL, NOTE, MEETING_NOTE)
    # A new text is sealed under the new key at once.
    r = await c.post("manager-a", f"/v1/cases/{case_id}/diagnosis",
                     {"area": "work", "perspective": "family", "text": "Nowy wpis"})  # fmt: skip
    assert r.status_code == 201
    kids = {b[1:9].hex() for _, _, b in await sealed_values(settings.database_url)}
    assert kids == {old_vault.key_id, vault.key_id}

    # The one command finishes PESELs and free text, as an operator runs it.
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "CASES_PESEL_KEY": base64.b64encode(new_key_).decode(),
        "CASES_PESEL_HASH_KEY": base64.b64encode(new_hash).decode(),
        "CASES_PESEL_PREVIOUS_KEYS": ",".join(
            base64.b64encode(k).decode() for k in (old_key, old_hash)
        ),
    }
    dry = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "cases.rotate_pesel_keys", "--dry-run", env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await dry.communicate()
    assert dry.returncode == 0, err.decode()
    assert f"tekst spraw do przeniesienia: {outdated - 1}" in out.decode()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "cases.rotate_pesel_keys", "--batch-size", "2", env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    assert "PESEL: przeniesiono na bieżące klucze 2, nieczytelne 0" in out.decode()
    assert "tekst spraw: przeniesiono na bieżące klucze" in out.decode()
    assert not [s for s in SECRETS if s in out.decode() + err.decode()]
    after = await sealed_values(settings.database_url)
    assert {b[1:9].hex() for _, _, b in after} == {vault.key_id}
    assert {(p, i) for p, i, _ in after} == {(p, i) for p, i, _ in before} | {
        (p, i) for p, i, _ in after if p == "diagnosis_entries.text"
    }

    # After: the old keys can go.
    only_new = PeselVault(new_key_, new_hash)
    c.app.state.pesel_vault = only_new
    use_vault(only_new, c.runtime.sessions, c.runtime.read_sessions)
    assert await shown() == (GOAL, NOTE, MEETING_NOTE)
    assert await remaining_texts(sessions, only_new) == 0
    again = await rotate_texts(sessions, only_new)
    assert (again.rotated, again.unreadable) == (0, 0)
    # What no configured key opens is counted and left alone.
    stranger = PeselVault(decode_key(new_key(), "k"), decode_key(new_key(), "h"))
    lost = await rotate_texts(sessions, stranger)
    assert lost.rotated == 0
    assert lost.unreadable == len(after)
    assert await sealed_values(settings.database_url) == after


async def test_the_migration_seals_text_written_before_it(databases):
    """Rows written at the previous revision, in plain text, are sealed by the migration with
    CASES_PESEL_KEY, and the service reads them; without the key the migration refuses."""
    name = f"cases_mig_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(plain_url(databases.admin_url))
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    db = databases.url(name)
    await asyncio.to_thread(upgrade, service_dir("cases"), db, "9f3c1d7e5a20")
    case_id, entry_id, plan_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    conn = await asyncpg.connect(plain_url(db))
    try:
        await conn.execute(
            "INSERT INTO cases (id, tenant, manager_subject, manager_username, state, opened_at,"
            " family_size, close_note) VALUES ($1, '1219053', 's', 'm', 'intake', now(), 1, $2)",
            case_id, NOTE,
        )  # fmt: skip
        await conn.execute(
            "INSERT INTO diagnosis_entries (id, case_id, tenant, area, perspective, text,"
            " author_username, recorded_at) VALUES ($1, $2, '1219053', 'health', 'family', $3,"
            " 'm', now())",
            entry_id, case_id, SECRETS[-1],
        )  # fmt: skip
        await conn.execute(
            "INSERT INTO plan_versions (id, case_id, tenant, version, goals, created_by,"
            " created_at) VALUES ($1, $2, '1219053', 1, $3::jsonb, 'm', now())",
            plan_id, case_id, '[{"id": "g1", "title": "' + GOAL + '", "actions": []}]',
        )  # fmt: skip
    finally:
        await conn.close()

    saved = {k: os.environ.pop(k) for k in list(os.environ) if k.startswith("CASES_PESEL")}
    try:
        with pytest.raises(RuntimeError, match="CASES_PESEL_KEY"):
            await asyncio.to_thread(upgrade, service_dir("cases"), db)
        key, hash_key = new_key(), new_key()
        os.environ["CASES_PESEL_KEY"] = key
        await asyncio.to_thread(upgrade, service_dir("cases"), db)
    finally:
        os.environ.pop("CASES_PESEL_KEY", None)
        os.environ.update(saved)
    vault = PeselVault(decode_key(key, "k"), decode_key(hash_key, "h"))
    conn = await asyncpg.connect(plain_url(db))
    try:
        note = bytes(await conn.fetchval("SELECT close_note FROM cases"))
        entry = bytes(await conn.fetchval("SELECT text FROM diagnosis_entries"))
        goals = bytes(await conn.fetchval("SELECT goals FROM plan_versions"))
        assert NOTE.encode() not in note
        assert GOAL.encode() not in goals
        assert vault.open_text("cases.close_note", case_id, note) == NOTE
        assert vault.open_text("diagnosis_entries.text", entry_id, entry) == SECRETS[-1]
        assert '"title":"' + GOAL + '"' in vault.open_text("plan_versions.goals", plan_id, goals)
        assert await conn.fetchval("SELECT count(*) FROM redactions") == 0
    finally:
        await conn.close()
