"""The partner registry: institutions, partnerships, memberships, contacts, coordinators,
meetings; the outbox and inbox.

Revision ID: b919681aabbb
Revises:
Create Date: 2026-11-23 09:45:33.507380+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from shared.messaging.tables import OUTBOX_NOTIFY_DDL, OUTBOX_NOTIFY_DROP

revision: str = "b919681aabbb"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
    op.create_table(
        "inbox",
        sa.Column("consumer", sa.Text(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column(
            "processed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("consumer", "event_id", name="pk_inbox"),
    )
    op.create_table(
        "institutions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column(
            "sector",
            sa.Enum(
                "education",
                "health",
                "justice",
                "police",
                "ngo",
                "social_economy",
                "labour_market",
                "family_support",
                "business",
                "local_government",
                "social_assistance",
                name="sector",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("tenants_served", sa.ARRAY(sa.Text()), nullable=False),
        sa.Column("legal_form", sa.Text(), nullable=True),
        sa.Column("regon", sa.Text(), nullable=True),
        sa.Column("nip", sa.Text(), nullable=True),
        sa.Column("krs", sa.Text(), nullable=True),
        sa.Column("street", sa.Text(), nullable=True),
        sa.Column("postal_code", sa.Text(), nullable=True),
        sa.Column("city", sa.Text(), nullable=True),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column("phone", sa.Text(), nullable=True),
        sa.Column("website", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_institutions")),
    )
    op.create_index(
        "ix_institutions_tenant_sector", "institutions", ["tenant", "sector"], unique=False
    )
    op.create_index(
        "ix_institutions_tenants_served",
        "institutions",
        ["tenants_served"],
        unique=False,
        postgresql_using="gin",
    )
    op.create_table(
        "outbox",
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("tenant", sa.Text(), nullable=True),
        sa.Column(
            "body", sa.LargeBinary(), nullable=False, comment="The CloudEvent JSON as published"
        ),
        sa.Column(
            "headers",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_outbox")),
        sa.UniqueConstraint("event_id", name=op.f("uq_outbox_event_id")),
    )
    op.create_index(
        "ix_outbox_unpublished",
        "outbox",
        ["seq"],
        unique=False,
        postgresql_where=sa.text("published_at IS NULL"),
    )
    op.create_table(
        "contact_persons",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant", sa.Text(), nullable=False),
        sa.Column("institution_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("position", sa.Text(), nullable=True),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column("phone", sa.Text(), nullable=True),
        sa.Column("user_id", sa.Text(), nullable=True),
        sa.Column("active", sa.Boolean(), server_default="true", nullable=False),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_contact_persons_institution_id_institutions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_persons")),
    )
    op.create_index(
        op.f("ix_contact_persons_institution_id"),
        "contact_persons",
        ["institution_id"],
        unique=False,
    )
    op.create_table(
        "partnerships",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("municipality_name", sa.Text(), nullable=False),
        sa.Column("leader_institution_id", sa.Uuid(), nullable=False),
        sa.Column("goals", sa.Text(), nullable=True),
        sa.Column("principles", sa.Text(), nullable=True),
        sa.Column("meeting_frequency", sa.Text(), nullable=True),
        sa.Column("formal_act_kind", sa.Text(), nullable=True),
        sa.Column("formal_act_reference", sa.Text(), nullable=True),
        sa.Column("formal_act_date", sa.Date(), nullable=True),
        sa.Column("established_on", sa.Date(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["leader_institution_id"],
            ["institutions.id"],
            name=op.f("fk_partnerships_leader_institution_id_institutions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partnerships")),
        sa.UniqueConstraint("tenant", name=op.f("uq_partnerships_tenant")),
    )
    op.create_table(
        "coordinators",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant", sa.Text(), nullable=False),
        sa.Column("partnership_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column("phone", sa.Text(), nullable=True),
        sa.Column("user_id", sa.Text(), nullable=True),
        sa.Column("institution_id", sa.Uuid(), nullable=True),
        sa.Column("since", sa.Date(), nullable=True),
        sa.Column("until", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_coordinators_institution_id_institutions"),
        ),
        sa.ForeignKeyConstraint(
            ["partnership_id"],
            ["partnerships.id"],
            name=op.f("fk_coordinators_partnership_id_partnerships"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coordinators")),
    )
    op.create_index(
        op.f("ix_coordinators_partnership_id"), "coordinators", ["partnership_id"], unique=False
    )
    op.create_table(
        "meetings",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant", sa.Text(), nullable=False),
        sa.Column("partnership_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "scheduled",
                "held",
                "cancelled",
                name="meeting_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("place", sa.Text(), nullable=True),
        sa.Column("online_url", sa.Text(), nullable=True),
        sa.Column("host_institution_id", sa.Uuid(), nullable=True),
        sa.Column("chair_institution_id", sa.Uuid(), nullable=True),
        sa.Column("chair_name", sa.Text(), nullable=True),
        sa.Column("agenda", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("attendance", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("minutes", sa.Text(), nullable=True),
        sa.Column("decisions", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("held_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancel_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["chair_institution_id"],
            ["institutions.id"],
            name=op.f("fk_meetings_chair_institution_id_institutions"),
        ),
        sa.ForeignKeyConstraint(
            ["host_institution_id"],
            ["institutions.id"],
            name=op.f("fk_meetings_host_institution_id_institutions"),
        ),
        sa.ForeignKeyConstraint(
            ["partnership_id"],
            ["partnerships.id"],
            name=op.f("fk_meetings_partnership_id_partnerships"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meetings")),
    )
    op.create_index(
        "ix_meetings_partnership_starts", "meetings", ["partnership_id", "starts_at"], unique=False
    )
    op.create_table(
        "memberships",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant", sa.Text(), nullable=False),
        sa.Column("partnership_id", sa.Uuid(), nullable=False),
        sa.Column("institution_id", sa.Uuid(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "invited",
                "informal",
                "declared",
                "suspended",
                "left",
                name="membership_state",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("since", sa.Date(), nullable=False),
        sa.Column("declaration_reference", sa.Text(), nullable=True),
        sa.Column("declaration_date", sa.Date(), nullable=True),
        sa.Column("history", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_memberships_institution_id_institutions"),
        ),
        sa.ForeignKeyConstraint(
            ["partnership_id"],
            ["partnerships.id"],
            name=op.f("fk_memberships_partnership_id_partnerships"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_memberships")),
        sa.UniqueConstraint(
            "partnership_id", "institution_id", name="uq_memberships_partnership_institution"
        ),
    )
    op.create_index("ix_memberships_tenant_state", "memberships", ["tenant", "state"], unique=False)
    for statement in OUTBOX_NOTIFY_DDL:
        op.execute(statement)


def downgrade() -> None:
    for statement in OUTBOX_NOTIFY_DROP:
        op.execute(statement)
    op.drop_index("ix_memberships_tenant_state", table_name="memberships")
    op.drop_table("memberships")
    op.drop_index("ix_meetings_partnership_starts", table_name="meetings")
    op.drop_table("meetings")
    op.drop_index(op.f("ix_coordinators_partnership_id"), table_name="coordinators")
    op.drop_table("coordinators")
    op.drop_table("partnerships")
    op.drop_index(op.f("ix_contact_persons_institution_id"), table_name="contact_persons")
    op.drop_table("contact_persons")
    op.drop_index(
        "ix_outbox_unpublished",
        table_name="outbox",
        postgresql_where=sa.text("published_at IS NULL"),
    )
    op.drop_table("outbox")
    op.drop_index(
        "ix_institutions_tenants_served", table_name="institutions", postgresql_using="gin"
    )
    op.drop_index("ix_institutions_tenant_sector", table_name="institutions")
    op.drop_table("institutions")
    op.drop_table("inbox")
