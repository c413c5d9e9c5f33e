"""Events of the notifications service.

`notifications.disclosure.recorded`: a case event left the platform for a partner institution's
system, by webhook or through the pull feed (ADR 0029). The cases service writes it into the
case's access log, so the family's report lists it. Identifiers, the channel and times only — the
disclosed event itself carries no personal data either. Not offered to partner systems (neither
by webhook nor in their AsyncAPI document): it tells which institutions hear of which case.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import Field

from shared.contracts.envelope import EventData

SOURCE = "/cus/notifications"

# Event types of this module: internal to the platform, never sent to partner systems.
INTERNAL_PREFIX = "notifications."


class DisclosureRecorded(EventData):
    event_type = "notifications.disclosure.recorded"

    disclosure_id: int = Field(description="Sequence of the disclosure in notifications' log")
    case_id: uuid.UUID
    institution_id: uuid.UUID = Field(description="The institution whose system received it")
    channel: Literal["webhook", "feed"]
    endpoint_id: uuid.UUID | None = Field(default=None, description="The webhook endpoint")
    client_id: str | None = Field(default=None, description="The system's OAuth client (feed)")
    disclosed_event_id: uuid.UUID = Field(description="The disclosed event")
    disclosed_type: str = Field(description="Its type, e.g. cases.referral.requested")
    disclosed_at: datetime
