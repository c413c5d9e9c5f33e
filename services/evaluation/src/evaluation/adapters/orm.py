"""The evaluation database: read models fed only by events (one row per object, latest state),
the surveys, and the inbox.

Every read-model row keeps the version (event time, then event id) of the fact it holds, so an
older event arriving late never overwrites a newer one; aggregates are computed from these rows,
never kept as counters. The monthly summaries of referrals and cases (`ev_*_months`), their
functions and triggers are defined by the migration `2026-11-23-1630_month_summaries`: the
database recomputes them from these rows (ADR 0046).
"""

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
    PrimaryKeyConstraint,
    Table,
    Text,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from shared.db import make_metadata
from shared.db.mapping import timestamp
from shared.messaging import inbox_table

metadata = make_metadata()
inbox = inbox_table(metadata)


_ts = timestamp


# --- partnership (from partners.*) ---------------------------------------------------------------

institutions = Table(
    "ev_institutions",
    metadata,
    Column("institution_id", Uuid, primary_key=True),
    Column("tenant", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("sector", Text, nullable=False),
    Column("tenants_served", ARRAY(Text), nullable=False),
    _ts("version", False),
    Column("version_id", Uuid, nullable=False),
)

partnerships = Table(
    "ev_partnerships",
    metadata,
    Column("partnership_id", Uuid, primary_key=True),
    Column("tenant", Text, nullable=False),
    Column("name", Text),
    _ts("name_version"),
    Column("name_version_id", Uuid),
    Column("coordinator_count", Integer),
    _ts("coord_version"),
    Column("coord_version_id", Uuid),
)

memberships = Table(
    "ev_memberships",
    metadata,
    Column("membership_id", Uuid, primary_key=True),
    Column("tenant", Text, nullable=False),
    Column("partnership_id", Uuid, nullable=False),
    Column("institution_id", Uuid, nullable=False),
    Column("sector", Text, nullable=False),
    Column("state", Text, nullable=False),
    Column("effective_on", Date, nullable=False),
    _ts("version", False),
    Column("version_id", Uuid, nullable=False),
    Index("ix_ev_memberships_tenant", "tenant"),
)

meetings = Table(
    "ev_meetings",
    metadata,
    Column("meeting_id", Uuid, primary_key=True),
    Column("tenant", Text, nullable=False),
    Column("partnership_id", Uuid, nullable=False),
    _ts("starts_at"),
    _ts("held_at"),
    Column("cancelled", Boolean, nullable=False, server_default=text("false")),
    Index("ix_ev_meetings_tenant_held", "tenant", "held_at"),
)

meeting_attendance = Table(
    "ev_meeting_attendance",
    metadata,
    Column("meeting_id", Uuid, nullable=False),
    Column("institution_id", Uuid, nullable=False),
    PrimaryKeyConstraint("meeting_id", "institution_id", name="pk_ev_meeting_attendance"),
)

# --- basket (from basket.*) ----------------------------------------------------------------------

offerings = Table(
    "ev_offerings",
    metadata,
    Column("service_id", Uuid, primary_key=True),
    Column("tenant", Text, nullable=False, comment="The municipality whose basket holds it"),
    Column(
        "tenants",
        ARRAY(Text),
        nullable=False,
        server_default=text("'{}'"),
        comment="Municipalities it serves, its own included",
    ),
    Column("institution_id", Uuid, nullable=False),
    Column("provider_sector", Text),
    Column("area", Text),
    Column("category", Text),
    Column("status", Text),
    Column("cost", Text),
    _ts("snapshot_version"),
    Column("snapshot_version_id", Uuid),
    Column("capacity_status", Text),
    Column("waiting_days", Integer),
    _ts("capacity_version"),
    Column("capacity_version_id", Uuid),
    Column("last_verified_on", Date),
    Index("ix_ev_offerings_tenants", "tenants", postgresql_using="gin"),
)

# --- cooperation around families (from cases.*) --------------------------------------------------

cases = Table(
    "ev_cases",
    metadata,
    Column("case_id", Uuid, primary_key=True),
    Column("tenant", Text, nullable=False),
    _ts("opened_at"),
    _ts("closed_at"),
    Column("close_reason", Text),
    # Whether any consent of the family was recorded: kept by the projector so that the share of
    # cases with consent needs no lookup of consents per case (ADR 0045).
    Column("consented", Boolean, nullable=False, server_default=text("false")),
    Index("ix_ev_cases_tenant_opened", "tenant", "opened_at"),
)

consents = Table(
    "ev_consents",
    metadata,
    Column("consent_id", Uuid, primary_key=True),
    Column("case_id", Uuid, nullable=False),
    Column("tenant", Text, nullable=False),
    _ts("given_at"),
    Index("ix_ev_consents_case", "case_id"),
)

consent_withdrawals = Table(
    "ev_consent_withdrawals",
    metadata,
    Column("event_id", Uuid, primary_key=True),
    Column("case_id", Uuid, nullable=False),
    Column("tenant", Text, nullable=False),
    _ts("withdrawn_at", False),
    Index("ix_ev_consent_withdrawals_tenant", "tenant"),
)

plans = Table(
    "ev_plans",
    metadata,
    Column("case_id", Uuid, primary_key=True),
    Column("tenant", Text, nullable=False),
    Column("version", Integer, nullable=False),
    _ts("updated_at", False),
    Column("goal_count", Integer, nullable=False),
    Column("action_count", Integer, nullable=False),
    Column("actions_done", Integer, nullable=False),
    # Goals reached, from the latest plan event that carries them (cases.plan.updated gained
    # them later, ADR 0025): they have their own version, so an event without them — older or
    # newer — never erases them, and the result does not depend on the order of arrival.
    Column("goals_total", Integer),
    Column("goals_achieved", Integer),
    Column("goals_version", Integer),
    _ts("goals_updated_at"),
    Index("ix_ev_plans_tenant", "tenant"),
)

referrals = Table(
    "ev_referrals",
    metadata,
    Column("referral_id", Uuid, primary_key=True),
    Column("tenant", Text, nullable=False),
    Column("case_id", Uuid, nullable=False),
    Column("service_id", Uuid, nullable=False),
    Column("sending_sector", Text),
    Column("receiving_sector", Text),
    Column("state", Text, nullable=False),
    _ts("state_at", False),
    Column("state_rank", Integer, nullable=False),
    _ts("requested_at"),
    _ts("accepted_at"),
    _ts("rejected_at"),
    _ts("completed_at"),
    _ts("failed_at"),
    _ts("cancelled_at"),
    Column("rejection_reason", Text),
    Column("failure_reason", Text),
    Column("cancel_reason", Text),
    Column("outcome", Text),
    Column("capacity_status", Text),
    Index("ix_ev_referrals_tenant_requested", "tenant", "requested_at"),
)

# The tables a rebuild replaces, in an order safe for copying.
PROJECTION_TABLES: tuple[Table, ...] = (
    institutions,
    partnerships,
    memberships,
    meetings,
    meeting_attendance,
    offerings,
    cases,
    consents,
    consent_withdrawals,
    plans,
    referrals,
)

# --- snapshots of the read models (ADR 0049) -----------------------------------------------------

# A snapshot: when it was taken and, per stream name, the last sequence whose events its rows
# hold (every event up to it is in them; some later ones may be too, harmlessly: ADR 0040).
snapshots = Table(
    "ev_snapshots",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    _ts("taken_at", False),
    Column("positions", JSONB, nullable=False),
    Column("row_count", BigInteger, nullable=False),
)

# A projection table's rows in a snapshot, as JSON objects, in parts of a bounded size.
snapshot_parts = Table(
    "ev_snapshot_parts",
    metadata,
    Column(
        "snapshot_id", BigInteger, ForeignKey("ev_snapshots.id", ondelete="CASCADE"), nullable=False
    ),
    Column("table_name", Text, nullable=False),
    Column("part", Integer, nullable=False),
    Column("columns", ARRAY(Text), nullable=False),
    Column("rows", JSONB, nullable=False),
    PrimaryKeyConstraint("snapshot_id", "table_name", "part", name="pk_ev_snapshot_parts"),
)

# --- surveys (owned here; answers are anonymous) -------------------------------------------------

surveys = Table(
    "surveys",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant", Text, nullable=False),
    Column("title", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("questions", JSONB, nullable=False),
    Column("created_by", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    _ts("closes_at"),
    Index("ix_surveys_tenant", "tenant"),
)

# A one-time link: only the hash of its token, and no trace of whom it was sent to.
survey_links = Table(
    "survey_links",
    metadata,
    Column("token_hash", Text, primary_key=True),
    Column("survey_id", Uuid, ForeignKey("surveys.id", ondelete="CASCADE"), nullable=False),
    Column("used", Boolean, nullable=False, server_default=text("false")),
)

# An answer: no token, no link, no time, so it can't be tied to the person who gave it.
survey_answers = Table(
    "survey_answers",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("survey_id", Uuid, ForeignKey("surveys.id", ondelete="CASCADE"), nullable=False),
    Column("answers", JSONB, nullable=False),
    Index("ix_survey_answers_survey", "survey_id"),
)
