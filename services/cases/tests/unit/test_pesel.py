"""PESEL: the check digit and the date, and its protection (encryption, keyed hash)."""

from __future__ import annotations

import datetime
import os

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from cases.adapters.crypto import PeselVault, decode_key, new_key
from cases.domain import pesel


@pytest.mark.parametrize(
    ("first_ten", "born"),
    [
        ("8503150123", datetime.date(1985, 3, 15)),
        ("0226300001", datetime.date(2002, 6, 30)),  # +20 on the month: 2000s
        ("9982281234", datetime.date(1899, 2, 28)),  # +80: 1800s
    ],
)
def test_valid_numbers_and_their_birth_date(first_ten, born):
    number = pesel.with_check_digit(first_ten)
    assert pesel.validate(number) == number
    assert pesel.birth_date(number) == born


def test_known_public_example():
    assert pesel.validate("44051401359") == "44051401359"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("44051401358", "cyfra kontrolna"),
        ("4405140135", "11 cyfr"),
        ("4405140135a", "11 cyfr"),
        (pesel.with_check_digit("8513150123"), "datę"),  # month 13
        (pesel.with_check_digit("8502300123"), "datę"),  # 30 February
    ],
)
def test_invalid_numbers_are_refused_without_echo(value, message):
    with pytest.raises(pesel.InvalidPesel) as error:
        pesel.validate(value)
    assert message in str(error.value)
    assert value not in str(error.value)


def test_vault_encrypts_with_a_fresh_nonce_and_hashes_with_its_own_key():
    vault = PeselVault(decode_key(new_key(), "k"), decode_key(new_key(), "h"))
    first, second = vault.encrypt("44051401359"), vault.encrypt("44051401359")
    assert first != second
    assert b"44051401359" not in first
    assert (
        vault.decrypt(first, vault.key_id) == vault.decrypt(second, vault.key_id) == "44051401359"
    )
    assert vault.lookup_hash("44051401359") == vault.lookup_hash("44051401359")
    other = PeselVault(decode_key(new_key(), "k"), decode_key(new_key(), "h"))
    assert other.lookup_hash("44051401359") != vault.lookup_hash("44051401359")
    assert "key" not in repr(vault).replace("keys hidden", "")
    assert other.decrypt(first, vault.key_id) is None  # another key: unreadable, not an error
    assert other.decrypt(first, other.key_id) is None


def test_keys_must_be_32_bytes_and_different():
    with pytest.raises(ValueError, match="32 bytes"):
        decode_key("c2hvcnQ=", "CASES_PESEL_KEY")
    key = decode_key(new_key(), "k")
    with pytest.raises(ValueError, match="differ"):
        PeselVault(key, key)


def test_previous_keys_stay_readable_and_findable_and_legacy_blobs_open():
    old_key, old_hash = decode_key(new_key(), "k"), decode_key(new_key(), "h")
    old = PeselVault(old_key, old_hash)
    sealed = old.seal("44051401359")
    assert (sealed.key_id, sealed.hash_key_id) == (old.key_id, old.hash_key_id)
    assert sealed.key_id != sealed.hash_key_id
    new = PeselVault(decode_key(new_key(), "k"), decode_key(new_key(), "h"), [old_key, old_hash])
    assert new.key_id != old.key_id
    assert new.decrypt(sealed.ciphertext, sealed.key_id) == "44051401359"
    hashes = dict(new.lookup_hashes("44051401359"))
    assert hashes[old.hash_key_id] == sealed.lookup_hash
    assert hashes[new.hash_key_id] == new.lookup_hash("44051401359")
    # A ciphertext cannot be relabelled with another key id.
    assert new.decrypt(sealed.ciphertext, new.key_id) is None
    # Numbers stored before key ids (associated data v1, no id): every known key is tried.
    nonce = os.urandom(12)
    legacy = nonce + AESGCM(old_key).encrypt(nonce, b"44051401359", b"cus-cases-pesel-v1")
    assert new.decrypt(legacy) == "44051401359"
    assert (
        PeselVault(decode_key(new_key(), "k"), decode_key(new_key(), "h")).decrypt(legacy) is None
    )
    assert "=" not in repr(new)
