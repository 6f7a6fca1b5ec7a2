"""The ticket's lifecycle: its submission (`open_ticket`), its edits (`edit_ticket`) and one
path for every action (`transition`): who may act and from which status (`models`), the
action's change to the ticket, a history entry (each field's old and new value) and one
event, all in the caller's transaction. Each of them moves the ticket's SLA clocks
(`sla.service`), which `tickets` cannot reach: it sits below the SLA."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from guichet_common.auth import Principal
from guichet_common.events import utcnow
from guichet_common.http import Forbidden, InvalidInput, check_if_match
from ticketing.deps import Viewer
from ticketing.errors import AssigneeRequired, InvalidTransition
from ticketing.events import (
    TicketAssignedV1,
    TicketCancelledV1,
    TicketClosedV1,
    TicketEvent,
    TicketPendedV1,
    TicketPlannedV1,
    TicketReopenedV1,
    TicketResumedV1,
    TicketSolvedV1,
    outbox,
)
from ticketing.interventions import service as interventions
from ticketing.lifecycle.models import OWNER_ONLY, Action, allowed_actions, transitions_for
from ticketing.lifecycle.schemas import (
    AssignIn,
    CancelIn,
    CloseIn,
    Command,
    PendIn,
    PlanIn,
    ReopenIn,
    ResumeIn,
    SolveIn,
)
from ticketing.settings import TicketingSettings
from ticketing.sla import service as sla
from ticketing.staff import repository as staff
from ticketing.tickets import repository
from ticketing.tickets import service as tickets
from ticketing.tickets.models import PENDING_LABELS, RESOLUTION_LABELS, Status, Ticket
from ticketing.tickets.schemas import TicketIn, TicketPatch
from ticketing.tickets.service import event_fields


@dataclass(frozen=True)
class Outcome:
    """What an action did, beyond the ticket's fields: its event, the event's own fields,
    and the reason the history keeps."""

    event: type[TicketEvent]
    fields: dict[str, Any] = field(default_factory=dict)
    reason: str | None = None


async def open_ticket(
    session: AsyncSession,
    settings: TicketingSettings,
    data: TicketIn,
    principal: Principal,
    *,
    now: datetime | None = None,
) -> Ticket:
    """A new ticket, its SLA clocks running from now. Everything is read and built before
    the ticket takes its reference, last (`tickets.service.file_ticket`)."""
    now = now or utcnow()
    with session.no_autoflush:  # nothing is written before the ticket has its number
        admitted = await tickets.admit_ticket(session, data, principal, now=now)
        await sla.start(session, settings, admitted.ticket, admitted.site, now)
    await tickets.file_ticket(session, settings, admitted.ticket, principal)
    return admitted.ticket


async def edit_ticket(
    session: AsyncSession,
    settings: TicketingSettings,
    reference: str,
    data: TicketPatch,
    principal: Principal,
    *,
    if_match: str | None,
    now: datetime | None = None,
) -> Ticket:
    """The fields sent changed (`tickets.service.update_ticket`); a new priority gives the
    clocks still counting its targets, and their deadlines move."""
    ticket = await tickets.update_ticket(
        session, reference, data, principal, if_match=if_match, now=now
    )
    await sla.retarget(session, settings, ticket)
    return ticket


async def transition(
    session: AsyncSession,
    reference: str,
    command: Command,
    principal: Principal,
    *,
    if_match: str | None,
    settings: TicketingSettings,
    now: datetime | None = None,
) -> Ticket:
    """The action `command` names, on the ticket `reference`: checked (`_begin`), applied,
    recorded in the history, its SLA clocks and planned visit moved, and announced by one
    event, in the caller's transaction."""
    now = now or utcnow()
    action = command.action
    ticket = await _begin(session, reference, action, principal, if_match)
    before = _snapshot(ticket)
    outcome = await _apply(session, ticket, command, principal, now)
    await _record(session, ticket, principal, action, before, now, reason=outcome.reason)
    # After the ticket is written: the clocks' and the visit's own writes must not flush
    # it a second time.
    await sla.follow(session, settings, ticket, now)
    await outbox.publish(
        session,
        outcome.event(**event_fields(ticket, principal), **outcome.fields),
        subject=ticket.reference,
    )
    if isinstance(command, PlanIn):
        assert ticket.assignee is not None and ticket.planned_for is not None  # by _plan
        await interventions.plan_visit(
            session, settings, ticket, ticket.assignee, ticket.planned_for, principal, now
        )
    return ticket


async def _apply(
    session: AsyncSession, ticket: Ticket, command: Command, principal: Principal, now: datetime
) -> Outcome:
    match command:
        case AssignIn():
            return await _assign(session, ticket, command)
        case PlanIn():
            return await _plan(session, ticket, command)
        case PendIn():
            return _pend(ticket, command)
        case ResumeIn():
            return _resume(ticket)
        case SolveIn():
            return _solve(ticket, command, now)
        case CloseIn():
            return await _close(session, ticket, command, principal, now)
        case ReopenIn():
            return _reopen(ticket, command)
        case CancelIn():
            return _cancel(ticket, command)


# --- the actions -----------------------------------------------------------------------------


async def _assign(session: AsyncSession, ticket: Ticket, command: AssignIn) -> Outcome:
    """To a technician and/or a group; a new ticket becomes assigned, an assigned or planned
    one stays as it is (the planned date is the ticket's, whoever comes)."""
    if command.assignee is None and command.group is None:
        raise InvalidInput("assign needs an assignee, a group or both", field="assignee")
    if command.assignee is not None:
        await _assign_technician(session, ticket, command.assignee, field="assignee")
    if command.group is not None:
        group = await staff.find_group(session, command.group)
        if group is None or not group.active:
            raise InvalidInput(f"group: no active support group {command.group}", field="group")
        ticket.group_code, ticket.group_name = group.code, group.name
    if ticket.status is Status.NEW:
        ticket.status = Status.ASSIGNED
    return Outcome(TicketAssignedV1)


async def _plan(session: AsyncSession, ticket: Ticket, command: PlanIn) -> Outcome:
    """The intervention's date; `technician` assigns them too (one event: planned). An
    intervention needs someone to go: 409 `assignee-required` without an assignee."""
    if command.technician is not None:
        await _assign_technician(session, ticket, command.technician, field="technician")
    if ticket.assignee is None:
        raise AssigneeRequired(
            f"{ticket.reference} has no assignee: assign a technician first, or name one in "
            "`technician`",
            status_now=ticket.status.value,
        )
    # Read back in UTC, as every time the API returns.
    ticket.planned_for = command.planned_for.astimezone(UTC)
    ticket.status = Status.PLANNED
    return Outcome(TicketPlannedV1, {"planned_for": ticket.planned_for})


def _pend(ticket: Ticket, command: PendIn) -> Outcome:
    """Waiting for the user, a supplier or a part; `comment` goes to the history."""
    ticket.pending_reason = command.reason
    ticket.status = Status.PENDING
    return Outcome(
        TicketPendedV1,
        {
            "pending_reason": command.reason.value,
            "pending_reason_label": PENDING_LABELS[command.reason],
        },
        reason=command.comment,
    )


def _resume(ticket: Ticket) -> Outcome:
    """Back to planned if an intervention date is set, to assigned otherwise."""
    ticket.pending_reason = None
    ticket.status = Status.PLANNED if ticket.planned_for is not None else Status.ASSIGNED
    return Outcome(TicketResumedV1)


def _solve(ticket: Ticket, command: SolveIn, now: datetime) -> Outcome:
    """The solution, for the requester to approve (close) or refuse (reopen)."""
    ticket.solution = command.solution
    ticket.resolution_code = command.resolution_code
    ticket.solved_at = now
    ticket.pending_reason = None
    ticket.status = Status.SOLVED
    return Outcome(
        TicketSolvedV1,
        {
            "solution": command.solution,
            "resolution_code": command.resolution_code.value,
            "resolution_label": RESOLUTION_LABELS[command.resolution_code],
            "solved_at": now,
        },
    )


async def _close(
    session: AsyncSession, ticket: Ticket, command: CloseIn, principal: Principal, now: datetime
) -> Outcome:
    """The solution is accepted: the ticket is closed for good, once every on-site
    intervention sheet is signed (409 otherwise), unless a supervisor writes why not
    (`override_reason`, kept in the history)."""
    reason = await interventions.check_close(session, ticket, principal, command.override_reason)
    ticket.closed_at = now
    ticket.status = Status.CLOSED
    return Outcome(TicketClosedV1, {"closed_at": now}, reason=reason)


def _reopen(ticket: Ticket, command: ReopenIn) -> Outcome:
    """The solution is refused: back to whoever had it (assigned: a technician or a group),
    or to the queue (new). The solution, its code and date, and the past intervention date
    are cleared; the history keeps them (old values of this entry)."""
    ticket.solution = None
    ticket.resolution_code = None
    ticket.solved_at = None
    ticket.planned_for = None
    has_someone = ticket.assignee is not None or ticket.group_code is not None
    ticket.status = Status.ASSIGNED if has_someone else Status.NEW
    return Outcome(TicketReopenedV1, {"reason": command.reason}, reason=command.reason)


def _cancel(ticket: Ticket, command: CancelIn) -> Outcome:
    """Withdrawn (a duplicate, a request no longer needed): no solution, no e-mail."""
    ticket.pending_reason = None
    ticket.status = Status.CANCELLED
    return Outcome(TicketCancelledV1, {"reason": command.reason}, reason=command.reason)


# --- what every action does ------------------------------------------------------------------


async def _begin(
    session: AsyncSession,
    reference: str,
    action: Action,
    principal: Principal,
    if_match: str | None,
) -> Ticket:
    """The ticket, locked, once the caller may take `action` on it now: 404 if they cannot
    see it, 403 if the action is not theirs, 428/412 on If-Match, 409 with the actions they
    may take if the ticket's status does not allow it."""
    viewer = Viewer.of(principal)
    ticket = await repository.get_visible(session, reference, viewer, for_update=True)
    table = transitions_for(
        staff=viewer.staff,
        owner=viewer.is_named_in(ticket.opened_by, ticket.requester_email),
    )
    if action not in table:
        raise Forbidden(
            f"only the ticket's requester may {action} it"
            if action in OWNER_ONLY
            else f"only the helpdesk may {action} a ticket"
        )
    check_if_match(if_match, ticket.version)
    if ticket.status not in table[action]:
        raise InvalidTransition(
            f"cannot {action} a ticket that is {ticket.status}",
            status_now=ticket.status.value,
            allowed_actions=allowed_actions(table, ticket.status),
        )
    return ticket


async def _assign_technician(
    session: AsyncSession, ticket: Ticket, login: str, *, field: str
) -> None:
    technician = await staff.find_technician(session, login)
    if technician is None or not technician.active:
        raise InvalidInput(f"{field}: no active technician {login}", field=field)
    ticket.assignee = technician.login
    ticket.assignee_name = technician.name
    ticket.assignee_email = technician.email


def _snapshot(ticket: Ticket) -> dict[str, Any]:
    """The values the lifecycle changes, JSON-ready, by their API names."""
    return {
        "status": ticket.status.value,
        "assignee": ticket.assignee,
        "group": ticket.group_code,
        "planned_for": _iso(ticket.planned_for),
        "pending_reason": ticket.pending_reason.value if ticket.pending_reason else None,
        "solution": ticket.solution,
        "resolution_code": ticket.resolution_code.value if ticket.resolution_code else None,
        "solved_at": _iso(ticket.solved_at),
        "closed_at": _iso(ticket.closed_at),
    }


def _iso(moment: datetime | None) -> str | None:
    # In UTC: the same instant compares equal whatever offset it was given with.
    return moment.astimezone(UTC).isoformat() if moment is not None else None


async def _record(
    session: AsyncSession,
    ticket: Ticket,
    principal: Principal,
    action: Action,
    before: dict[str, Any],
    now: datetime,
    *,
    reason: str | None = None,
) -> None:
    """The history entry (each field's old and new value), and the ticket written: its
    version is bumped before the event, which carries it."""
    ticket.updated_at = now
    after = _snapshot(ticket)
    repository.record_change(
        session,
        ticket,
        actor=principal.subject,
        actor_name=principal.name,
        action=action.value,
        changes={
            name: [before[name], after[name]] for name in after if before[name] != after[name]
        },
        reason=reason,
    )
    await repository.save(session)
