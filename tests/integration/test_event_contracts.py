"""Every event a service consumes is published by another, in a shape its model accepts."""

from __future__ import annotations

from guichet.services import SERVICES
from guichet_common.contracts import event_contract_problems


def test_published_events_satisfy_their_consumers() -> None:
    definitions = [entry.definition() for entry in SERVICES]
    assert event_contract_problems(definitions) == []
