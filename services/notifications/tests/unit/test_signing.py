"""Signatures made by the service verify with the reference Standard Webhooks library; a tampered
body, an old timestamp or a wrong secret do not; malformed secrets are refused."""

from __future__ import annotations

import base64
import time

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from notifications.domain.signing import MalformedSecret, new_secret, secret_key, webhook_headers

BODY = b'{"specversion":"1.0","id":"e1","type":"cases.referral.requested"}'


def test_signature_verifies_with_the_reference_library() -> None:
    secret = new_secret()
    headers = webhook_headers([secret], "msg_1", int(time.time()), BODY)
    assert Webhook(secret).verify(BODY, headers)["type"] == "cases.referral.requested"


def test_tampered_body_old_timestamp_and_other_secret_fail() -> None:
    secret = new_secret()
    now = int(time.time())
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(BODY + b" ", webhook_headers([secret], "msg_1", now, BODY))
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(BODY, webhook_headers([secret], "msg_1", now - 301, BODY))
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(BODY, webhook_headers([secret], "msg_1", now, BODY))


def test_during_rotation_both_secrets_verify() -> None:
    old, new = new_secret(), new_secret()
    headers = webhook_headers([new, old], "msg_2", int(time.time()), BODY)
    assert len(headers["webhook-signature"].split(" ")) == 2
    for secret in (old, new):
        Webhook(secret).verify(BODY, headers)


@pytest.mark.parametrize(
    "secret",
    [
        "abc",
        "whsec_not base64!",
        "whsec_" + base64.b64encode(b"short").decode(),
        "whsec_" + base64.b64encode(bytes(65)).decode(),
    ],
)
def test_malformed_secrets_are_refused(secret: str) -> None:
    with pytest.raises(MalformedSecret):
        secret_key(secret)
