"""Errors: plain error kinds a domain may raise (standard library only) and their RFC 9457 form."""

from shared.errors.kinds import (
    Conflict,
    DomainError,
    FieldError,
    Forbidden,
    InvalidInput,
    NotFound,
)

__all__ = ["Conflict", "DomainError", "FieldError", "Forbidden", "InvalidInput", "NotFound"]
