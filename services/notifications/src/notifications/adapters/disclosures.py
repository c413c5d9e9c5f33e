"""Disclosures of case events to partner institutions' systems (ADR 0029).

When a case event leaves the platform — a webhook the receiver answered, a feed page a system
fetched — one row per (event, institution, channel) goes into the append-only `disclosures` table
and, for each new row, a `notifications.disclosure.recorded` event into the outbox, in the caller's
transaction. The cases service writes that event into the case's access log, so the family's
report names the institutions whose systems received what; this service never writes the cases
database. The event carries identifiers only.

Kept in this one module on purpose: the delivery worker and the feed call one function each.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from notifications.adapters.orm import outbox
from shared.contracts import CloudEvent
from shared.contracts.notifications import SOURCE, DisclosureRecorded
from shared.messaging.outbox import add_to_outbox

_RETURNING = """
    ON CONFLICT ON CONSTRAINT uq_disclosures_event_institution DO NOTHING
    RETURNING seq, event_id, event_type, case_id, tenant, institution_id, channel, endpoint_id,
              client_id, disclosed_at
"""
_WEBHOOKS = text(
    """
    INSERT INTO disclosures (event_id, event_type, case_id, tenant, institution_id, channel,
                             endpoint_id)
    SELECT e.event_id, e.type, e.case_id, e.tenant, en.institution_id, 'webhook', en.id
    FROM deliveries d
    JOIN events e ON e.seq = d.event_seq
    JOIN endpoints en ON en.id = d.endpoint_id
    WHERE d.id = ANY(CAST(:ids AS bigint[])) AND e.case_id IS NOT NULL
      AND en.institution_id IS NOT NULL
    ORDER BY d.id
    """
    + _RETURNING
)
_FEED = text(
    """
    INSERT INTO disclosures (event_id, event_type, case_id, tenant, institution_id, channel,
                             client_id)
    SELECT e.event_id, e.type, e.case_id, e.tenant, :institution, 'feed', :client
    FROM events e
    WHERE e.seq = ANY(CAST(:seqs AS bigint[])) AND e.case_id IS NOT NULL
    ORDER BY e.seq
    """
    + _RETURNING
)


async def _publish(session: AsyncSession, rows: Sequence[Any]) -> int:
    events = [
        CloudEvent.wrap(
            DisclosureRecorded(
                disclosure_id=r.seq,
                case_id=r.case_id,
                institution_id=r.institution_id,
                channel=r.channel,
                endpoint_id=r.endpoint_id,
                client_id=r.client_id,
                disclosed_event_id=r.event_id,
                disclosed_type=r.event_type,
                disclosed_at=r.disclosed_at,
            ),
            source=SOURCE,
            tenant=r.tenant,
            subject=str(r.case_id),
        )
        for r in rows
    ]
    await add_to_outbox(session, outbox, events)
    return len(events)


async def record_webhooks(session: AsyncSession, delivery_ids: Sequence[int]) -> int:
    """The deliveries whose request reached the receiver (it answered, whatever the status)."""
    if not delivery_ids:
        return 0
    rows = (await session.execute(_WEBHOOKS, {"ids": list(delivery_ids)})).all()
    return await _publish(session, rows)


async def record_feed(
    session: AsyncSession, institution_id: uuid.UUID, client_id: str | None, seqs: Sequence[int]
) -> int:
    """The case events of a feed page a system fetched (the first fetch of each counts)."""
    if not seqs:
        return 0
    params = {"seqs": list(seqs), "institution": institution_id, "client": client_id}
    rows = (await session.execute(_FEED, params)).all()
    return await _publish(session, rows)


class SqlDisclosures:
    """The disclosures port of the unit of work (the feed's; the delivery worker calls
    `record_webhooks` in its own transaction)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def record_feed(
        self, institution_id: uuid.UUID, client_id: str | None, seqs: Sequence[int]
    ) -> int:
        return await record_feed(self.session, institution_id, client_id, seqs)
