"""Imaging's business errors (problem+json with a stable type)."""

from __future__ import annotations

from guichet_common.http import Conflict


class AlreadyExists(Conflict):
    slug, title = "already-exists", "A resource with this key already exists"


class HostnameTaken(Conflict):
    slug, title = "hostname-taken", "The hostname is held by another host"


class NamesExhausted(Conflict):
    slug, title = "names-exhausted", "The naming policy has no free name left"


class InUse(Conflict):
    slug, title = "in-use", "The resource is still in use"
