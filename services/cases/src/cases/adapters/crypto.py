"""PESEL protection: AES-256-GCM encryption at rest and an HMAC-SHA256 keyed hash for lookup.

Two independent keys (settings CASES_PESEL_KEY and CASES_PESEL_HASH_KEY, base64 of 32 bytes).
The hash key lets the service find a family by PESEL without decrypting every row; it is a
separate key so that the lookup index alone does not reveal numbers (PESEL has a small space).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

log = logging.getLogger(__name__)

NONCE_BYTES = 12
_AAD = b"cus-cases-pesel-v1"


def decode_key(value: str, name: str) -> bytes:
    key = base64.b64decode(value)
    if len(key) != 32:
        raise ValueError(f"{name} must be base64 of exactly 32 bytes")
    return key


def new_key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


class PeselVault:
    def __init__(self, encryption_key: bytes, hash_key: bytes) -> None:
        if encryption_key == hash_key:
            raise ValueError("the PESEL encryption and hash keys must differ")
        self._aead = AESGCM(encryption_key)
        self._hash_key = hash_key

    def encrypt(self, pesel: str) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, pesel.encode(), _AAD)

    def decrypt(self, blob: bytes) -> str | None:
        """The PESEL, or None when this key cannot open it (the key was changed or lost)."""
        try:
            return self._aead.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], _AAD).decode()
        except InvalidTag:
            log.warning("a PESEL could not be decrypted with the current key")
            return None

    def lookup_hash(self, pesel: str) -> str:
        return hmac.new(self._hash_key, pesel.encode(), hashlib.sha256).hexdigest()

    def __repr__(self) -> str:  # never show keys in logs or tracebacks
        return "PeselVault(<keys hidden>)"
