"""Logs are JSON with the trace id; the issuer's keys are cached and refetched sparingly."""

from __future__ import annotations

import json
import logging

import httpx
import pytest
from opentelemetry import trace

from shared.auth.tokens import InvalidToken, TokenVerifier
from shared.observability import configure_tracing
from shared.observability.logging import JsonFormatter


def test_json_log_lines_carry_the_trace_id():
    configure_tracing("test")
    formatter = JsonFormatter("partners")
    tracer = trace.get_tracer("test")
    with tracer.start_as_current_span("request") as span:
        record = logging.LogRecord("x", logging.INFO, __file__, 1, "zapisano %s", ("obiekt",), None)
        record.case_id = "c-1"
        line = json.loads(formatter.format(record))
    assert line["message"] == "zapisano obiekt"
    assert line["trace_id"] == format(span.get_span_context().trace_id, "032x")
    assert line["case_id"] == "c-1"
    assert line["service"] == "partners"


async def test_unknown_kid_refetches_keys_at_most_once_a_minute(issuer, tokens):
    async with httpx.AsyncClient() as http:
        verifier = TokenVerifier(issuer.issuer_url, "cus-api", http=http)
        good = await tokens.user("coord-a")
        await verifier.verify(good)
        await verifier.verify(good)
        assert verifier.fetch_count == 1  # cached
        for _ in range(3):
            with pytest.raises(InvalidToken):
                await verifier.verify(tokens.forge({}, headers={"kid": "rotated-away"}))
        assert verifier.fetch_count == 1  # the unknown kid did not hammer the issuer
        verifier._fetched_at -= 61  # a minute later an unknown kid may refresh once
        with pytest.raises(InvalidToken):
            await verifier.verify(tokens.forge({}, headers={"kid": "rotated-away"}))
        assert verifier.fetch_count == 2


def test_leeway_above_30_seconds_is_refused():
    with pytest.raises(ValueError, match="leeway"):
        TokenVerifier("http://x/realms/cus", "cus-api", http=httpx.AsyncClient(), leeway=60)
