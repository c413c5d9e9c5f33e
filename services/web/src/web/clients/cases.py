"""The cases service (cases, consent, teams, diagnosis, plan, referrals, meetings), /v1."""

from __future__ import annotations

from typing import Any

from web.clients.base import ServiceClient

JSON = dict[str, Any]


class CasesClient(ServiceClient):
    pass
