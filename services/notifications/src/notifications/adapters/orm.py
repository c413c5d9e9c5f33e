"""The notifications database: the event journal, read models fed by events, webhook endpoints and
deliveries, the in-app inbox, e-mails, reminders; the outbox and inbox."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY

from shared.db import make_metadata
from shared.messaging import inbox_table, outbox_table

metadata = make_metadata()
outbox = outbox_table(metadata)
inbox = inbox_table(metadata)

NOW = func.now()

# Every platform event consumed, in the order it was applied: the feed's source and the cursor.
events = Table(
    "events",
    metadata,
    Column("seq", BigInteger, Identity(always=True), primary_key=True),
    Column("event_id", Uuid, nullable=False, unique=True),
    Column("type", Text, nullable=False),
    Column("subject", Text, nullable=True),
    Column("tenant", Text, nullable=True),
    Column("case_id", Uuid, nullable=True, comment="Set for case events: entitlement by consent"),
    Column(
        "restricted_to",
        Uuid,
        nullable=True,
        comment="Only this institution's systems may receive it (e.g. its contact persons)",
    ),
    Column("time", DateTime(timezone=True), nullable=False),
    Column("body", LargeBinary, nullable=False, comment="The CloudEvent JSON as received"),
    Column("received_at", DateTime(timezone=True), nullable=False, server_default=NOW),
    Index("ix_events_tenant_seq", "tenant", "seq"),
)

# Institutions entitled to a case event when it was received (consent in force then). Rows of a
# case are deleted for the institutions a withdrawal takes the case away from.
event_audience = Table(
    "event_audience",
    metadata,
    Column("event_seq", BigInteger, ForeignKey("events.seq", ondelete="CASCADE"), nullable=False),
    Column("institution_id", Uuid, nullable=False),
    Column("case_id", Uuid, nullable=False),
    PrimaryKeyConstraint("event_seq", "institution_id", name="pk_event_audience"),
    Index("ix_event_audience_institution_case", "institution_id", "case_id"),
)

institutions = Table(
    "institutions",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("name", Text, nullable=False),
    Column("sector", Text, nullable=False),
    Column("tenants", ARRAY(Text), nullable=False, server_default=text("'{}'")),
    # The time of the event the row is as of (ADR 0083: an older one arriving late is refused).
    Column("event_time", DateTime(timezone=True), nullable=True),
)

contact_persons = Table(
    "contact_persons",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("institution_id", Uuid, nullable=False, index=True),
    Column("user_id", Text, nullable=True),
    Column("name", Text, nullable=False),
    Column("email", Text, nullable=True),
    Column("active", Boolean, nullable=False),
    # The time of the event the row is as of (ADR 0083: an older one arriving late is refused).
    Column("event_time", DateTime(timezone=True), nullable=True),
)

# People who signed in to this service: their roles, municipalities, institution and e-mail, as
# their token said the last time.
users = Table(
    "users",
    metadata,
    Column("user_id", Text, primary_key=True),
    Column("username", Text, nullable=False),
    Column("email", Text, nullable=True),
    Column("roles", ARRAY(Text), nullable=False),
    Column("tenants", ARRAY(Text), nullable=False),
    Column("institution_id", Uuid, nullable=True),
    Column("daily_digest", Boolean, nullable=False, server_default=text("false")),
    Column("seen_at", DateTime(timezone=True), nullable=False, server_default=NOW),
)

preferences = Table(
    "preferences",
    metadata,
    Column("user_id", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("channel", Text, nullable=False),
    Column("enabled", Boolean, nullable=False),
    PrimaryKeyConstraint("user_id", "kind", "channel", name="pk_preferences"),
)

cases = Table(
    "cases",
    metadata,
    Column("case_id", Uuid, primary_key=True),
    Column("tenant", Text, nullable=False),
    Column("closed_at", DateTime(timezone=True), nullable=True),
    # The case manager's Keycloak subject (cases.case.opened / .reassigned, ADR 0027), and the
    # time of the fact that named them: a late, older event never brings back a previous manager.
    Column("manager_user_id", Text, nullable=True),
    Column("manager_since", DateTime(timezone=True), nullable=True),
)

# The case team's members (cases.team.member_joined / member_left): the specialist's subject where
# the event carries it. A member who left keeps the row with `left_at`, so a late `joined`
# never brings them back.
case_team = Table(
    "case_team",
    metadata,
    Column("member_id", Uuid, primary_key=True),
    Column("case_id", Uuid, nullable=False, index=True),
    Column("institution_id", Uuid, nullable=False),
    Column("user_id", Text, nullable=True),
    Column("left_at", DateTime(timezone=True), nullable=True),
)

# One row per institution or sector named in a consent's scope.
consent_scopes = Table(
    "consent_scopes",
    metadata,
    Column("id", BigInteger, Identity(always=True), primary_key=True),
    Column("consent_id", Uuid, nullable=False),
    Column("case_id", Uuid, nullable=False, index=True),
    Column("tenant", Text, nullable=True),
    Column("institution_id", Uuid, nullable=True),
    Column("sector", Text, nullable=True),
    Column("valid_until", DateTime(timezone=True), nullable=True),
    Column("withdrawn_at", DateTime(timezone=True), nullable=True),
    # The consent's kinds of data and when it was given (ADR 0036: the consent decision).
    Column("data_kinds", ARRAY(Text), nullable=False, server_default=text("'{}'")),
    Column("given_at", DateTime(timezone=True), nullable=True),
)

# Each consent withdrawal taken in (cases.consent.withdrawn): what it withdrew (no institution
# and no sector: everything) and when. Applied to the consent's scopes when it is taken in and
# when the consent is, so a withdrawal taken in before its consent still withdraws it.
consent_withdrawals = Table(
    "consent_withdrawals",
    metadata,
    Column("id", BigInteger, Identity(always=True), primary_key=True),
    Column("consent_id", Uuid, nullable=False, index=True),
    Column("institution_ids", ARRAY(Uuid), nullable=False, server_default=text("'{}'")),
    Column("sectors", ARRAY(Text), nullable=False, server_default=text("'{}'")),
    Column("withdrawn_at", DateTime(timezone=True), nullable=False),
)

referrals = Table(
    "referrals",
    metadata,
    Column("referral_id", Uuid, primary_key=True),
    Column("case_id", Uuid, nullable=False),
    Column("tenant", Text, nullable=True),
    Column("receiving_institution_id", Uuid, nullable=False),
    Column("sending_institution_id", Uuid, nullable=True),
    Column("state", Text, nullable=False),
    Column("requested_at", DateTime(timezone=True), nullable=True),
    # The time of the event the row is as of (ADR 0083: an older one arriving late is refused).
    Column("event_time", DateTime(timezone=True), nullable=True),
)

meetings = Table(
    "meetings",
    metadata,
    Column("meeting_id", Uuid, primary_key=True),
    Column("tenant", Text, nullable=True),
    Column("case_id", Uuid, nullable=True),
    Column("partnership_id", Uuid, nullable=True),
    Column("starts_at", DateTime(timezone=True), nullable=False),
    Column("institution_ids", ARRAY(Uuid), nullable=False, server_default=text("'{}'")),
    Column("cancelled", Boolean, nullable=False, server_default=text("false")),
    # The time of the event the row is as of (ADR 0083: an older one arriving late is refused).
    Column("event_time", DateTime(timezone=True), nullable=True),
)

offerings = Table(
    "offerings",
    metadata,
    Column("service_id", Uuid, primary_key=True),
    Column("institution_id", Uuid, nullable=False),
    Column("tenant", Text, nullable=True),
    Column("title", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("last_verified_on", Date, nullable=True),
    # The time of the event the row is as of (ADR 0083: an older one arriving late is refused).
    Column("event_time", DateTime(timezone=True), nullable=True),
)

partnerships = Table(
    "partnerships",
    metadata,
    Column("partnership_id", Uuid, primary_key=True),
    Column("tenant", Text, nullable=True),
    Column("coordinator_count", Integer, nullable=True),
    Column("single_since", Date, nullable=True),
)

endpoints = Table(
    "endpoints",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("institution_id", Uuid, nullable=True),
    Column("client_id", Text, nullable=True),
    Column("tenants", ARRAY(Text), nullable=False),
    Column("url", Text, nullable=False),
    Column("description", Text, nullable=True),
    Column("event_types", ARRAY(Text), nullable=False, server_default=text("'{}'")),
    Column("secret", Text, nullable=False),
    Column("previous_secret", Text, nullable=True),
    Column("previous_secret_expires_at", DateTime(timezone=True), nullable=True),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    Column("disabled_reason", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=NOW),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=NOW),
)

# One row per (event, endpoint): the unique key is what makes a delivery happen exactly once.
deliveries = Table(
    "deliveries",
    metadata,
    Column("id", BigInteger, Identity(always=True), primary_key=True),
    Column("event_seq", BigInteger, ForeignKey("events.seq"), nullable=False),
    Column("event_id", Uuid, nullable=False),
    Column("endpoint_id", Uuid, ForeignKey("endpoints.id", ondelete="CASCADE"), nullable=False),
    Column("object_key", Text, nullable=False, comment="CloudEvent subject: order is kept per key"),
    Column("status", Text, nullable=False, server_default=text("'pending'")),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False, server_default=NOW),
    Column("last_status_code", Integer, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=NOW),
    Column("delivered_at", DateTime(timezone=True), nullable=True),
    UniqueConstraint("event_id", "endpoint_id", name="uq_deliveries_event_endpoint"),
    Index(
        "ix_deliveries_due",
        "next_attempt_at",
        postgresql_where=text("status = 'pending'"),
    ),
    # The workers claim pending rows in id order; delivered rows must not be scanned past.
    Index("ix_deliveries_pending_id", "id", postgresql_where=text("status = 'pending'")),
    Index(
        "ix_deliveries_pending_object",
        "endpoint_id",
        "object_key",
        "id",
        postgresql_where=text("status = 'pending'"),
    ),
    Index("ix_deliveries_endpoint_status", "endpoint_id", "status", "id"),
)

delivery_attempts = Table(
    "delivery_attempts",
    metadata,
    Column("id", BigInteger, Identity(always=True), primary_key=True),
    Column("delivery_id", BigInteger, ForeignKey("deliveries.id", ondelete="CASCADE")),
    Column("endpoint_id", Uuid, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False, server_default=NOW),
    Column("status_code", Integer, nullable=True),
    Column("error", Text, nullable=True),
    Column("duration_ms", Integer, nullable=False),
    Index("ix_delivery_attempts_endpoint_id", "endpoint_id", "id"),
)

# The in-app inbox; `dedupe_key` (event id or reminder key) keeps one notice per user and fact.
notices = Table(
    "notices",
    metadata,
    Column("id", BigInteger, Identity(always=True), primary_key=True),
    Column("user_id", Text, nullable=False),
    Column("dedupe_key", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("title", Text, nullable=False),
    Column("link", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=NOW),
    Column("read_at", DateTime(timezone=True), nullable=True),
    # What the link opens, for case notices: shown only while the person may open it (ADR 0036).
    Column("case_id", Uuid, nullable=True),
    Column("data_kind", Text, nullable=True),
    Column("referral_id", Uuid, nullable=True),
    UniqueConstraint("user_id", "dedupe_key", name="uq_notices_user_dedupe"),
    Index("ix_notices_user_unread", "user_id", "id", postgresql_where=text("read_at IS NULL")),
)

emails = Table(
    "emails",
    metadata,
    Column("id", BigInteger, Identity(always=True), primary_key=True),
    Column("dedupe_key", Text, nullable=False, unique=True),
    Column("recipient", Text, nullable=False),
    Column("subject", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("status", Text, nullable=False, server_default=text("'pending'")),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False, server_default=NOW),
    Column("last_error", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=NOW),
    Column("sent_at", DateTime(timezone=True), nullable=True),
    Index("ix_emails_due", "next_attempt_at", postgresql_where=text("status = 'pending'")),
)

# A reminder is sent once: whoever inserts its key first sends it (ON CONFLICT DO NOTHING).
reminders = Table(
    "reminders",
    metadata,
    Column("kind", Text, nullable=False),
    Column("object_id", Text, nullable=False),
    Column("due", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=NOW),
    PrimaryKeyConstraint("kind", "object_id", "due", name="pk_reminders"),
)
