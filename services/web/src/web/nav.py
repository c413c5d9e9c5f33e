"""The main menu: each area of the pages lists its entries here with the roles that see them.
An entry with no roles is shown to every signed-in user."""

from __future__ import annotations

from dataclasses import dataclass

from shared.auth import Principal
from shared.auth.roles import Role


@dataclass(frozen=True)
class NavItem:
    href: str
    key: str  # message key of the label
    roles: frozenset[Role] = frozenset()


COORDINATION = frozenset({Role.COORDINATOR, Role.REGIONAL_ADMIN})
EVALUATION_READERS = frozenset({Role.COORDINATOR, Role.DIRECTOR, Role.ANALYST, Role.REGIONAL_ADMIN})

NAV: list[NavItem] = [
    NavItem("/", "nav.home"),
    NavItem("/institutions", "nav.registry", COORDINATION),
    NavItem("/partnership", "nav.partnership", COORDINATION),
    NavItem("/meetings", "nav.meetings", COORDINATION),
    NavItem("/benefit-cards", "nav.cards", COORDINATION),
    # basket: entries go here
    NavItem("/basket", "basket.nav"),
    NavItem("/basket/stale", "basket.nav.stale", frozenset({*COORDINATION, Role.PARTNER_EDITOR})),
    # cases: entries go here
    NavItem("/cases", "cases.nav", frozenset({Role.CASE_MANAGER, Role.PARTNER_STAFF})),
    NavItem("/referrals", "cases.nav.referrals", frozenset({Role.PARTNER_STAFF})),
    # notifications: entries go here
    NavItem("/notifications", "nav.notifications"),
    NavItem("/webhooks", "nav.webhooks", frozenset({Role.REGIONAL_ADMIN, Role.PARTNER_EDITOR})),
    # evaluation: entries go here
    NavItem("/evaluation", "nav.monitoring", EVALUATION_READERS),
    NavItem("/surveys", "nav.surveys", EVALUATION_READERS),
]


def items_for(principal: Principal | None) -> list[NavItem]:
    if principal is None:
        return []
    return [item for item in NAV if not item.roles or principal.has_role(*item.roles)]


def current(items: list[NavItem], path: str) -> str | None:
    """The entry the page belongs to: the longest href that the path starts with, so that
    /basket/stale marks only "stale entries", not also "basket"."""
    matching = [
        item.href
        for item in items
        if path == item.href or (item.href != "/" and path.startswith(item.href.rstrip("/") + "/"))
    ]
    return max(matching, key=len, default=None)
