"""The basket service (the Local Basket of Services: offerings, their workflow, search), /v1."""

from __future__ import annotations

from typing import Any

from web.clients.base import ServiceClient

JSON = dict[str, Any]


class BasketClient(ServiceClient):
    pass
