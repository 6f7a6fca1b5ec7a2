"""Generated contracts: OpenAPI from the app, AsyncAPI 3.0 from published and consumed events."""

from __future__ import annotations

import json
from typing import Any

import yaml
from fastapi import FastAPI

from guichet_common.events import Envelope, Event
from guichet_common.messaging import EVENTS_EXCHANGE
from guichet_common.runtime import ServiceDefinition


def openapi_json(app: FastAPI) -> str:
    return json.dumps(app.openapi(), indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def _channel_id(event_type: str) -> str:
    return event_type.replace(".", "_")


def asyncapi_document(definition: ServiceDefinition) -> dict[str, Any]:
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    schemas: dict[str, Any] = {"Envelope": Envelope.model_json_schema()}

    def add_channel(event_type: str, model: type[Event] | None) -> str:
        cid = _channel_id(event_type)
        if cid not in channels:
            name = model.__name__ if model else cid
            channels[cid] = {
                "address": event_type,
                "messages": {name: {"$ref": f"#/components/messages/{name}"}},
                "bindings": {
                    "amqp": {
                        "is": "routingKey",
                        "exchange": {
                            "name": EVENTS_EXCHANGE,
                            "type": "topic",
                            "durable": True,
                            "autoDelete": False,
                            "vhost": "/",
                        },
                        "bindingVersion": "0.3.0",
                    }
                },
            }
            payload: dict[str, Any] = {"$ref": "#/components/schemas/Envelope"}
            if model is not None:
                schemas[name] = model.model_json_schema()
                payload = {
                    "allOf": [
                        {"$ref": "#/components/schemas/Envelope"},
                        {
                            "type": "object",
                            "properties": {
                                "type": {"const": event_type},
                                "data": {"$ref": f"#/components/schemas/{name}"},
                            },
                        },
                    ]
                }
            messages[name] = {
                "name": event_type,
                "contentType": "application/cloudevents+json",
                "payload": payload,
            }
        return cid

    for model in definition.published.models():
        cid = add_channel(model.event_type, model)
        operations[f"publish_{cid}"] = {"action": "send", "channel": {"$ref": f"#/channels/{cid}"}}
    for subscription in definition.subscriptions:
        queue = f"{definition.name}.{subscription.group}"
        for event_type, (model, _handler) in sorted(subscription.handlers.items()):
            cid = add_channel(event_type, model)
            operations[f"{subscription.group}_receive_{cid}"] = {
                "action": "receive",
                "channel": {"$ref": f"#/channels/{cid}"},
                "bindings": {"amqp": {"queue": queue, "bindingVersion": "0.3.0"}},
            }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": f"{definition.title} events",
            "version": definition.version,
            "description": "CloudEvents 1.0 (structured JSON) on the RabbitMQ topic exchange "
            f"`{EVENTS_EXCHANGE}`; the routing key is the event type.",
        },
        "defaultContentType": "application/cloudevents+json",
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }


def asyncapi_yaml(definition: ServiceDefinition) -> str:
    return yaml.safe_dump(asyncapi_document(definition), sort_keys=False, allow_unicode=True)
