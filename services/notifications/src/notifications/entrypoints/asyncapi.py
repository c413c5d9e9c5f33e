"""The AsyncAPI 3.0 document of every event a partner system can receive (webhook or feed)."""

from __future__ import annotations

from typing import Any

from shared.contracts import event_type_registry

RECEIVABLE_PREFIXES = ("partners.", "basket.", "cases.")


def document(version: str) -> dict[str, Any]:
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for event_type, model in sorted(event_type_registry().items()):
        if not event_type.startswith(RECEIVABLE_PREFIXES):
            continue
        key = event_type.replace(".", "_")
        messages[key] = {
            "name": event_type,
            "title": model.__name__,
            "summary": (model.__doc__ or "").strip().split("\n")[0] or event_type,
            "contentType": "application/cloudevents+json",
            "headers": {
                "type": "object",
                "properties": {
                    "webhook-id": {"type": "string", "description": "The event id"},
                    "webhook-timestamp": {"type": "string"},
                    "webhook-signature": {"type": "string"},
                },
            },
            "payload": {
                "type": "object",
                "description": "CloudEvents 1.0 envelope; `data` follows the schema below",
                "required": ["specversion", "id", "type", "source", "time", "data"],
                "properties": {
                    "specversion": {"const": "1.0"},
                    "id": {"type": "string", "format": "uuid"},
                    "type": {"const": event_type},
                    "source": {"type": "string"},
                    "subject": {"type": ["string", "null"]},
                    "time": {"type": "string", "format": "date-time"},
                    "tenant": {"type": ["string", "null"]},
                    "schemaversion": {"const": model.schema_version},
                    "data": model.model_json_schema(),
                },
            },
        }
        channels[key] = {
            "address": event_type,
            "messages": {key: {"$ref": f"#/components/messages/{key}"}},
        }
        operations[f"receive_{key}"] = {
            "action": "receive",
            "channel": {"$ref": f"#/channels/{key}"},
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "CUS – zdarzenia dla systemów partnerów",
            "version": version,
            "description": (
                "Events a partner system may receive by webhook (Standard Webhooks signatures) "
                "or from GET /v1/feed: those of its municipalities, and case events only while "
                "its institution is within the family's consent."
            ),
        },
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages},
    }
