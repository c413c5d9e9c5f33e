"""PESEL: the check digit and the date, and its protection (encryption, keyed hash)."""

from __future__ import annotations

import datetime

import pytest

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
    assert vault.decrypt(first) == vault.decrypt(second) == "44051401359"
    assert vault.lookup_hash("44051401359") == vault.lookup_hash("44051401359")
    other = PeselVault(decode_key(new_key(), "k"), decode_key(new_key(), "h"))
    assert other.lookup_hash("44051401359") != vault.lookup_hash("44051401359")
    assert "key" not in repr(vault).replace("keys hidden", "")
    assert other.decrypt(first) is None  # another key: unreadable, not an error


def test_keys_must_be_32_bytes_and_different():
    with pytest.raises(ValueError, match="32 bytes"):
        decode_key("c2hvcnQ=", "CASES_PESEL_KEY")
    key = decode_key(new_key(), "k")
    with pytest.raises(ValueError, match="differ"):
        PeselVault(key, key)
