"""Pure rules: which addresses a webhook may reach, the back-off schedule, consent entitlement."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from notifications.domain.addresses import Allowlist, ForbiddenAddress, check_addresses
from notifications.domain.backoff import DEFAULT_DELAYS, next_delay
from notifications.domain.entitlement import Scope
from shared.consent import granted_kinds

NONE = Allowlist.parse([])


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "10.0.0.1", "192.168.1.5", "172.16.0.1", "169.254.169.254", "::1",
     "fe80::1", "::ffff:127.0.0.1", "100.64.0.1", "0.0.0.0", "224.0.0.1"],
)  # fmt: skip
def test_private_loopback_and_link_local_addresses_are_refused(address: str) -> None:
    with pytest.raises(ForbiddenAddress):
        check_addresses("example.org", [address], NONE)


def test_public_addresses_pass_and_the_allowlist_admits_named_ones() -> None:
    assert check_addresses("example.org", ["93.184.216.34"], NONE) == ["93.184.216.34"]
    with pytest.raises(ForbiddenAddress):  # one private answer among public ones is enough
        check_addresses("example.org", ["93.184.216.34", "10.0.0.1"], NONE)
    dev = Allowlist.parse(["127.0.0.1", "receiver.local", "10.1.0.0/16"])
    assert check_addresses("localhost", ["127.0.0.1"], dev)
    assert check_addresses("receiver.local", ["192.168.0.9"], dev)
    assert check_addresses("x", ["10.1.2.3"], dev)
    with pytest.raises(ForbiddenAddress):
        check_addresses("x", ["10.2.0.1"], dev)


def test_back_off_spans_more_than_a_day_with_jitter() -> None:
    assert sum(DEFAULT_DELAYS) >= 24 * 3600
    rng = random.Random(1)
    first = [next_delay(1, DEFAULT_DELAYS, 0.2, rng) for _ in range(50)]
    assert all(d is not None and 4.0 <= d <= 6.0 for d in first)
    assert len(set(first)) > 1
    assert next_delay(len(DEFAULT_DELAYS) + 1, DEFAULT_DELAYS) is None


X, Y, Z = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)


def test_consent_covers_named_institutions_and_sectors_until_it_expires() -> None:
    consent, kinds = uuid.uuid4(), frozenset({"referrals", "plan"})
    scopes = [
        Scope(consent, X, None, NOW + timedelta(days=30), None, kinds, NOW),
        Scope(consent, None, "education", NOW + timedelta(days=30), None, kinds, NOW),
    ]
    assert granted_kinds(scopes, X, "ngo", NOW) == kinds
    assert granted_kinds(scopes, Y, "education", NOW) == kinds
    assert granted_kinds(scopes, Z, "health", NOW) == frozenset()
    assert granted_kinds(scopes, X, "ngo", NOW + timedelta(days=31)) == frozenset()
    assert granted_kinds(scopes, X, "ngo", NOW - timedelta(seconds=1)) == frozenset()  # not yet


def test_a_withdrawn_scope_grants_nothing_from_its_time() -> None:
    consent, kinds = uuid.uuid4(), frozenset({"meetings"})
    scopes = [
        Scope(consent, X, None, None, NOW, kinds, NOW - timedelta(days=1)),
        Scope(consent, Y, None, None, None, kinds, NOW - timedelta(days=1)),
    ]
    assert granted_kinds(scopes, X, None, NOW) == frozenset()
    assert granted_kinds(scopes, X, None, NOW - timedelta(seconds=1)) == kinds
    assert granted_kinds(scopes, Y, None, NOW) == kinds
