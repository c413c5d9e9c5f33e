"""Free text of the case encrypted at rest (ADR 0017), transparently for the domain and the API.

The columns listed in SEALED hold `PeselVault.seal_text` blobs (bytea): AES-256-GCM under the
PESEL encryption key, with associated data naming the key, the table and column, and the row's
id, so a value copied into another row or column does not open. JSON columns are sealed as their
JSON text.

For the ORM the sealed column is mapped under a private attribute (`_sealed_<column>`); the
domain object's own attribute holds the plain value, which is opened when a row is loaded and
sealed before every flush in which it is new or changed (`before_flush`). The vault comes from
the session's `info["vault"]` (set by bootstrap on the service's session factories), so every
session, and only a session of the cases service, seals and opens with the service's keys. Raw
SQL reads (views, the lean case view, the policy snapshot) open their values with `open_value`.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from cases.adapters.crypto import UnreadableText


class TextVault(Protocol):
    key_id: str

    def seal_text(self, place: str, row_id: uuid.UUID, plaintext: str) -> bytes: ...

    def open_text(self, place: str, row_id: uuid.UUID, blob: bytes) -> str: ...


# Table -> its sealed columns (ADR 0017 lists why each).
SEALED: dict[str, tuple[str, ...]] = {
    "cases": ("close_note",),
    "case_reassignments": ("reason",),
    "consents": ("withdrawal_note",),
    "diagnosis_entries": ("text",),
    "plan_versions": ("goals",),
    "monitoring_reviews": ("goals", "family_assessment", "notes"),
    "referrals": ("note", "reason", "outcome", "history"),
    "meetings": ("agenda", "notes", "decisions"),
    "redactions": ("fragments",),
}
# Sealed columns whose plain value is JSON (a list of goals, of history entries, …).
JSON_COLUMNS = frozenset(
    {
        "plan_versions.goals",
        "monitoring_reviews.goals",
        "referrals.history",
        "meetings.agenda",
        "meetings.decisions",
        "redactions.fragments",
    }
)
SEALED_PREFIX = "_sealed_"
_OPENED = "_sealed_opened"  # the serialised plain values as last opened or sealed


def places() -> list[str]:
    return [f"{table}.{column}" for table, columns in SEALED.items() for column in columns]


def serialise(place: str, value: Any) -> str | None:
    if value is None:
        return None
    if place in JSON_COLUMNS:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


def deserialise(place: str, text: str | None) -> Any:
    if text is None:
        return None
    return json.loads(text) if place in JSON_COLUMNS else text


def seal_value(vault: TextVault, place: str, row_id: uuid.UUID, value: Any) -> bytes | None:
    text = serialise(place, value)
    return None if text is None else vault.seal_text(place, row_id, text)


def _blob(raw: Any) -> bytes | None:
    """A bytea as asyncpg/SQLAlchemy give it (bytes, memoryview) or inside JSON ("\\x<hex>")."""
    if raw is None:
        return None
    if isinstance(raw, str):
        return bytes.fromhex(raw[2:] if raw.startswith("\\x") else raw)
    return bytes(raw)


def open_value(vault: TextVault, place: str, row_id: uuid.UUID | str, raw: Any) -> Any:
    """The plain value of a sealed column as a raw read returns it (None stays None)."""
    blob = _blob(raw)
    if blob is None:
        return None
    rid = row_id if isinstance(row_id, uuid.UUID) else uuid.UUID(str(row_id))
    return deserialise(place, vault.open_text(place, rid, blob))


def open_row(vault: TextVault, table: str, row: Mapping[Any, Any]) -> dict[str, Any]:
    """A row (a mapping with `id`) with its sealed columns opened."""
    out = dict(row)
    for column in SEALED[table]:
        if column in out:
            out[column] = open_value(vault, f"{table}.{column}", out["id"], out[column])
    return out


def mapped_properties(table: str, columns: Any) -> dict[str, Any]:
    """The `properties` of an imperative mapping: each sealed column under its private name."""
    return {SEALED_PREFIX + column: columns[column] for column in SEALED.get(table, ())}


# --- the ORM: open on load, seal before flush ------------------------------------------------

_TABLE_OF: dict[type[Any], str] = {}


def vault_of(session: Session) -> TextVault:
    vault: TextVault | None = session.info.get("vault")
    if vault is None:  # never store or show the ciphertext as if it were the text
        raise RuntimeError("the session has no vault for the sealed free text (ADR 0017)")
    return vault


def _open(target: Any, session: Session | None, columns: Iterable[str]) -> None:
    table = _TABLE_OF[type(target)]
    opened = target.__dict__.setdefault(_OPENED, {})
    for column in columns:
        raw = target.__dict__.get(SEALED_PREFIX + column)
        place = f"{table}.{column}"
        if raw is None:
            value = None
        else:
            if session is None:
                raise RuntimeError("a sealed value loaded outside a session")
            value = open_value(vault_of(session), place, target.id, raw)
        # A plain attribute (not instrumented): the domain reads and writes it as before.
        target.__dict__[column] = value
        opened[column] = serialise(place, value)


def _on_load(target: Any, context: Any) -> None:
    _open(target, context.session, SEALED[_TABLE_OF[type(target)]])


def _on_refresh(target: Any, context: Any, attrs: Iterable[str] | None) -> None:
    columns = SEALED[_TABLE_OF[type(target)]]
    if attrs is not None:
        wanted = set(attrs)
        columns = tuple(c for c in columns if SEALED_PREFIX + c in wanted)
    _open(target, context.session, columns)


def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    seal_changes(session)


def seal_changes(session: Session) -> None:
    """Seal every new or changed plain value of the session's objects. Runs before each flush;
    called by the unit of work before it commits too, since a change of a plain attribute alone
    does not make the object dirty for the ORM (and a clean session skips its flush)."""
    seen: set[int] = set()
    for target in [*session.new, *session.identity_map.values()]:
        table = _TABLE_OF.get(type(target))
        if table is None or id(target) in seen or target in session.deleted:
            continue
        seen.add(id(target))
        opened: dict[str, str | None] = target.__dict__.setdefault(_OPENED, {})
        new = target in session.new
        for column in SEALED[table]:
            place = f"{table}.{column}"
            text = serialise(place, getattr(target, column, None))
            if new or column not in opened or opened[column] != text:
                vault = vault_of(session)
                sealed = None if text is None else vault.seal_text(place, target.id, text)
                setattr(target, SEALED_PREFIX + column, sealed)
                opened[column] = text


def install(classes: Mapping[type[Any], str]) -> None:
    """Hook the sealing into the mapped classes (class -> table); once per process."""
    for cls, table in classes.items():
        if table not in SEALED:
            continue
        _TABLE_OF[cls] = table
        event.listen(cls, "load", _on_load)
        event.listen(cls, "refresh", _on_refresh)
    if not event.contains(Session, "before_flush", _before_flush):
        event.listen(Session, "before_flush", _before_flush)


def use_vault(vault: TextVault, *factories: async_sessionmaker[AsyncSession] | None) -> None:
    """Every session the factories make seals and opens free text with this vault."""
    for factory in factories:
        if factory is not None:
            info = dict(factory.kw.get("info") or {})
            info["vault"] = vault
            factory.configure(info=info)


__all__ = ["UnreadableText", "install", "open_row", "open_value", "seal_value", "use_vault"]
