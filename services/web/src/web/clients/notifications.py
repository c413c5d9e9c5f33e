"""The notifications service (inbox, preferences, webhook endpoints, deliveries), /v1."""

from __future__ import annotations

from typing import Any

from web.clients.base import ServiceClient

JSON = dict[str, Any]


class NotificationsClient(ServiceClient):
    pass
