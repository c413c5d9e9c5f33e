"""Error kinds shared by every service's domain. Standard library only, so domain code may use them.

Messages are in Polish: they reach the user as the problem's `detail`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str
    code: str = "invalid"


class DomainError(Exception):
    """Base of the errors a handler raises; one place maps them to HTTP."""

    status = 400
    title = "Błędne żądanie"
    slug = "bad-request"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class InvalidInput(DomainError):
    """Input that breaks a rule; names the failing fields."""

    status = 422
    title = "Nieprawidłowe dane"
    slug = "validation"

    def __init__(self, *errors: FieldError, detail: str | None = None) -> None:
        self.errors = list(errors)
        super().__init__(detail or "; ".join(f"{e.field}: {e.message}" for e in errors))

    @classmethod
    def field(cls, field: str, message: str, code: str = "invalid") -> InvalidInput:
        return cls(FieldError(field, message, code))


class NotFound(DomainError):
    status = 404
    title = "Nie znaleziono"
    slug = "not-found"


class Conflict(DomainError):
    """The request is valid but contradicts the current state (e.g. an illegal transition)."""

    status = 409
    title = "Konflikt ze stanem obiektu"
    slug = "conflict"


class Forbidden(DomainError):
    status = 403
    title = "Brak uprawnień"
    slug = "forbidden"
