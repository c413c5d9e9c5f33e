"""Database plumbing shared by every service: metadata conventions, engine and sessions."""

from shared.db.base import NAMING_CONVENTION, make_metadata
from shared.db.engine import create_engine, create_read_engine, session_factory

__all__ = [
    "NAMING_CONVENTION",
    "create_engine",
    "create_read_engine",
    "make_metadata",
    "session_factory",
]
