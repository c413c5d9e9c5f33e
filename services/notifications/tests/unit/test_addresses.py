"""Which addresses a webhook may reach (ADR 0031): a table of addresses, IPv6 forms that carry a
refused IPv4 address judged by it, and URLs with characters that could split a request."""

from __future__ import annotations

import ipaddress

import pytest

from notifications.adapters.network import allowed_addresses
from notifications.adapters.webhook_client import WebhookClient, target_of
from notifications.domain.addresses import (
    Allowlist,
    ForbiddenAddress,
    check_addresses,
    is_public,
    split_url,
)

REFUSED = [
    "127.0.0.1",
    "10.0.0.5",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",
    "100.64.0.1",
    "0.0.0.0",
    "224.0.0.1",
    "255.255.255.255",
    "::1",
    "::",
    "fe80::1",
    "fc00::1",
    "ff02::1",
    # IPv4-mapped
    "::ffff:127.0.0.1",
    "::ffff:169.254.169.254",
    "::ffff:10.0.0.1",
    # IPv4-compatible (deprecated): refused outright, even with a public address
    "::169.254.169.254",
    "::8.8.8.8",
    # IPv4-translated (SIIT)
    "::ffff:0:169.254.169.254",
    # 6to4 carrying a refused IPv4 address
    "2002:a9fe:a9fe::1",
    "2002:7f00:1::1",
    "2002:0a00:0005:1::1",
    "2002:c0a8:0101::",
    "2002:6440:1::1",
    # NAT64 (well-known prefix) carrying a refused IPv4 address
    "64:ff9b::a9fe:a9fe",
    "64:ff9b::169.254.169.254",
    "64:ff9b::7f00:1",
    "64:ff9b::10.1.2.3",
    # NAT64 local-use prefix: refused outright
    "64:ff9b:1::a9fe:a9fe",
    "64:ff9b:1::808:808",
    # Teredo: refused outright (server 65.54.227.120, obfuscated client 192.0.2.45 here)
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",
    "2001:0:a9fe:a9fe::1",
    "2001:0:808:808:0:f7f7:f7f7:f7f7",
]
ALLOWED = [
    "93.184.216.34",
    "8.8.8.8",
    "2606:2800:220:1:248:1893:25c8:1946",
    "::ffff:93.184.216.34",
    "2002:808:808::1",  # 6to4 of a public address
    "64:ff9b::808:808",  # NAT64 of a public address
]


@pytest.mark.parametrize("raw", REFUSED)
def test_refused_addresses(raw: str) -> None:
    assert not is_public(ipaddress.ip_address(raw))
    with pytest.raises(ForbiddenAddress, match="nie jest publiczny"):
        check_addresses("example.org", [raw], Allowlist.parse([]))


@pytest.mark.parametrize("raw", ALLOWED)
def test_public_addresses(raw: str) -> None:
    assert is_public(ipaddress.ip_address(raw))
    assert check_addresses("example.org", [raw], Allowlist.parse([])) == [raw]


BAD_URLS = [
    "http://example.org/a\r\nX-Injected: 1",
    "http://example.org/a\nb",
    "http://example.org/a\rb",
    "http://example.org/\x00",
    "http://example.org/a b",
    "http://exa mple.org/",
    "http://example.org/\t",
    "http://example.org/\x7f",
    "http://example.org/\x85",
    "http://example.org/\u2028",
    "http://[2002:a9fe:a9fe::1/",
    "http://example.org:99999/",
    "http://example.org:port/",
    "http://example.org:0/",
    "http://" + "a" * 64 + ".example.org/",
    "ftp://example.org/",
    "http:///path",
]


@pytest.mark.parametrize("url", BAD_URLS)
async def test_bad_urls_are_refused_at_registration_and_at_connect_time(url: str) -> None:
    with pytest.raises(ForbiddenAddress):
        split_url(url)
    with pytest.raises(ForbiddenAddress):
        await allowed_addresses(url, Allowlist.parse([]))
    with pytest.raises(ForbiddenAddress):
        target_of(url)


@pytest.mark.parametrize(
    "url", ["http://[2002:a9fe:a9fe::1]/", "http://[64:ff9b::a9fe:a9fe]:8080/hook"]
)
async def test_embedded_metadata_address_is_refused_at_registration_and_connect_time(
    url: str,
) -> None:
    with pytest.raises(ForbiddenAddress, match=r"169\.254|a9fe"):
        await allowed_addresses(url, Allowlist.parse([]))
    clients = WebhookClient(Allowlist.parse([]), timeout=2.0)
    try:
        with pytest.raises(ForbiddenAddress):
            await clients.post("endpoint", url, b"{}", {})
        assert clients.pools == {}  # refused before any connection pool was made
    finally:
        await clients.aclose()


async def test_a_polish_host_name_and_path_are_still_fine() -> None:
    parts = split_url("https://zażółć.example/ścieżka?q=ą")
    assert parts.hostname == "zażółć.example"
    target = target_of("https://zażółć.example/ścieżka?q=ą")
    assert target.host == "xn--za-6ja8ara7a.example" or target.host.startswith("xn--")
    assert b"POST /%C5%9Bcie%C5%BCka?q=%C4%85 HTTP/1.1" in target.head
