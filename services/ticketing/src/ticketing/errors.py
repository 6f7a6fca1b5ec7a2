"""Ticketing's business errors (problem+json with a stable type)."""

from __future__ import annotations

from guichet_common.http import Conflict


class AlreadyExists(Conflict):
    slug, title = "already-exists", "A resource with this key already exists"


class InvalidTransition(Conflict):
    """Carries `status_now` and the `allowed_actions` of this caller in that status (the
    ticket's status cannot be named `status`: problem+json's `status` is the HTTP code)."""

    slug, title = "invalid-transition", "This action is not allowed in the ticket's status"


class AssigneeRequired(Conflict):
    slug, title = "assignee-required", "The ticket has no assignee"
