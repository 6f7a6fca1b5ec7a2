"""Events garage publishes (payload models, frozen; a breaking change is a new major)."""

from __future__ import annotations

from garage.db import plumbing
from guichet_common.events import EventRegistry
from guichet_common.outbox import Outbox

SERVICE = "garage"

published = EventRegistry()
outbox = Outbox(SERVICE, plumbing)
