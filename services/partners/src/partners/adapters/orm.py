"""The partners database: tables, and the imperative mapping of the domain classes onto them."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.types import TypeDecorator

from partners.domain import model
from shared.db.mapping import metadata_and_registry, once, reset_events_on_load, string_enum
from shared.messaging import inbox_table, outbox_table

metadata, mapper_registry = metadata_and_registry()


_enum = string_enum


class MembershipHistory(TypeDecorator[list[model.MembershipChange]]):
    """The dated history of a membership's states, kept with the membership."""

    impl = JSONB
    cache_ok = True

    def process_bind_param(
        self, value: list[model.MembershipChange] | None, dialect: Dialect
    ) -> list[dict[str, Any]] | None:
        if value is None:
            return None
        return [
            {
                "previous_state": c.previous_state.value if c.previous_state else None,
                "state": c.state.value,
                "effective_on": c.effective_on.isoformat(),
                "reason": c.reason,
                "declaration_reference": c.declaration_reference,
                "changed_by": c.changed_by,
                "changed_at": c.changed_at.isoformat(),
            }
            for c in value
        ]

    def process_result_value(
        self, value: list[dict[str, Any]] | None, dialect: Dialect
    ) -> list[model.MembershipChange]:
        return [
            model.MembershipChange(
                previous_state=model.MembershipState(c["previous_state"])
                if c["previous_state"]
                else None,
                state=model.MembershipState(c["state"]),
                effective_on=date.fromisoformat(c["effective_on"]),
                reason=c["reason"],
                declaration_reference=c["declaration_reference"],
                changed_by=c["changed_by"],
                changed_at=datetime.fromisoformat(c["changed_at"]),
            )
            for c in value or []
        ]


sector_enum = _enum(model.Sector, "sector")

institutions = Table(
    "institutions",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("sector", sector_enum, nullable=False),
    Column("tenants_served", ARRAY(Text), nullable=False),
    Column("legal_form", Text),
    Column("regon", Text),
    Column("nip", Text),
    Column("krs", Text),
    Column("street", Text),
    Column("postal_code", Text),
    Column("city", Text),
    Column("email", Text),
    Column("phone", Text),
    Column("website", Text),
    Column("description", Text),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column(
        "updated_at",
        DateTime(timezone=True),
        nullable=False,
        server_default=func.now(),
        onupdate=func.now(),
    ),
    Index("ix_institutions_tenants_served", "tenants_served", postgresql_using="gin"),
    Index("ix_institutions_tenant_sector", "tenant", "sector"),
)

partnerships = Table(
    "partnerships",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant", Text, nullable=False, unique=True),
    Column("name", Text, nullable=False),
    Column("municipality_name", Text, nullable=False),
    Column("leader_institution_id", Uuid, ForeignKey("institutions.id"), nullable=False),
    Column("goals", Text),
    Column("principles", Text),
    Column("meeting_frequency", Text),
    Column("formal_act_kind", Text),
    Column("formal_act_reference", Text),
    Column("formal_act_date", Date),
    Column("established_on", Date),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

memberships = Table(
    "memberships",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant", Text, nullable=False),
    Column("partnership_id", Uuid, ForeignKey("partnerships.id"), nullable=False),
    Column("institution_id", Uuid, ForeignKey("institutions.id"), nullable=False),
    Column("state", _enum(model.MembershipState, "membership_state"), nullable=False),
    Column("since", Date, nullable=False),
    Column("declaration_reference", Text),
    Column("declaration_date", Date),
    Column("history", MembershipHistory, nullable=False),
    Column(
        "updated_at",
        DateTime(timezone=True),
        nullable=False,
        server_default=func.now(),
        onupdate=func.now(),
    ),
    UniqueConstraint(
        "partnership_id", "institution_id", name="uq_memberships_partnership_institution"
    ),
    Index("ix_memberships_tenant_state", "tenant", "state"),
)

contact_persons = Table(
    "contact_persons",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant", Text, nullable=False),
    Column("institution_id", Uuid, ForeignKey("institutions.id"), nullable=False, index=True),
    Column("name", Text, nullable=False),
    Column("position", Text),
    Column("email", Text),
    Column("phone", Text),
    Column("user_id", Text),
    Column("active", Boolean, nullable=False, server_default="true"),
)

coordinators = Table(
    "coordinators",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant", Text, nullable=False),
    Column("partnership_id", Uuid, ForeignKey("partnerships.id"), nullable=False, index=True),
    Column("name", Text, nullable=False),
    Column("email", Text),
    Column("phone", Text),
    Column("user_id", Text),
    Column("institution_id", Uuid, ForeignKey("institutions.id")),
    Column("since", Date),
    Column("until", Date),
)

meetings = Table(
    "meetings",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant", Text, nullable=False),
    Column("partnership_id", Uuid, ForeignKey("partnerships.id"), nullable=False),
    Column("title", Text, nullable=False),
    Column("status", _enum(model.MeetingStatus, "meeting_status"), nullable=False),
    Column("starts_at", DateTime(timezone=True), nullable=False),
    Column("ends_at", DateTime(timezone=True)),
    Column("place", Text),
    Column("online_url", Text),
    Column("host_institution_id", Uuid, ForeignKey("institutions.id")),
    Column("chair_institution_id", Uuid, ForeignKey("institutions.id")),
    Column("chair_name", Text),
    Column("agenda", JSONB, nullable=False),
    Column("attendance", JSONB, nullable=False),
    Column("minutes", Text),
    Column("decisions", JSONB, nullable=False),
    Column("held_at", DateTime(timezone=True)),
    Column("cancel_reason", Text),
    Index("ix_meetings_partnership_starts", "partnership_id", "starts_at"),
)

outbox = outbox_table(metadata)
inbox = inbox_table(metadata)


@once
def start_mappers() -> None:
    """Map the domain classes onto the tables (once per process; called from bootstrap)."""
    mapper_registry.map_imperatively(model.Institution, institutions)
    mapper_registry.map_imperatively(model.Partnership, partnerships)
    mapper_registry.map_imperatively(model.Membership, memberships)
    mapper_registry.map_imperatively(model.ContactPerson, contact_persons)
    mapper_registry.map_imperatively(model.Coordinator, coordinators)
    mapper_registry.map_imperatively(model.Meeting, meetings)

    reset_events_on_load(
        [model.Institution, model.Partnership, model.Membership, model.ContactPerson, model.Meeting]
    )


def new_id() -> uuid.UUID:
    return uuid.uuid4()
