from __future__ import annotations

import pytest
from pydantic import ValidationError

from guichet_common.events import Envelope, Event, EventRegistry, build_envelope, new_event_id
from guichet_common.logging import correlation_id_var
from guichet_common.testing.bus import ThingHappenedV1


def test_event_ids_are_uuid7_and_sortable_by_time() -> None:
    ids = [new_event_id() for _ in range(50)]
    assert all(i.version == 7 for i in ids)
    assert ids == sorted(ids)


def test_envelope_is_cloudevents_with_correlation() -> None:
    token = correlation_id_var.set("corr-1")
    try:
        envelope = build_envelope(
            service="testsvc", event=ThingHappenedV1(n=3), subject="X-1", causation_id="cause"
        )
    finally:
        correlation_id_var.reset(token)
    wire = Envelope.model_validate_json(envelope.to_json())
    assert wire.specversion == "1.0"
    assert wire.source == "/services/testsvc"
    assert wire.type == "testsvc.thing.happened.v1"
    assert (wire.correlationid, wire.causationid, wire.subject) == ("corr-1", "cause", "X-1")
    assert wire.data == {"n": 3}


def test_consumers_ignore_unknown_fields() -> None:
    assert ThingHappenedV1.model_validate({"n": 1, "added_later": True}) == ThingHappenedV1(n=1)


def test_payloads_are_frozen() -> None:
    event = ThingHappenedV1(n=1)
    with pytest.raises(ValidationError):
        event.n = 2  # type: ignore[misc]


def test_event_type_must_follow_the_naming_rule() -> None:
    with pytest.raises(ValueError, match="past_tense_verb"):

        class Bad(Event):
            event_type = "Garage.Request-Submitted"


def test_registry_refuses_two_models_for_one_type() -> None:
    registry = EventRegistry()
    registry.register(ThingHappenedV1)

    class Other(Event):
        event_type = ThingHappenedV1.event_type

    with pytest.raises(ValueError, match="registered twice"):
        registry.register(Other)
    assert registry.models() == [ThingHappenedV1]
