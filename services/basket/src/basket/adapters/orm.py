"""The basket database: tables, and the imperative mapping of the offering onto them."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import time
from typing import Any, Generic, TypeVar

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Computed,
    Date,
    DateTime,
    Dialect,
    Float,
    Identity,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    Uuid,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR
from sqlalchemy.types import TypeDecorator

from basket.domain import model
from shared.db.mapping import metadata_and_registry, once, reset_events_on_load, string_enum
from shared.messaging import inbox_table, outbox_table

metadata, mapper_registry = metadata_and_registry()

T = TypeVar("T")


_enum = string_enum


def _to_json(value: Any) -> Any:
    return model.jsonable(value)


def _slot(d: dict[str, Any]) -> model.ScheduleSlot:
    return model.ScheduleSlot(
        weekday=int(d["weekday"]),
        opens_at=time.fromisoformat(d["opens_at"]),
        closes_at=time.fromisoformat(d["closes_at"]),
        notes=d.get("notes"),
    )


def _cost(d: dict[str, Any]) -> model.Cost:
    return model.Cost(**{**d, "kind": model.CostKind(d["kind"])})


class JsonValue(TypeDecorator[T], Generic[T]):
    """A value object (or list of them) kept as JSONB."""

    impl = JSONB
    cache_ok = True

    def __init__(self, load: Callable[[Any], T]) -> None:
        super().__init__()
        self._load = load

    def process_bind_param(self, value: T | None, dialect: Dialect) -> Any:
        return None if value is None else _to_json(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> T | None:
        return None if value is None else self._load(value)


def _many(load: Callable[[dict[str, Any]], Any]) -> Callable[[Any], list[Any]]:
    return lambda items: [load(i) for i in items]


def _fields(cls: type[Any]) -> Callable[[dict[str, Any]], Any]:
    names = {f.name for f in dataclasses.fields(cls)}
    return lambda d: cls(**{k: v for k, v in d.items() if k in names})


offerings = Table(
    "offerings",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant", Text, nullable=False),
    Column("institution_id", Uuid, nullable=False, index=True),
    Column("provider_sector", Text, nullable=False),
    Column("title", Text, nullable=False),
    Column("description", Text, nullable=False),
    Column("area", Text, nullable=False),
    Column("category", Text, nullable=False),
    Column("target_groups", ARRAY(Text), nullable=False),
    Column("eligibility", JsonValue(_fields(model.Eligibility)), nullable=False),
    Column("required_documents", ARRAY(Text), nullable=False),
    Column("cost", JsonValue(_cost), nullable=False),
    Column("places", JsonValue(_many(_fields(model.Place))), nullable=False),
    Column("schedule", JsonValue(_many(_slot)), nullable=False),
    Column("languages", ARRAY(Text), nullable=False),
    Column("tenants_served", ARRAY(Text), nullable=False),
    Column("contact", JsonValue(_fields(model.Contact)), nullable=False),
    Column("capacity_status", _enum(model.Capacity, "capacity_status"), nullable=False),
    Column("waiting_days", Integer),
    Column("status", _enum(model.Status, "offering_status"), nullable=False),
    Column("status_reason", Text),
    Column("suspended_because_provider_left", Boolean, nullable=False, server_default="false"),
    Column("last_verified_on", Date),
    Column("website", Text),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column(
        "updated_at",
        DateTime(timezone=True),
        nullable=False,
        server_default=func.now(),
        onupdate=func.now(),
    ),
    Column("free", Boolean, nullable=False),
    Column("accessible", Boolean, nullable=False),
    Column("weekdays", ARRAY(Integer), nullable=False),
    Column("latitude", Float),
    Column("longitude", Float),
    Column("search_title", Text, nullable=False),
    Column("search_text", Text, nullable=False),
    Column("search_stems", Text, nullable=False),
    Column(
        "search_doc",
        TSVECTOR,
        Computed("to_tsvector('simple'::regconfig, search_stems)", persisted=True),
    ),
    Index("ix_offerings_tenant_status", "tenant", "status"),
    Index("ix_offerings_tenants_served", "tenants_served", postgresql_using="gin"),
    Index("ix_offerings_search_doc", "search_doc", postgresql_using="gin"),
    Index(
        "ix_offerings_search_title_trgm",
        "search_title",
        postgresql_using="gin",
        postgresql_ops={"search_title": "gin_trgm_ops"},
    ),
    Index("ix_offerings_lat_lon", "latitude", "longitude"),
    Index("ix_offerings_tenant_verified", "tenant", "last_verified_on"),
)

# One narrow row per municipality an offering serves, written only by the database trigger
# `offering_search_sync` on `offerings` (migration 5b8e2c7d9f14): a municipality's search reads
# it by an index-only scan of its covering primary key (ADR 0013). The service never writes it.
offering_search = Table(
    "offering_search",
    metadata,
    Column("tenant_served", Text, nullable=False),
    Column("id", Uuid, nullable=False),
    Column("tenant", Text, nullable=False),
    Column("status", String(32), nullable=False),
    Column("provider_sector", Text, nullable=False),
    Column("area", Text, nullable=False),
    Column("category", Text, nullable=False),
    Column("target_groups", ARRAY(Text), nullable=False),
    Column("free", Boolean, nullable=False),
    Column("accessible", Boolean, nullable=False),
    Column("capacity_status", String(32), nullable=False),
    Column("weekdays", ARRAY(Integer), nullable=False),
    Column("institution_id", Uuid, nullable=False),
    Column("latitude", Float),
    Column("longitude", Float),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("search_title", Text, nullable=False),
    Column("search_doc", TSVECTOR),
)
offering_search.append_constraint(
    PrimaryKeyConstraint(
        "tenant_served",
        "id",
        name="pk_offering_search",
        postgresql_include=[c.name for c in offering_search.c][2:],
    )
)

categories = Table(
    "categories",
    metadata,
    Column("code", Text, primary_key=True),
    Column("area", Text, nullable=False),
    Column("name_pl", Text, nullable=False),
    Column("position", Integer, nullable=False),
)

# The read model of the partners service, fed by its events.
institutions = Table(
    "institutions",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("name", Text, nullable=False),
    Column("sector", Text, nullable=False),
    Column("legal_form", Text),
    Column("regon", Text),
    Column("tenants_served", ARRAY(Text), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

memberships = Table(
    "memberships",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("institution_id", Uuid, nullable=False),
    Column("tenant", Text, nullable=False),
    Column("state", Text, nullable=False),
    Column("effective_on", Date, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_memberships_institution_tenant", "institution_id", "tenant"),
)

# Words of the offerings' titles with their stems: a mistyped query word is matched against them
# by trigram similarity and replaced by their stems.
search_words = Table(
    "search_words",
    metadata,
    Column("word", Text, primary_key=True),
    Column("stem", Text, nullable=False),
    Index(
        "ix_search_words_word_trgm",
        "word",
        postgresql_using="gin",
        postgresql_ops={"word": "gin_trgm_ops"},
    ),
)

offering_changes = Table(
    "offering_changes",
    metadata,
    Column("id", BigInteger, Identity(always=True), primary_key=True),
    Column("offering_id", Uuid, nullable=False),
    Column("tenant", Text, nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("changed_by", Text, nullable=False),
    Column("action", Text, nullable=False),
    Column("changes", JSONB, nullable=False),
    Index("ix_offering_changes_offering", "offering_id", "id"),
)

outbox = outbox_table(metadata)
inbox = inbox_table(metadata)


@once
def start_mappers() -> None:
    """Map the offering onto its table (once per process; called from bootstrap)."""
    mapper_registry.map_imperatively(model.Offering, offerings, exclude_properties=["search_doc"])
    reset_events_on_load([model.Offering])
