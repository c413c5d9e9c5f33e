"""PESEL key rotation (ADR 0026): a family is found by its PESEL before, during (some numbers under
the old keys, some under the new) and after a rotation; the command is idempotent and resumable,
labels numbers stored before key ids, and leaves alone what no configured key opens."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import os
import sys

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import text

from cases.adapters.crypto import PeselVault, decode_key, new_key
from cases.rotate_pesel_keys import remaining, rotate


def keys_of(c) -> tuple[bytes, bytes]:
    settings = c.runtime.settings
    return (
        decode_key(settings.cases_pesel_key.get_secret_value(), "k"),
        decode_key(settings.cases_pesel_hash_key.get_secret_value(), "h"),
    )


async def make_legacy(c, case_id: str, key: bytes, hash_key: bytes) -> None:
    """Store the case's PESELs as the service did before key ids: no ids, associated data v1."""
    async with c.runtime.engine.begin() as conn:
        for pesel in (c.PESEL_MOTHER, c.family()[1]["pesel"]):
            nonce = os.urandom(12)
            blob = nonce + AESGCM(key).encrypt(nonce, pesel.encode(), b"cus-cases-pesel-v1")
            digest = hmac.new(hash_key, pesel.encode(), hashlib.sha256).hexdigest()
            await conn.execute(
                text(
                    "UPDATE family_members SET pesel_encrypted = :b, pesel_hash = :h, "
                    "pesel_key_id = NULL, pesel_hash_key_id = NULL "
                    "WHERE case_id = :c AND pesel_hash IS NOT NULL AND year_of_birth = :y"
                ),
                {
                    "b": blob,
                    "h": digest,
                    "c": case_id,
                    "y": 1985 if pesel == c.PESEL_MOTHER else 2014,
                },
            )


async def found(c, pesel: str) -> set[str]:
    response = await c.post("manager-a", "/v1/families/search", {"pesel": pesel})
    assert response.status_code == 200, response.text
    return set(response.json()["case_ids"])


async def pesels_shown(c, case_id: str) -> list[str | None]:
    family = (await c.get("manager-a", f"/v1/cases/{case_id}/family")).json()
    return sorted(p["pesel"] or "" for p in family)


async def key_ids(c) -> set[tuple[str | None, str | None]]:
    async with c.runtime.engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT DISTINCT pesel_key_id, pesel_hash_key_id FROM family_members "
                 "WHERE pesel_encrypted IS NOT NULL")
        )  # fmt: skip
        return {(r[0], r[1]) for r in rows}


async def test_a_family_is_found_before_during_and_after_rotation(cases):
    c = cases
    child_pesel = c.family()[1]["pesel"]
    old_key, old_hash = keys_of(c)
    cases_ = {(await c.open_case())[0] for _ in range(3)}
    legacy_case = sorted(cases_)[0]
    await make_legacy(c, legacy_case, old_key, old_hash)
    expected = sorted([c.PESEL_MOTHER, child_pesel])

    # Before: under the old keys (one case's numbers even without key ids).
    assert await found(c, c.PESEL_MOTHER) == cases_
    assert await pesels_shown(c, legacy_case) == expected

    old_ids = (PeselVault(old_key, old_hash).key_id, PeselVault(old_key, old_hash).hash_key_id)
    assert await key_ids(c) == {old_ids, (None, None)}

    # The service restarts with new keys and the old ones as previous keys.
    new_key_, new_hash = decode_key(new_key(), "k"), decode_key(new_key(), "h")
    vault = PeselVault(new_key_, new_hash, [old_key, old_hash])
    c.app.state.pesel_vault = vault
    sessions = c.runtime.sessions
    assert await remaining(sessions, vault) == 6
    assert await found(c, c.PESEL_MOTHER) == cases_

    # During: one batch of two moved, four still under the old keys (two with no ids).
    report = await rotate(sessions, vault, batch_size=2, max_batches=1)
    assert (report.rotated, report.unreadable) == (2, 0)
    assert await remaining(sessions, vault) == 4
    assert (vault.key_id, vault.hash_key_id) in await key_ids(c)
    assert len(await key_ids(c)) >= 2  # the new keys beside the old ones (or no ids)
    # A case opened now stores its numbers under the new keys.
    fresh, _ = await c.open_case()
    cases_.add(fresh)
    assert await found(c, c.PESEL_MOTHER) == cases_
    assert await found(c, child_pesel) == cases_
    for case_id in cases_:
        assert await pesels_shown(c, case_id) == expected

    # The command finishes the job, as an operator runs it.
    settings = c.runtime.settings
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "CASES_PESEL_KEY": base64.b64encode(new_key_).decode(),
        "CASES_PESEL_HASH_KEY": base64.b64encode(new_hash).decode(),
        "CASES_PESEL_PREVIOUS_KEYS": ",".join(
            base64.b64encode(k).decode() for k in (old_key, old_hash)
        ),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "cases.rotate_pesel_keys", "--batch-size", "3", env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    assert "przeniesiono na bieżące klucze 4, nieczytelne 0" in out.decode()
    assert c.PESEL_MOTHER not in out.decode() + err.decode()
    assert await key_ids(c) == {(vault.key_id, vault.hash_key_id)}

    # After: the old keys can go; everything is found and readable with the new ones alone.
    c.app.state.pesel_vault = PeselVault(new_key_, new_hash)
    assert await found(c, c.PESEL_MOTHER) == cases_
    assert await found(c, child_pesel) == cases_
    for case_id in cases_:
        assert await pesels_shown(c, case_id) == expected

    # Idempotent: nothing left to do.
    again = await rotate(sessions, vault, batch_size=2)
    assert (again.rotated, again.unreadable) == (0, 0)


async def test_numbers_no_key_opens_are_left_untouched_and_reported(cases):
    c = cases
    case_id, _ = await c.open_case()
    async with c.runtime.engine.connect() as conn:
        before = (await conn.execute(text("SELECT pesel_encrypted, pesel_hash FROM family_members "
                                          "ORDER BY id"))).all()  # fmt: skip
    stranger = PeselVault(decode_key(new_key(), "k"), decode_key(new_key(), "h"))
    report = await rotate(c.runtime.sessions, stranger, batch_size=1)
    assert (report.rotated, report.unreadable) == (0, 2)
    async with c.runtime.engine.connect() as conn:
        after = (await conn.execute(text("SELECT pesel_encrypted, pesel_hash FROM family_members "
                                         "ORDER BY id"))).all()  # fmt: skip
    assert after == before
    assert await found(c, c.PESEL_MOTHER) == {case_id}
    # Without explicit keys the command refuses (it would rotate to keys that die with it).
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASES_PESEL")}
    env["DATABASE_URL"] = c.runtime.settings.database_url
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "cases.rotate_pesel_keys", env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _out, err = await process.communicate()
    assert process.returncode == 2
    assert "CASES_PESEL_KEY" in err.decode()
