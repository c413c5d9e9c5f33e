"""What every service's ORM module began with (ADR 0081): the registry on the shared metadata,
the enum and timestamp columns in one style, and the start-up that maps the domain classes onto
the tables once per process with their pending events reset when a row is loaded.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, DateTime, Enum, MetaData, event
from sqlalchemy.orm import registry

from shared.db.base import make_metadata


def metadata_and_registry() -> tuple[MetaData, registry]:
    """A service's metadata (one naming convention) and the registry that maps onto it."""
    metadata = make_metadata()
    return metadata, registry(metadata=metadata)


def string_enum(enum: type[StrEnum], name: str) -> Enum:
    """A StrEnum stored as its values in a VARCHAR(32) with a CHECK constraint, not a native
    PostgreSQL enum (adding a value is then a constraint change, not an ALTER TYPE)."""
    return Enum(
        enum,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


def timestamp(name: str, nullable: bool = True) -> Column[Any]:
    """A `timestamptz` column."""
    return Column(name, DateTime(timezone=True), nullable=nullable)


def once(start: Callable[[], None]) -> Callable[[], None]:
    """`start` (a service's start_mappers) runs at its first call only; later calls do nothing
    (bootstrap, the tests and the commands may all call it in one process)."""
    done = False

    @functools.wraps(start)
    def run_once() -> None:
        nonlocal done
        if done:
            return
        done = True
        start()

    return run_once


def reset_events_on_load(classes: Iterable[type[Any]]) -> None:
    """A loaded aggregate starts with no pending events (`events = []`): SQLAlchemy builds it
    without calling `__init__`."""
    for cls in classes:
        event.listen(cls, "load", _no_events)


def _no_events(target: Any, _context: Any) -> None:
    target.events = []
