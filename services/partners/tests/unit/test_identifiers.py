"""REGON, NIP, KRS, TERYT and postal codes."""

from __future__ import annotations

import pytest

from partners.domain import identifiers as ids


@pytest.mark.parametrize("value", ["123456785", "12345678512347", "123-456-785", " 123456785 "])
def test_valid_regon(value):
    assert ids.regon(value).isdigit()


@pytest.mark.parametrize("value", ["123456784", "12345678512346", "12345", "abcdefghi", ""])
def test_invalid_regon(value):
    with pytest.raises(ValueError, match="REGON"):
        ids.regon(value)


@pytest.mark.parametrize("value", ["5261040828", "526-104-08-28", "PL5261040828"])
def test_valid_nip(value):
    assert ids.nip(value) == "5261040828"


@pytest.mark.parametrize("value", ["5261040827", "123", "0000000001"])
def test_invalid_nip(value):
    with pytest.raises(ValueError, match="NIP"):
        ids.nip(value)


def test_krs_is_zero_padded_and_checked_for_form_only():
    assert ids.krs("123456") == "0000123456"
    with pytest.raises(ValueError, match="KRS"):
        ids.krs("12345678901")
    with pytest.raises(ValueError, match="KRS"):
        ids.krs("0")


def test_teryt_and_postal_code():
    assert ids.teryt("1219053") == "1219053"
    assert ids.teryt("1219") == "1219"
    for bad in ("121905", "1219056", "x219053"):
        with pytest.raises(ValueError, match="TERYT"):
            ids.teryt(bad)
    assert ids.postal_code("32020") == "32-020"
    with pytest.raises(ValueError, match="Kod pocztowy"):
        ids.postal_code("320-20")
