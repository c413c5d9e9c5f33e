"""shared.db.mapping: the ORM start-up every service shares, against PostgreSQL (ADR 0081)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import pytest
from sqlalchemy import Column, Integer, Table, insert, select
from sqlalchemy.exc import DBAPIError, StatementError
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import create_engine
from shared.db.mapping import (
    metadata_and_registry,
    once,
    reset_events_on_load,
    string_enum,
    timestamp,
)


class Colour(StrEnum):
    RED = "red"
    GREEN = "green"


class Thing:
    def __init__(self, id: int, colour: Colour) -> None:
        self.id = id
        self.colour = colour
        self.events: list[Any] = ["made"]


metadata, mapper_registry = metadata_and_registry()
things = Table(
    "mapping_things",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("colour", string_enum(Colour, "mapping_colour"), nullable=False),
    timestamp("seen_at"),
)


@once
def start() -> None:
    mapper_registry.map_imperatively(Thing, things)
    reset_events_on_load([Thing])


def test_once_runs_the_start_up_at_the_first_call_only() -> None:
    calls: list[int] = []

    @once
    def start_up() -> None:
        calls.append(1)

    start_up()
    start_up()
    assert calls == [1]
    assert start_up.__name__ == "start_up"


def test_the_columns_follow_the_one_style() -> None:
    colour = things.c.colour.type
    assert colour.native_enum is False
    assert colour.length == 32
    assert colour.enums == ["red", "green"]
    assert things.c.seen_at.type.timezone is True
    assert things.c.seen_at.nullable is True
    assert things.primary_key.name == "pk_mapping_things"  # the naming convention


async def test_mapped_rows_load_without_pending_events_and_bad_values_are_refused(
    postgres_url: str,
) -> None:
    start()
    start()  # a second start-up does not map twice
    engine = create_engine(postgres_url, pool_size=1)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
        async with AsyncSession(engine, expire_on_commit=False) as session:
            session.add(Thing(1, Colour.GREEN))
            await session.commit()
        async with AsyncSession(engine) as session:
            thing = (await session.execute(select(Thing))).scalar_one()
            assert thing.colour is Colour.GREEN
            assert thing.events == []
        async with engine.begin() as conn:
            with pytest.raises((StatementError, DBAPIError)):
                await conn.execute(insert(things).values(id=2, colour="blue"))
    finally:
        async with engine.begin() as conn:
            await conn.run_sync(metadata.drop_all)
        await engine.dispose()
