"""Standard Webhooks signing: `whsec_` secrets and the `webhook-signature` header (HMAC-SHA256).

The signed content is `{webhook-id}.{webhook-timestamp}.{body}`; the header lists one `v1,<base64>`
signature per active secret, separated by spaces, so a receiver holding either secret verifies
during a rotation.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hmac
import secrets as _random
from collections.abc import Iterable

PREFIX = "whsec_"
MIN_SECRET_BYTES = 24
MAX_SECRET_BYTES = 64


class MalformedSecret(ValueError):
    pass


def new_secret() -> str:
    return PREFIX + base64.b64encode(_random.token_bytes(32)).decode()


@functools.lru_cache(maxsize=4096)
def secret_key(secret: str) -> bytes:
    """The raw key of a `whsec_` secret; raises MalformedSecret with a Polish message. Cached:
    every delivery signs with its endpoint's secret, and decoding showed in the profile."""
    if not secret.startswith(PREFIX):
        raise MalformedSecret("Sekret musi zaczynać się od „whsec_”.")
    try:
        key = base64.b64decode(secret[len(PREFIX) :], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise MalformedSecret("Sekret po „whsec_” musi być poprawnym base64.") from exc
    if not MIN_SECRET_BYTES <= len(key) <= MAX_SECRET_BYTES:
        raise MalformedSecret(
            f"Sekret musi mieć od {MIN_SECRET_BYTES} do {MAX_SECRET_BYTES} bajtów (po base64)."
        )
    return key


def signature(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    content = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.digest(secret_key(secret), content, "sha256")  # one-shot, in C
    return "v1," + base64.b64encode(digest).decode()


def signature_header(secrets: Iterable[str], msg_id: str, timestamp: int, body: bytes) -> str:
    return " ".join(signature(s, msg_id, timestamp, body) for s in secrets)


def webhook_headers(
    secrets: Iterable[str], msg_id: str, timestamp: int, body: bytes
) -> dict[str, str]:
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature_header(secrets, msg_id, timestamp, body),
        "content-type": "application/cloudevents+json",
    }
