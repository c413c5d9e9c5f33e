"""Which network addresses a webhook may reach: public ones, or those on the explicit allowlist.

Guards against server-side request forgery: a registered URL must not lead the platform into its
own network (loopback, private ranges, link-local such as the cloud metadata service at
169.254.169.254, carrier-grade NAT, multicast, reserved).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class Allowlist:
    """Host names and networks a development or test set-up may reach despite being private."""

    hosts: frozenset[str]
    networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]

    @classmethod
    def parse(cls, entries: Iterable[str]) -> Allowlist:
        hosts: set[str] = set()
        networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        for entry in entries:
            entry = entry.strip()
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                hosts.add(entry.lower())
        return cls(frozenset(hosts), tuple(networks))

    def allows(self, host: str, address: IPAddress) -> bool:
        return host.lower() in self.hosts or any(address in n for n in self.networks)


SHARED_ADDRESS_SPACE = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT
NAT64 = ipaddress.ip_network(
    "64:ff9b::/96"
)  # well-known prefix: the IPv4 address is the last 32 bits
# Refused whatever they carry: Teredo (the client's address is obfuscated in the last 32 bits and
# the server's in bits 32–63: a tunnel, never a partner system's address), the local-use NAT64
# prefix (RFC 8215; where the IPv4 address sits depends on the prefix length the network chose)
# and the deprecated IPv4-compatible addresses (::a.b.c.d).
REFUSED_V6 = (
    ipaddress.ip_network("2001::/32"),
    ipaddress.ip_network("64:ff9b:1::/48"),
    ipaddress.ip_network("::/96"),
)


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries and leads to: IPv4-mapped (::ffff:a.b.c.d), 6to4
    (2002:AABB:CCDD::/48) and NAT64 (64:ff9b::a.b.c.d)."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public(address: IPAddress) -> bool:
    """Public, and for an IPv6 address that carries an IPv4 one, the IPv4 address public too
    (`http://[2002:a9fe:a9fe::1]/` is the metadata service at 169.254.169.254 over 6to4)."""
    if isinstance(address, ipaddress.IPv6Address):
        if any(address in network for network in REFUSED_V6):
            return False
        inner = embedded_ipv4(address)
        if inner is not None:
            return is_public(inner)
    return not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or address in SHARED_ADDRESS_SPACE
    )


class ForbiddenAddress(ValueError):
    pass


def _bad_character(url: str) -> str | None:
    for c in url:
        if ord(c) <= 0x20 or 0x7F <= ord(c) <= 0x9F or c.isspace():
            return f"U+{ord(c):04X}"
    return None


def split_url(url: str) -> SplitResult:
    """The parts of a webhook URL, or ForbiddenAddress (with a Polish reason): http(s) with a host
    name that has a DNS form, a valid port, no control character, space or line break anywhere
    (`urlsplit` would silently drop tabs and line breaks, and a receiver could read them as a new
    header). The same check at registration and before every delivery."""
    bad = _bad_character(url)
    if bad is not None:
        raise ForbiddenAddress(
            f"Adres nie może zawierać spacji, znaków końca linii ani znaków sterujących ({bad})."
        )
    try:
        parts = urlsplit(url)
        port = parts.port
        host = parts.hostname
    except ValueError:
        raise ForbiddenAddress("Nieprawidłowy adres URL (host lub port).") from None
    if parts.scheme not in ("http", "https") or not host:
        raise ForbiddenAddress("Adres musi być adresem http(s) z nazwą hosta.")
    if port == 0:
        raise ForbiddenAddress("Nieprawidłowy port w adresie.")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        try:
            host.encode("idna")
        except UnicodeError:
            raise ForbiddenAddress("Nieprawidłowa nazwa hosta w adresie.") from None
    return parts


def check_addresses(host: str, addresses: Sequence[str], allowlist: Allowlist) -> list[str]:
    """The addresses `host` may be reached at; raises when any of them is not allowed (a host
    name that resolves to one public and one private address is refused: DNS may answer either)."""
    if not addresses:
        raise ForbiddenAddress("Nie udało się ustalić adresu hosta.")
    for raw in addresses:
        address = ipaddress.ip_address(raw.split("%", 1)[0])
        if not is_public(address) and not allowlist.allows(host, address):
            raise ForbiddenAddress(
                f"Adres {address} nie jest publiczny (prywatny, lokalny, link-local, zastrzeżony "
                "albo tunelujący adres niepubliczny); webhook musi prowadzić do adresu publicznego."
            )
    return list(addresses)
