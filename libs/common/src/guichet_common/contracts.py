"""Generated contracts: OpenAPI from the app, AsyncAPI 3.0 from published and consumed events."""

from __future__ import annotations

import json
from typing import Any

import yaml
from fastapi import FastAPI

from guichet_common.events import Envelope, Event
from guichet_common.messaging.topology import EVENTS_EXCHANGE
from guichet_common.runtime import ServiceDefinition


def openapi_json(app: FastAPI) -> str:
    return json.dumps(app.openapi(), indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def _channel_id(event_type: str) -> str:
    return event_type.replace(".", "_")


def asyncapi_document(definition: ServiceDefinition[Any, Any]) -> dict[str, Any]:
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


def asyncapi_yaml(definition: ServiceDefinition[Any, Any]) -> str:
    return yaml.safe_dump(asyncapi_document(definition), sort_keys=False, allow_unicode=True)


# --- producer/consumer compatibility -------------------------------------------------------


def _json_types(schema: dict[str, Any], defs: dict[str, Any]) -> set[str]:
    if "$ref" in schema:
        return _json_types(defs.get(schema["$ref"].rsplit("/", 1)[-1], {}), defs) or {"object"}
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return set().union(*(_json_types(s, defs) for s in schema[key]))
    if "const" in schema or "enum" in schema:
        values = [schema["const"]] if "const" in schema else schema["enum"]
        return {type(v).__name__.replace("str", "string") for v in values}
    kind = schema.get("type")
    if isinstance(kind, list):
        return set(kind)
    return {kind} if kind else set()


def payload_incompatibilities(producer: type[Event], consumer: type[Event]) -> list[str]:
    """What in the producer's payload would make the consumer's model reject it."""
    p_schema, c_schema = producer.model_json_schema(), consumer.model_json_schema()
    p_props, c_props = p_schema.get("properties", {}), c_schema.get("properties", {})
    p_required = set(p_schema.get("required", []))
    problems = []
    for field_name in sorted(c_schema.get("required", [])):
        if field_name not in p_required:
            problems.append(f"{field_name}: required by the consumer, not always sent")
    for field_name in sorted(set(c_props) & set(p_props)):
        sent = _json_types(p_props[field_name], p_schema.get("$defs", {}))
        accepted = _json_types(c_props[field_name], c_schema.get("$defs", {}))
        if "number" in accepted:
            accepted.add("integer")
        if sent and accepted and not sent <= accepted:
            problems.append(f"{field_name}: sent as {sorted(sent)}, accepted as {sorted(accepted)}")
    return problems


def event_contract_problems(definitions: list[ServiceDefinition[Any, Any]]) -> list[str]:
    """Every consumed event type is published by some service, in a shape its consumers read."""
    producers = {
        model.event_type: (definition.name, model)
        for definition in definitions
        for model in definition.published.models()
    }
    problems = []
    for definition in definitions:
        for subscription in definition.subscriptions:
            for event_type, (consumer_model, _handler) in sorted(subscription.handlers.items()):
                where = f"{definition.name}.{subscription.group} <- {event_type}"
                if event_type not in producers:
                    problems.append(f"{where}: no service publishes it")
                    continue
                producer_name, producer_model = producers[event_type]
                problems.extend(
                    f"{where} (from {producer_name}): {problem}"
                    for problem in payload_incompatibilities(producer_model, consumer_model)
                )
    return problems
