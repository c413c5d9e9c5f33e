"""One trace runs from an HTTP request, through its SQL and the outbox, to a consumer's commit."""

from __future__ import annotations

import asyncio

from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from partners.adapters.orm import inbox
from partners.bootstrap import bootstrap
from partners.config import PartnersSettings
from shared.messaging import STREAMS, register_consumer
from shared.observability import configure_tracing
from shared.testing.plugin import serve


async def test_one_trace_spans_request_sql_and_consumption(
    databases, own_nats, issuer, tokens, new_institution
):
    exporter = InMemorySpanExporter()
    configure_tracing("partners", extra=SimpleSpanProcessor(exporter))
    settings = PartnersSettings(
        database_url=await databases.create("partners"),
        nats_url=own_nats.url,
        oidc_issuer=issuer.issuer_url,
    )
    app, runtime = bootstrap(settings)
    consumed = asyncio.Event()

    async def handler(session, event, payload):
        consumed.set()

    register_consumer(
        runtime.broker,
        stream=STREAMS["partners"],
        durable="trace-test",
        sessions=runtime.sessions,
        inbox=inbox,
        handler=handler,
    )
    async with serve(app, runtime) as client:
        response = await client.post(
            "/v1/institutions",
            json=new_institution("Fundacja Most", "ngo"),
            headers=await tokens.headers("coord-a"),
        )
        assert response.status_code == 201
        await asyncio.wait_for(consumed.wait(), 10)
        # The consumer's span ends just after its handler: wait for it (and its SQL) to finish.
        async with asyncio.timeout(10):
            while not any(s.kind == SpanKind.CONSUMER for s in exporter.get_finished_spans()):
                await asyncio.sleep(0.02)

    spans = exporter.get_finished_spans()
    server = next(
        s
        for s in spans
        if s.kind == SpanKind.SERVER and s.attributes.get("http.route") == "/v1/institutions"
    )
    trace_id = server.context.trace_id
    in_trace = [s for s in spans if s.context.trace_id == trace_id]
    kinds = {(s.kind, s.name.split(" ")[0]) for s in in_trace}
    sql = [
        s
        for s in in_trace
        if s.attributes.get("db.system") == "postgresql"
        or s.attributes.get("db.system.name") == "postgresql"
    ]
    inserts = " ".join(
        str(s.attributes.get("db.statement") or s.attributes.get("db.query.text") or s.name)
        for s in sql
    )
    assert "INSERT INTO institutions" in inserts
    assert "INSERT INTO outbox" in inserts
    assert "INSERT INTO inbox" in inserts  # the consumer's commit
    assert any(s.kind == SpanKind.PRODUCER for s in in_trace), kinds
    consumer = [s for s in in_trace if s.kind == SpanKind.CONSUMER]
    assert consumer, kinds
    # The consumer's own SQL (its inbox insert and commit) belongs to the same trace.
    consumer_ids = {s.context.span_id for s in consumer}
    assert any(s.parent is not None and s.parent.span_id in consumer_ids for s in sql), kinds
