from __future__ import annotations

from datetime import datetime

from guichet_common.contracts import asyncapi_document, event_contract_problems
from guichet_common.contracts import payload_incompatibilities as check
from guichet_common.db import schema_metadata
from guichet_common.events import Event, EventRegistry
from guichet_common.inbox import Subscription
from guichet_common.outbox import Outbox
from guichet_common.runtime import ServiceDefinition, no_state
from guichet_common.settings import CommonSettings
from guichet_common.tables import define_plumbing_tables


class Published(Event):
    event_type = "prod.thing.done.v1"
    number: str
    count: int
    at: datetime
    note: str | None = None


class ReadsLess(Event):
    event_type = "prod.thing.done.v1"
    number: str


class NeedsMissingField(Event):
    event_type = "prod.thing.done.v1"
    number: str
    owner_email: str


class WrongType(Event):
    event_type = "prod.thing.done.v1"
    count: str


class AcceptsFloat(Event):
    event_type = "prod.thing.done.v1"
    count: float


def test_payload_compatibility_rules() -> None:
    assert check(Published, ReadsLess) == []
    assert check(Published, AcceptsFloat) == []
    assert check(Published, NeedsMissingField) == [
        "owner_email: required by the consumer, not always sent"
    ]
    assert check(Published, WrongType) == ["count: sent as ['integer'], accepted as ['string']"]


def definition(
    name: str, published: list[type[Event]], consumed: list[type[Event]]
) -> ServiceDefinition[CommonSettings, None]:
    metadata = schema_metadata(name)
    tables = define_plumbing_tables(metadata)
    registry = EventRegistry()
    for model in published:
        registry.register(model)
    subscription = Subscription("events")
    for model in consumed:

        async def handle(*_args: object) -> None:
            return None

        subscription.on(model)(handle)
    return ServiceDefinition(
        name=name,
        title=name,
        description=name,
        settings=CommonSettings(),
        metadata=metadata,
        tables=tables,
        outbox=Outbox(name, tables),
        published=registry,
        lifespan=no_state,
        subscriptions=[subscription] if consumed else [],
    )


def test_event_contract_problems_across_services() -> None:
    producer = definition("prod", [Published], [])
    good = definition("good", [], [ReadsLess])
    bad = definition("bad", [], [NeedsMissingField])

    class Orphan(Event):
        event_type = "nobody.thing.done.v1"

    orphan = definition("lonely", [], [Orphan])
    assert event_contract_problems([producer, good]) == []
    assert event_contract_problems([producer, bad, orphan]) == [
        "bad.events <- prod.thing.done.v1 (from prod): owner_email: required by the consumer, "
        "not always sent",
        "lonely.events <- nobody.thing.done.v1: no service publishes it",
    ]
    document = asyncapi_document(good)
    assert document["operations"]["events_receive_prod_thing_done_v1"]["action"] == "receive"
    assert asyncapi_document(producer)["channels"]["prod_thing_done_v1"]["address"] == (
        "prod.thing.done.v1"
    )
