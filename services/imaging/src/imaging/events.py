"""Events imaging publishes (payload models, frozen; a breaking change is a new major)."""

from __future__ import annotations

from guichet_common.events import EventRegistry
from guichet_common.outbox import Outbox
from imaging.db import plumbing
from imaging.settings import SERVICE

published = EventRegistry()
outbox = Outbox(SERVICE, plumbing)
