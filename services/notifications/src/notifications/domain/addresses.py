"""Which network addresses a webhook may reach: public ones, or those on the explicit allowlist.

Guards against server-side request forgery: a registered URL must not lead the platform into its
own network (loopback, private ranges, link-local such as the cloud metadata service at
169.254.169.254, carrier-grade NAT, multicast, reserved).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

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


def is_public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return is_public(address.ipv4_mapped)
    return not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or address in ipaddress.ip_network("100.64.0.0/10")
    )


class ForbiddenAddress(ValueError):
    pass


def check_addresses(host: str, addresses: Sequence[str], allowlist: Allowlist) -> list[str]:
    """The addresses `host` may be reached at; raises when any of them is not allowed (a host
    name that resolves to one public and one private address is refused: DNS may answer either)."""
    if not addresses:
        raise ForbiddenAddress("Nie udało się ustalić adresu hosta.")
    for raw in addresses:
        address = ipaddress.ip_address(raw.split("%", 1)[0])
        if not is_public(address) and not allowlist.allows(host, address):
            raise ForbiddenAddress(
                f"Adres {address} jest prywatny, lokalny (loopback) lub link-local; "
                "webhook musi prowadzić do adresu publicznego."
            )
    return list(addresses)
