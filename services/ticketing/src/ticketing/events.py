"""Events ticketing publishes (payload models, frozen; a breaking change is a new major)."""

from __future__ import annotations

from guichet_common.events import EventRegistry
from guichet_common.outbox import Outbox
from ticketing.db import plumbing
from ticketing.settings import SERVICE

published = EventRegistry()
outbox = Outbox(SERVICE, plumbing)
