"""What the SLA's integration tests share: tickets opened and moved through the real
lifecycle functions at chosen instants, their clocks, the worker's batch, the outbox as the
test's own transaction sees it.

The collège of the park (`kit.site()`, zone B, Loiret unless said otherwise) opens Monday,
Tuesday, Thursday and Friday 08:00-12:00 and 13:30-17:30 (480 minutes), Wednesday
08:00-12:00 (240 minutes). The default targets (migration 0006), in business minutes:
P6 30 / 240, P5 60 / 480, P4 120 / 960, P3 240 / 1,440, P2 480 / 2,400, P1 960 / 4,800."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from guichet_common.auth import Principal
from ticketing.lifecycle import service as lifecycle
from ticketing.lifecycle.models import Action
from ticketing.lifecycle.schemas import (
    AssignIn,
    CancelIn,
    Command,
    PendIn,
    ReopenIn,
    ResumeIn,
    SolveIn,
)
from ticketing.settings import TicketingSettings
from ticketing.sla import service as sla
from ticketing.sla.models import ClockKind, SlaClock
from ticketing.sla.schemas import ClockOut, SlaOut
from ticketing.tickets.models import PendingReason, ResolutionCode, Ticket
from ticketing.tickets.schemas import TicketIn, TicketPatch

from ..conftest import Json, Kit

TECHNICIAN = Principal(subject="tech1", roles=frozenset({"technician"}), name="Théo Technicien")


def intake(site_code: str, priority: int = 3, **fields: Any) -> TicketIn:
    return TicketIn.model_validate(
        {
            "title": "Le vidéoprojecteur de la salle B204 ne s'allume plus",
            "description": "Le voyant reste orange.",
            "category": "projector",
            "urgency": 3,
            "impact": 3,
            "priority": priority,
            "site_code": site_code,
            "requester": {"name": "Mme Claire Martin", "email": "claire.martin@example.org"},
            **fields,
        }
    )


async def open_at(
    session: AsyncSession,
    settings: TicketingSettings,
    site_code: str,
    now: datetime,
    priority: int = 3,
) -> Ticket:
    """A ticket opened at `now`, its clocks started (`lifecycle.open_ticket`)."""
    return await lifecycle.open_ticket(
        session, settings, intake(site_code, priority), TECHNICIAN, now=now
    )


async def act(
    session: AsyncSession,
    settings: TicketingSettings,
    ticket: Ticket,
    command: Command,
    now: datetime,
) -> Ticket:
    """An action of the lifecycle at `now`, with the ticket's current ETag."""
    return await lifecycle.transition(
        session,
        ticket.reference,
        command,
        TECHNICIAN,
        if_match=f'"{ticket.version}"',
        settings=settings,
        now=now,
    )


async def new_technician(kit: Kit) -> str:
    """An active technician (committed through the API); their login."""
    login = f"tech_{secrets.token_hex(4)}"
    response = await kit.client.post(
        "/api/ticketing/technicians",
        json={"login": login, "name": "Théo Technicien", "email": f"{login}@loiret.fr"},
        headers=kit.supervisor,
    )
    assert response.status_code == 201, response.text
    return login


def assign(login: str) -> AssignIn:
    return AssignIn(action=Action.ASSIGN, assignee=login)


def pend(reason: PendingReason = PendingReason.SUPPLIER) -> PendIn:
    return PendIn(action=Action.PEND, reason=reason, comment="Carte mère commandée")


RESUME = ResumeIn(action=Action.RESUME)
SOLVE = SolveIn(
    action=Action.SOLVE, solution="Lampe remplacée.", resolution_code=ResolutionCode.FIXED
)
REOPEN = ReopenIn(action=Action.REOPEN, reason="Le vidéoprojecteur s'éteint encore.")
CANCEL = CancelIn(action=Action.CANCEL, reason="Doublon")


async def set_priority(
    session: AsyncSession,
    settings: TicketingSettings,
    ticket: Ticket,
    priority: int,
    now: datetime,
) -> Ticket:
    """`PATCH` of the priority (by hand), through `lifecycle.edit_ticket`."""
    return await lifecycle.edit_ticket(
        session,
        settings,
        ticket.reference,
        TicketPatch(priority=priority),
        TECHNICIAN,
        if_match=f'"{ticket.version}"',
        now=now,
    )


async def clock(session: AsyncSession, ticket: Ticket, kind: ClockKind) -> SlaClock:
    found = await session.get(SlaClock, (ticket.id, kind), populate_existing=True)
    assert found is not None
    return found


async def explained(
    session: AsyncSession, settings: TicketingSettings, ticket: Ticket, now: datetime
) -> SlaOut:
    return await sla.explain(session, settings, ticket.reference, TECHNICIAN, now=now)


def the_clock(explanation: SlaOut, kind: ClockKind) -> ClockOut:
    [found] = [c for c in explanation.clocks if c.kind is kind]
    return found


def spans(found: ClockOut) -> list[tuple[datetime, datetime, bool, str]]:
    return [(s.start, s.end, s.counted, s.reason) for s in found.segments]


async def outbox(session: AsyncSession, subject: str) -> list[Json]:
    """The envelopes about `subject` this transaction sees (its own included)."""
    rows = await session.execute(
        text("SELECT envelope FROM ticketing.outbox WHERE subject = :s ORDER BY seq"),
        {"s": subject},
    )
    return [row[0] for row in rows]


async def sla_events(session: AsyncSession, subject: str) -> list[tuple[str, str]]:
    """(type, clock) of the SLA events about `subject`, in order."""
    return [
        (envelope["type"].split(".")[2], envelope["data"]["clock"])
        for envelope in await outbox(session, subject)
        if ".sla_" in envelope["type"]
    ]
