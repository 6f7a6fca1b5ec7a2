"""The ticket state machine, as data: which action applies from which status, for whom.

No mapped model here: the lifecycle moves `tickets.models.Ticket`. The tables below are
the one place that says what is legal; the check and the `allowed_actions` of a refusal
both read them, so they cannot disagree."""

from __future__ import annotations

from enum import StrEnum

from ticketing.tickets.models import Status


class Action(StrEnum):
    ASSIGN = "assign"
    PLAN = "plan"
    PEND = "pend"
    RESUME = "resume"
    SOLVE = "solve"
    CLOSE = "close"
    REOPEN = "reopen"
    CANCEL = "cancel"


# Still being worked on: a ticket can be solved or cancelled from any of these.
_OPEN = frozenset({Status.NEW, Status.ASSIGNED, Status.PLANNED, Status.PENDING})
_IN_HAND = frozenset({Status.ASSIGNED, Status.PLANNED})

# The helpdesk (technicians, supervisors, API keys): action -> the statuses it applies from.
STAFF_TRANSITIONS: dict[Action, frozenset[Status]] = {
    Action.ASSIGN: _IN_HAND | {Status.NEW},
    Action.PLAN: _IN_HAND,
    Action.PEND: _IN_HAND,
    Action.RESUME: frozenset({Status.PENDING}),
    Action.SOLVE: _OPEN,
    Action.CLOSE: frozenset({Status.SOLVED}),
    Action.REOPEN: frozenset({Status.SOLVED}),
    Action.CANCEL: _OPEN,
}

# A requester approves (close) or refuses (reopen) a solution, as in GLPI, and withdraws a
# ticket of theirs nobody has taken yet. Any other action is the helpdesk's (403).
REQUESTER_TRANSITIONS: dict[Action, frozenset[Status]] = {
    Action.CLOSE: frozenset({Status.SOLVED}),
    Action.REOPEN: frozenset({Status.SOLVED}),
    Action.CANCEL: frozenset({Status.NEW}),
}
# What a requester may do only to a ticket they opened or that names them as requester
# (a `sites` claim shows them others' tickets too).
OWNER_ONLY = frozenset({Action.CANCEL})


def transitions_for(*, staff: bool, owner: bool) -> dict[Action, frozenset[Status]]:
    """The actions this caller may take on this ticket, each with the statuses it applies
    from."""
    if staff:
        return STAFF_TRANSITIONS
    return {
        action: sources
        for action, sources in REQUESTER_TRANSITIONS.items()
        if owner or action not in OWNER_ONLY
    }


def allowed_actions(table: dict[Action, frozenset[Status]], status: Status) -> list[str]:
    """The actions legal now, in the table's order."""
    return [action.value for action, sources in table.items() if status in sources]
