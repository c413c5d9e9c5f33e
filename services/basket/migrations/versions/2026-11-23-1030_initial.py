"""The basket: offerings, their history of changes, categories (seeded), the read model of
partners (institutions, memberships), the outbox and inbox.

Revision ID: 5e1b0c7a9d21
Revises:
Create Date: 2026-11-23 10:30:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from shared.messaging.tables import OUTBOX_NOTIFY_DDL, OUTBOX_NOTIFY_DROP

revision: str = "5e1b0c7a9d21"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Finer categories below the 14 areas of the 2019 act on Centres of Social Services (art. 2).
CATEGORIES: list[tuple[str, str, str]] = [
    ("family_policy.parenting_support", "family_policy", "Wsparcie rodzicielstwa"),
    ("family_policy.large_families", "family_policy", "Karta Dużej Rodziny i ulgi dla rodzin"),
    ("family_policy.early_childcare", "family_policy", "Opieka nad dziećmi do lat 3"),
    ("family_support.family_assistant", "family_support", "Asystent rodziny"),
    ("family_support.counselling", "family_support", "Poradnictwo rodzinne"),
    ("family_support.day_support", "family_support", "Placówki wsparcia dziennego"),
    ("family_support.parenting_skills", "family_support", "Warsztaty umiejętności rodzicielskich"),
    ("foster_care.foster_family", "foster_care", "Rodzinna piecza zastępcza"),
    ("foster_care.institutional", "foster_care", "Instytucjonalna piecza zastępcza"),
    ("foster_care.leaving_care", "foster_care", "Usamodzielnienie wychowanków"),
    ("social_assistance.benefits", "social_assistance", "Świadczenia i zasiłki"),
    ("social_assistance.care_services", "social_assistance", "Usługi opiekuńcze"),
    ("social_assistance.crisis_intervention", "social_assistance", "Interwencja kryzysowa"),
    ("social_assistance.food_aid", "social_assistance", "Pomoc żywnościowa"),
    ("social_assistance.homelessness", "social_assistance", "Przeciwdziałanie bezdomności"),
    ("social_assistance.violence", "social_assistance", "Przeciwdziałanie przemocy domowej"),
    ("health.mental_health", "health", "Zdrowie psychiczne"),
    ("health.addiction", "health", "Profilaktyka i terapia uzależnień"),
    ("health.prevention", "health", "Profilaktyka i promocja zdrowia"),
    ("health.rehabilitation", "health", "Rehabilitacja"),
    ("disability_support.assistance", "disability_support", "Asystencja osobista"),
    ("disability_support.therapy", "disability_support", "Terapia i wczesne wspomaganie"),
    ("disability_support.respite_care", "disability_support", "Opieka wytchnieniowa"),
    (
        "disability_support.transport",
        "disability_support",
        "Transport dla osób z niepełnosprawnościami",
    ),
    ("public_education.psych_ped_support", "public_education", "Pomoc psychologiczno-pedagogiczna"),
    ("public_education.speech_therapy", "public_education", "Logopedia"),
    ("public_education.tutoring", "public_education", "Zajęcia wyrównawcze i korepetycje"),
    ("unemployment.job_placement", "unemployment", "Pośrednictwo pracy"),
    ("unemployment.vocational_training", "unemployment", "Szkolenia zawodowe"),
    ("unemployment.career_counselling", "unemployment", "Doradztwo zawodowe"),
    ("culture.workshops", "culture", "Warsztaty i zajęcia kulturalne"),
    ("culture.library", "culture", "Biblioteki i czytelnictwo"),
    ("sport_tourism.sport_activities", "sport_tourism", "Zajęcia sportowe"),
    ("sport_tourism.recreation", "sport_tourism", "Rekreacja i wypoczynek"),
    ("civic_activity.volunteering", "civic_activity", "Wolontariat"),
    ("civic_activity.senior_clubs", "civic_activity", "Kluby seniora i aktywność obywatelska"),
    (
        "civic_activity.legal_aid",
        "civic_activity",
        "Nieodpłatna pomoc prawna i poradnictwo obywatelskie",
    ),
    ("housing.social_housing", "housing", "Mieszkania socjalne i komunalne"),
    ("housing.sheltered_housing", "housing", "Mieszkania chronione i treningowe"),
    ("housing.housing_allowance", "housing", "Dodatki mieszkaniowe i energetyczne"),
    ("environment.ecology_education", "environment", "Edukacja ekologiczna"),
    ("environment.clean_air", "environment", "Czyste powietrze i wymiana ogrzewania"),
    (
        "reintegration.social_integration_centre",
        "reintegration",
        "Centrum i klub integracji społecznej",
    ),
    (
        "reintegration.supported_employment",
        "reintegration",
        "Zatrudnienie wspierane i spółdzielnie socjalne",
    ),
    ("reintegration.occupational_therapy", "reintegration", "Warsztaty terapii zajęciowej"),
]


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
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
    categories = op.create_table(
        "categories",
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("area", sa.Text(), nullable=False),
        sa.Column("name_pl", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_categories")),
    )
    op.bulk_insert(
        categories,
        [
            {"code": code, "area": area, "name_pl": name, "position": i}
            for i, (code, area, name) in enumerate(CATEGORIES)
        ],
    )
    op.create_table(
        "institutions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("sector", sa.Text(), nullable=False),
        sa.Column("legal_form", sa.Text(), nullable=True),
        sa.Column("regon", sa.Text(), nullable=True),
        sa.Column("tenants_served", sa.ARRAY(sa.Text()), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_institutions")),
    )
    op.create_table(
        "memberships",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("institution_id", sa.Uuid(), nullable=False),
        sa.Column("tenant", sa.Text(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_memberships")),
    )
    op.create_index(
        "ix_memberships_institution_tenant", "memberships", ["institution_id", "tenant"]
    )
    op.create_table(
        "offering_changes",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("offering_id", sa.Uuid(), nullable=False),
        sa.Column("tenant", sa.Text(), nullable=False),
        sa.Column(
            "changed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("changed_by", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("changes", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offering_changes")),
    )
    op.create_index("ix_offering_changes_offering", "offering_changes", ["offering_id", "id"])
    capacity = sa.Enum(
        "available",
        "waitlist",
        "no_capacity",
        name="capacity_status",
        native_enum=False,
        create_constraint=True,
        length=32,
    )
    status = sa.Enum(
        "draft",
        "published",
        "suspended",
        "withdrawn",
        name="offering_status",
        native_enum=False,
        create_constraint=True,
        length=32,
    )
    op.create_table(
        "offerings",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant", sa.Text(), nullable=False),
        sa.Column("institution_id", sa.Uuid(), nullable=False),
        sa.Column("provider_sector", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("area", sa.Text(), nullable=False),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("target_groups", sa.ARRAY(sa.Text()), nullable=False),
        sa.Column("eligibility", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("required_documents", sa.ARRAY(sa.Text()), nullable=False),
        sa.Column("cost", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("places", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("schedule", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("languages", sa.ARRAY(sa.Text()), nullable=False),
        sa.Column("tenants_served", sa.ARRAY(sa.Text()), nullable=False),
        sa.Column("contact", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("capacity_status", capacity, nullable=False),
        sa.Column("waiting_days", sa.Integer(), nullable=True),
        sa.Column("status", status, nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column(
            "suspended_because_provider_left",
            sa.Boolean(),
            server_default="false",
            nullable=False,
        ),
        sa.Column("last_verified_on", sa.Date(), nullable=True),
        sa.Column("website", sa.Text(), nullable=True),
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
        sa.Column("free", sa.Boolean(), nullable=False),
        sa.Column("accessible", sa.Boolean(), nullable=False),
        sa.Column("weekdays", sa.ARRAY(sa.Integer()), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("search_title", sa.Text(), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("search_stems", sa.Text(), nullable=False),
        sa.Column(
            "search_doc",
            postgresql.TSVECTOR(),
            sa.Computed("to_tsvector('simple'::regconfig, search_stems)", persisted=True),
            nullable=True,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offerings")),
    )
    op.create_index("ix_offerings_institution_id", "offerings", ["institution_id"])
    op.create_index("ix_offerings_tenant_status", "offerings", ["tenant", "status"])
    op.create_index(
        "ix_offerings_tenants_served", "offerings", ["tenants_served"], postgresql_using="gin"
    )
    op.create_index("ix_offerings_search_doc", "offerings", ["search_doc"], postgresql_using="gin")
    op.create_index(
        "ix_offerings_search_text_trgm",
        "offerings",
        ["search_text"],
        postgresql_using="gin",
        postgresql_ops={"search_text": "gin_trgm_ops"},
    )
    op.create_index("ix_offerings_lat_lon", "offerings", ["latitude", "longitude"])
    op.create_index("ix_offerings_tenant_verified", "offerings", ["tenant", "last_verified_on"])
    for statement in OUTBOX_NOTIFY_DDL:
        op.execute(statement)


def downgrade() -> None:
    for statement in OUTBOX_NOTIFY_DROP:
        op.execute(statement)
    for table in (
        "offerings",
        "offering_changes",
        "memberships",
        "institutions",
        "categories",
        "outbox",
        "inbox",
    ):
        op.drop_table(table)
