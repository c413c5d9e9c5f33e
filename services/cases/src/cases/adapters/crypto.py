"""PESEL protection: AES-256-GCM encryption at rest and an HMAC-SHA256 keyed hash for lookup.

Two independent keys (settings CASES_PESEL_KEY and CASES_PESEL_HASH_KEY, base64 of 32 bytes).
The hash key lets the service find a family by PESEL without decrypting every row; it is a
separate key so that the lookup index alone does not reveal numbers (PESEL has a small space).

Each ciphertext and each hash is stored with the id of the key that made it (ADR 0026). Old keys
listed in CASES_PESEL_PREVIOUS_KEYS stay readable: ciphertexts under them are decrypted and
hashes under them are found, until `python -m cases.rotate_pesel_keys` has moved every stored
number to the current keys. A key id is derived from the key (a keyed fingerprint that reveals
nothing about it), so configuration cannot pair a key with a wrong id.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import uuid
from collections.abc import Iterable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from cases.service.ports import SealedPesel
from shared.errors import DomainError

log = logging.getLogger(__name__)

NONCE_BYTES = 12
# Ciphertexts made before key ids existed (key id NULL) are bound to this string alone.
_LEGACY_AAD = b"cus-cases-pesel-v1"
_AAD = b"cus-cases-pesel-v2:"  # + key id: a ciphertext cannot be relabelled with another key
_KEY_ID_LABEL = b"cus-cases-pesel-key-id"
# Free text of the case (ADR 0017): version byte || key id (8 bytes) || nonce || ciphertext+tag,
# the associated data naming the key, the table and column, and the row.
_TEXT_VERSION = b"\x01"
_TEXT_AAD = b"cus-cases-text-v1:"
TEXT_HEADER = 1 + 8  # the version byte and the key id, before the nonce


class UnreadableText(DomainError):
    """A sealed free-text value no configured key opens for its row and column: the key is lost,
    or the value was moved from another row or column (which the associated data forbids). The
    read fails as a whole (500) rather than show the rest as if nothing were missing."""

    status = 500
    title = "Nie można odczytać danych sprawy"
    slug = "unreadable-text"

    def __init__(self, place: str) -> None:
        super().__init__(
            "Zaszyfrowanego tekstu sprawy nie da się odczytać skonfigurowanymi kluczami "
            "(brak klucza albo dane przeniesione z innego miejsca). Zgłoś to administratorowi."
        )
        self.place = place


def text_key_id(blob: bytes) -> str:
    """The id of the key a sealed free-text value was made with (hex, as `key_id`)."""
    return blob[1:TEXT_HEADER].hex()


def _text_aad(kid: str, place: str, row_id: uuid.UUID) -> bytes:
    return _TEXT_AAD + f"{kid}:{place}:{row_id}".encode()


def decode_key(value: str, name: str) -> bytes:
    key = base64.b64decode(value)
    if len(key) != 32:
        raise ValueError(f"{name} must be base64 of exactly 32 bytes")
    return key


def decode_keys(value: str | None, name: str) -> list[bytes]:
    """A comma-separated list of base64 keys (CASES_PESEL_PREVIOUS_KEYS)."""
    return [decode_key(part.strip(), name) for part in (value or "").split(",") if part.strip()]


def new_key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def key_id(key: bytes) -> str:
    """A short public name for a key: HMAC of a fixed label under the key."""
    return hmac.new(key, _KEY_ID_LABEL, hashlib.sha256).hexdigest()[:16]


class PeselVault:
    def __init__(
        self, encryption_key: bytes, hash_key: bytes, previous_keys: Iterable[bytes] = ()
    ) -> None:
        if encryption_key == hash_key:
            raise ValueError("the PESEL encryption and hash keys must differ")
        self.key_id = key_id(encryption_key)
        self.hash_key_id = key_id(hash_key)
        self._aead = AESGCM(encryption_key)
        self._hash_key = hash_key
        # Every key this vault can read with, current first. An old key may have been either an
        # encryption or a hash key; the stored key id says which row needs which.
        keys = dict.fromkeys([encryption_key, hash_key, *previous_keys])
        self._readers = {key_id(k): AESGCM(k) for k in keys if k != hash_key}
        self._hashers = {key_id(k): k for k in keys if k != encryption_key}

    def seal(self, pesel: str) -> SealedPesel:
        """The PESEL encrypted and hashed under the current keys, with their ids."""
        return SealedPesel(self.encrypt(pesel), self.key_id, self.lookup_hash(pesel),
                           self.hash_key_id)  # fmt: skip

    def encrypt(self, pesel: str) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, pesel.encode(), _AAD + self.key_id.encode())

    def decrypt(self, blob: bytes, key_id: str | None = None) -> str | None:
        """The PESEL, or None when no key of this vault opens it (a key changed or lost).
        Without a key id (a number stored before key ids), every known key is tried."""
        nonce, body = blob[:NONCE_BYTES], blob[NONCE_BYTES:]
        if key_id is None:
            candidates = [(aead, _LEGACY_AAD) for aead in self._readers.values()]
        elif key_id in self._readers:
            candidates = [(self._readers[key_id], _AAD + key_id.encode())]
        else:
            candidates = []
        for aead, aad in candidates:
            try:
                return aead.decrypt(nonce, body, aad).decode()
            except InvalidTag:
                continue
        log.warning("a PESEL could not be decrypted with the configured keys")
        return None

    def seal_text(self, place: str, row_id: uuid.UUID, plaintext: str) -> bytes:
        """Free text of `place` ("table.column") of the row `row_id`, under the current key."""
        nonce = os.urandom(NONCE_BYTES)
        aad = _text_aad(self.key_id, place, row_id)
        header = _TEXT_VERSION + bytes.fromhex(self.key_id)
        return header + nonce + self._aead.encrypt(nonce, plaintext.encode(), aad)

    def open_text(self, place: str, row_id: uuid.UUID, blob: bytes) -> str:
        """The free text sealed for this row and column; UnreadableText when no key opens it
        there (a lost key, or a value copied from another row or column)."""
        blob = bytes(blob)
        if blob[:1] != _TEXT_VERSION or len(blob) < TEXT_HEADER + NONCE_BYTES + 16:
            raise UnreadableText(place)
        kid = text_key_id(blob)
        aead = self._readers.get(kid)
        if aead is None:
            log.warning("free text under an unknown key id in %s", place)
            raise UnreadableText(place)
        start = TEXT_HEADER + NONCE_BYTES
        nonce, body = blob[TEXT_HEADER:start], blob[start:]
        try:
            return aead.decrypt(nonce, body, _text_aad(kid, place, row_id)).decode()
        except InvalidTag:
            log.warning("free text in %s failed its authentication tag", place)
            raise UnreadableText(place) from None

    def lookup_hash(self, pesel: str) -> str:
        return hmac.new(self._hash_key, pesel.encode(), hashlib.sha256).hexdigest()

    def lookup_hashes(self, pesel: str) -> list[tuple[str, str]]:
        """(hash key id, hash) under the current and every previous key, to find numbers stored
        under any of them while a rotation is under way."""
        return [
            (kid, hmac.new(key, pesel.encode(), hashlib.sha256).hexdigest())
            for kid, key in self._hashers.items()
        ]

    def __repr__(self) -> str:  # never show keys in logs or tracebacks
        return "PeselVault(<keys hidden>)"
