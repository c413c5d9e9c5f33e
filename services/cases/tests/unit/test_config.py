"""The PESEL keys: production refuses to start without them; elsewhere a pair is made."""

from __future__ import annotations

import pytest
from pydantic import SecretStr, ValidationError

from cases.adapters.crypto import new_key
from cases.config import CasesSettings

BASE = {
    "database_url": "postgresql://cases@127.0.0.1:1/cases",
    "nats_url": "nats://127.0.0.1:1",
    "oidc_issuer": "http://127.0.0.1:1/realms/cus",
}


@pytest.fixture(autouse=True)
def _no_keys_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CASES_PESEL_KEY", "CASES_PESEL_HASH_KEY", "CASES_ENVIRONMENT"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize(
    "given",
    [{}, {"cases_pesel_key": SecretStr(new_key())}, {"cases_pesel_hash_key": SecretStr(new_key())}],
)
def test_production_refuses_to_start_without_both_keys(given: dict[str, SecretStr]) -> None:
    with pytest.raises(ValidationError, match="CASES_PESEL_KEY and CASES_PESEL_HASH_KEY"):
        CasesSettings(**BASE, cases_environment="production", **given)  # type: ignore[arg-type]


def test_production_uses_the_keys_it_is_given() -> None:
    key, hash_key = new_key(), new_key()
    settings = CasesSettings(
        **BASE,  # type: ignore[arg-type]
        cases_environment="production",
        cases_pesel_key=SecretStr(key),
        cases_pesel_hash_key=SecretStr(hash_key),
    )
    assert settings.cases_pesel_key is not None
    assert settings.cases_pesel_key.get_secret_value() == key
    assert settings.cases_pesel_hash_key is not None
    assert settings.cases_pesel_hash_key.get_secret_value() == hash_key


def test_development_without_keys_makes_a_pair() -> None:
    settings = CasesSettings(**BASE)  # type: ignore[arg-type]
    assert settings.cases_pesel_key is not None
    assert settings.cases_pesel_hash_key is not None
    assert (
        settings.cases_pesel_key.get_secret_value()
        != settings.cases_pesel_hash_key.get_secret_value()
    )
