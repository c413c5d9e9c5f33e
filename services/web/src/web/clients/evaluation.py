"""The evaluation service (monitoring views, reports, exports, surveys), /v1."""

from __future__ import annotations

from typing import Any

from web.clients.base import ServiceClient

JSON = dict[str, Any]


class EvaluationClient(ServiceClient):
    pass
