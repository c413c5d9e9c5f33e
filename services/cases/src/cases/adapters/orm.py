"""The cases database: tables, the imperative mapping of the domain classes onto them, the access
log, and the read models fed by other services' events (institutions, basket offerings)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    FetchedValue,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from cases.adapters import sealing
from cases.domain import model
from shared.db.mapping import (
    metadata_and_registry,
    once,
    reset_events_on_load,
    string_enum,
    timestamp,
)
from shared.messaging import inbox_table, outbox_table

metadata, mapper_registry = metadata_and_registry()


_enum = string_enum


# Free text sealed at rest (ADR 0017): the plain value lives on the domain object's attribute.
SEALED_COMMENT = "AES-256-GCM, adapters.sealing: version || key id || nonce || ciphertext+tag"


_ts = timestamp


cases = Table(
    "cases",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant", Text, nullable=False),
    Column("manager_subject", Text, nullable=False),
    Column("manager_username", Text, nullable=False),
    Column("state", _enum(model.CaseState, "case_state"), nullable=False),
    _ts("opened_at", False),
    _ts("closed_at"),
    Column("close_reason", _enum(model.CloseReason, "close_reason")),
    Column("close_note", LargeBinary, comment=SEALED_COMMENT),
    Column("family_size", Integer, nullable=False),
    Index("ix_cases_tenant_manager", "tenant", "manager_subject"),
)

case_reassignments = Table(
    "case_reassignments",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("case_id", Uuid, ForeignKey("cases.id"), nullable=False, index=True),
    Column("tenant", Text, nullable=False),
    _ts("at", False),
    Column("from_subject", Text, nullable=False),
    Column("from_username", Text, nullable=False),
    Column("to_subject", Text, nullable=False),
    Column("to_username", Text, nullable=False),
    Column("reason_code", _enum(model.ReassignReason, "reassign_reason"), nullable=False),
    Column("reason", LargeBinary, comment=SEALED_COMMENT),
    Column("by_username", Text, nullable=False),
    Column("by_relation", Text, nullable=False),
)

family_members = Table(
    "family_members",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("case_id", Uuid, ForeignKey("cases.id"), nullable=False, index=True),
    Column("tenant", Text, nullable=False),
    Column("first_name", Text, nullable=False),
    Column("last_name", Text, nullable=False),
    Column("year_of_birth", Integer),
    Column("relation", Text),
    Column("phone", Text),
    Column("email", Text),
    Column("address", Text),
    Column("pesel_encrypted", LargeBinary, comment="AES-256-GCM: nonce || ciphertext+tag"),
    Column("pesel_key_id", Text, comment="Id of the key of pesel_encrypted; NULL: before ids"),
    Column("pesel_hash", Text, comment="HMAC-SHA256 of the PESEL under a separate key"),
    Column("pesel_hash_key_id", Text, comment="Id of the key of pesel_hash; NULL: before ids"),
    _ts("removed_at"),
    Index("ix_family_members_tenant_pesel_hash", "tenant", "pesel_hash"),
)

consents = Table(
    "consents",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("case_id", Uuid, ForeignKey("cases.id"), nullable=False, index=True),
    Column("tenant", Text, nullable=False),
    Column("given_by_member_id", Uuid, ForeignKey("family_members.id"), nullable=False),
    _ts("given_at", False),
    Column("method", _enum(model.ConsentMethod, "consent_method"), nullable=False),
    Column("institution_ids", ARRAY(Uuid), nullable=False),
    Column("sectors", ARRAY(Text), nullable=False),
    Column("data_kinds", ARRAY(Text), nullable=False),
    Column("recorded_by", Text, nullable=False),
    _ts("recorded_at", False),
    _ts("valid_until"),
    _ts("withdrawn_at"),
    Column("withdrawn_by", Text),
    Column("withdrawal_note", LargeBinary, comment=SEALED_COMMENT),
    _ts("expiry_applied_at"),
    # The sweep's candidates: expired, neither withdrawn nor applied yet (ADR 0037).
    Index(
        "ix_consents_expiry_pending",
        "valid_until",
        postgresql_where=text("withdrawn_at IS NULL AND expiry_applied_at IS NULL"),
    ),
)

team_members = Table(
    "team_members",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("case_id", Uuid, ForeignKey("cases.id"), nullable=False, index=True),
    Column("tenant", Text, nullable=False),
    Column("institution_id", Uuid, nullable=False),
    Column("sector", Text),
    Column("state", _enum(model.MemberState, "member_state"), nullable=False),
    _ts("invited_at", False),
    Column("invited_by", Text, nullable=False),
    Column("function", Text),
    Column("invited_username", Text),
    Column("user_subject", Text),
    Column("username", Text),
    _ts("joined_at"),
    _ts("left_at"),
    Column("left_reason", _enum(model.LeftReason, "left_reason"), nullable=True),
    Index("ix_team_members_institution_state", "institution_id", "state"),
)

diagnosis_entries = Table(
    "diagnosis_entries",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("case_id", Uuid, ForeignKey("cases.id"), nullable=False, index=True),
    Column("tenant", Text, nullable=False),
    Column("area", _enum(model.DiagnosisArea, "diagnosis_area"), nullable=False),
    Column("perspective", _enum(model.Perspective, "perspective"), nullable=False),
    Column("text", LargeBinary, nullable=False, comment=SEALED_COMMENT),
    Column("author_username", Text, nullable=False),
    Column("author_institution_id", Uuid),
    _ts("recorded_at", False),
)

plan_versions = Table(
    "plan_versions",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("case_id", Uuid, ForeignKey("cases.id"), nullable=False),
    Column("tenant", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("goals", LargeBinary, nullable=False, comment=SEALED_COMMENT),
    Column("created_by", Text, nullable=False),
    _ts("created_at", False),
    UniqueConstraint("case_id", "version", name="uq_plan_versions_case_version"),
)

monitoring_reviews = Table(
    "monitoring_reviews",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("case_id", Uuid, ForeignKey("cases.id"), nullable=False, index=True),
    Column("tenant", Text, nullable=False),
    Column("plan_version", Integer, nullable=False),
    Column("reviewed_on", Date, nullable=False),
    Column("goals", LargeBinary, nullable=False, comment=SEALED_COMMENT),
    Column("family_assessment", LargeBinary, comment=SEALED_COMMENT),
    Column("notes", LargeBinary, comment=SEALED_COMMENT),
    Column("next_review_on", Date),
    Column("recorded_by", Text, nullable=False),
    _ts("recorded_at", False),
)

referrals = Table(
    "referrals",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("case_id", Uuid, ForeignKey("cases.id"), nullable=False, index=True),
    Column("tenant", Text, nullable=False),
    Column("service_id", Uuid, nullable=False),
    Column("institution_id", Uuid, nullable=False),
    Column("sector", Text),
    Column("state", _enum(model.ReferralState, "referral_state"), nullable=False),
    Column("created_by", Text, nullable=False),
    _ts("created_at", False),
    Column("note", LargeBinary, comment=SEALED_COMMENT),
    Column("capacity_status", Text),
    Column("waiting_days", Integer),
    _ts("requested_at"),
    _ts("updated_at"),
    Column("reason_code", _enum(model.ReasonCode, "reason_code")),
    Column("reason", LargeBinary, comment=SEALED_COMMENT),
    Column("outcome_code", _enum(model.OutcomeCode, "outcome_code")),
    Column("outcome", LargeBinary, comment=SEALED_COMMENT),
    Column("history", LargeBinary, nullable=False, comment=SEALED_COMMENT),
    Index("ix_referrals_institution_state", "institution_id", "state"),
)

meetings = Table(
    "meetings",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("case_id", Uuid, ForeignKey("cases.id"), nullable=False, index=True),
    Column("tenant", Text, nullable=False),
    Column("kind", _enum(model.MeetingKind, "meeting_kind"), nullable=False),
    _ts("starts_at", False),
    Column("place", Text),
    Column("online_url", Text),
    Column("participants", JSONB, nullable=False),
    Column("agenda", LargeBinary, nullable=False, comment=SEALED_COMMENT),
    Column("scheduled_by", Text, nullable=False),
    Column("status", _enum(model.MeetingStatus, "case_meeting_status"), nullable=False),
    Column("notes", LargeBinary, comment=SEALED_COMMENT),
    _ts("held_at"),
    Column("decisions", LargeBinary, nullable=False, comment=SEALED_COMMENT),
)

# Places of the case's free text where a removed family member's data may remain and automatic
# removal was unsafe: waiting for the case manager to redact them (ADR 0017). `fragments` (the
# words found, sealed like the text itself) is erased when the place is resolved.
redactions = Table(
    "redactions",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("case_id", Uuid, ForeignKey("cases.id"), nullable=False, index=True),
    Column("tenant", Text, nullable=False),
    Column("place", Text, nullable=False, comment="table.column of the free text"),
    Column("row_id", Uuid, nullable=False),
    Column("reason", Text, nullable=False, comment="inflected | common_word | shared"),
    Column("fragments", LargeBinary, comment=SEALED_COMMENT),
    _ts("found_at", False),
    _ts("resolved_at"),
    Column("resolved_by", Text),
    Column("resolution", Text, comment="applied | dismissed"),
)

# Every read and every change of case data: who, in what role, for which institution, which
# case, what, when and why. Written in the same transaction as the read it records.
access_log = Table(
    "access_log",
    metadata,
    Column("seq", BigInteger, Identity(always=True), primary_key=True),
    Column("case_id", Uuid, nullable=False),
    Column("tenant", Text, nullable=False),
    _ts("at", False),
    Column("actor_subject", Text, nullable=False),
    Column("actor_username", Text, nullable=False),
    Column("actor_roles", Text, nullable=False),
    Column("relation", Text, nullable=False),
    Column("institution_id", Uuid),
    Column("action", Text, nullable=False),
    Column("what", Text, nullable=False),
    Column("purpose", Text, nullable=False),
    # ADR 0029: the person's name for the family's report; allowed | refused; the case's hash
    # chain, filled by the trigger `access_log_chain` on insert (never by the service).
    Column("actor_name", Text),
    Column("outcome", Text, nullable=False),
    Column("chain_pos", BigInteger, FetchedValue(), nullable=False),
    Column("prev_hash", Text, FetchedValue(), nullable=False),
    Column("hash", Text, FetchedValue(), nullable=False),
    Index("ux_access_log_chain", "case_id", "chain_pos", unique=True),
)

# ADR 0018: closed cases whose retention period has ended ("due for disposal") and the recorded
# approval of their disposal (the state archive's consent); deleted with the case.
case_retention = Table(
    "case_retention",
    metadata,
    Column("case_id", Uuid, ForeignKey("cases.id"), primary_key=True),
    Column("tenant", Text, nullable=False),
    Column("category", Text, nullable=False),
    Column("closed_year", Integer, nullable=False),
    Column("due_on", Date, nullable=False),
    _ts("marked_at", False),
    Column("approval_ref", Text),
    Column("approved_by", Text),
    _ts("approved_at"),
)

# Append-only: every access-log chain removed with its disposed case (written by the SQL function
# `access_log_dispose`, never by the service): the case id's sha256, the chain's length and head.
access_log_disposals = Table(
    "access_log_disposals",
    metadata,
    Column("seq", BigInteger, Identity(always=True), primary_key=True),
    Column("case_digest", Text, nullable=False, unique=True),
    Column("entries", BigInteger, nullable=False),
    Column("last_hash", Text),
    Column("approval_ref", Text, nullable=False),
    _ts("disposed_at", False),
)

# --- read models of other services' facts --------------------------------------------------

institutions = Table(
    "institutions",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("name", Text, nullable=False),
    Column("sector", Text, nullable=False),
    Column("tenants_served", ARRAY(Text), nullable=False),
    _ts("updated_at", False),
)

offerings = Table(
    "offerings",
    metadata,
    Column("service_id", Uuid, primary_key=True),
    Column("institution_id", Uuid, nullable=False),
    Column("provider_sector", Text, nullable=False),
    Column("title", Text, nullable=False),
    Column("area", Text, nullable=False),
    Column("category", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("tenants_served", ARRAY(Text), nullable=False),
    Column("capacity_status", Text, nullable=False),
    Column("waiting_days", Integer),
    Column("cost", Text, nullable=False),
    Column("referral_required", Boolean, nullable=False),
    _ts("updated_at", False),
    Index("ix_offerings_tenants_served", "tenants_served", postgresql_using="gin"),
)

outbox = outbox_table(metadata)
inbox = inbox_table(metadata)


@once
def start_mappers() -> None:
    """Map the domain classes onto the tables (once per process; called from bootstrap)."""
    classes: dict[type[Any], Table] = {
        model.Case: cases,
        model.CaseReassignment: case_reassignments,
        model.FamilyMember: family_members,
        model.Consent: consents,
        model.TeamMember: team_members,
        model.DiagnosisEntry: diagnosis_entries,
        model.PlanVersion: plan_versions,
        model.MonitoringReview: monitoring_reviews,
        model.Referral: referrals,
        model.Meeting: meetings,
    }
    for cls, table in classes.items():
        mapper_registry.map_imperatively(
            cls, table, properties=sealing.mapped_properties(table.name, table.c)
        )
    sealing.install({cls: table.name for cls, table in classes.items()})

    reset_events_on_load(
        [
            model.Case,
            model.Consent,
            model.TeamMember,
            model.PlanVersion,
            model.MonitoringReview,
            model.Referral,
            model.Meeting,
        ]
    )
