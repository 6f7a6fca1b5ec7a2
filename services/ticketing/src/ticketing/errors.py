"""Ticketing's business errors (problem+json with a stable type)."""

from __future__ import annotations

from guichet_common.http import Conflict


class AlreadyExists(Conflict):
    slug, title = "already-exists", "A resource with this key already exists"
