"""Ticketing's events: the consumer models (ticketing's contract, as far as the rules rely
on it), the rules, and a sample payload per event type.

The requester is told when their ticket is recorded, solved and closed; the technician
when it is assigned to them. A requester reached by phone only (`requester_email` null)
gets nothing: `PayloadAddress` finds no address and no delivery is made. Ticketing sends
the French labels of its codes (`status_label`, `resolution_label`…): the templates print
them, so no label table is copied here."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from guichet_common.events import Event
from notifier.rules.models import ConfiguredList, PayloadAddress, Rule


class TicketEvent(Event):
    reference: str
    title: str
    type_label: str
    status_label: str
    priority_label: str
    category_label: str
    site_name: str
    room_code: str | None
    asset_tag: str | None
    requester_name: str
    requester_email: str | None
    requester_phone: str | None
    assignee_name: str | None
    assignee_email: str | None
    group_name: str | None
    actor_name: str | None


class TicketCreatedV1(TicketEvent):
    event_type = "ticketing.ticket.created.v1"
    description: str
    created_at: datetime


class TicketAssignedV1(TicketEvent):
    event_type = "ticketing.ticket.assigned.v1"


class TicketSolvedV1(TicketEvent):
    event_type = "ticketing.ticket.solved.v1"
    solution: str
    resolution_label: str
    solved_at: datetime


class TicketClosedV1(TicketEvent):
    event_type = "ticketing.ticket.closed.v1"
    closed_at: datetime


CONSUMED: tuple[type[Event], ...] = (
    TicketCreatedV1,
    TicketAssignedV1,
    TicketSolvedV1,
    TicketClosedV1,
)

REQUESTER = PayloadAddress("requester_email")
ASSIGNEE = PayloadAddress("assignee_email")

RULES: tuple[Rule, ...] = (
    Rule("ticketing.ticket.created.v1", "ticketing_ticket_created", REQUESTER),
    Rule("ticketing.ticket.assigned.v1", "ticketing_ticket_assigned", ASSIGNEE),
    Rule("ticketing.ticket.solved.v1", "ticketing_ticket_solved", REQUESTER),
    Rule("ticketing.ticket.closed.v1", "ticketing_ticket_closed", REQUESTER),
)

# What every ticket event carries (`ticketing.events.TicketEvent`), the ticket as it is
# after the change.
_TICKET: dict[str, Any] = {
    "ticket_id": "0193a8f0-0000-7000-8000-000000000123",
    "reference": "INC-2026-000123",
    "title": "Le vidéoprojecteur de la salle B204 ne s'allume plus",
    "type": "incident",
    "type_label": "Incident",
    "status": "new",
    "status_label": "Nouveau",
    "priority": 3,
    "priority_label": "Moyenne",
    "category_code": "projector",
    "category_label": "Vidéoprojecteur et TBI",
    "site_code": "0450786K",
    "site_name": "Collège Jean Zay",
    "room_code": "B204",
    "asset_tag": "45001234",
    "requester_name": "Mme Claire Martin",
    "requester_email": "claire.martin@ac-orleans-tours.fr",
    "requester_phone": "02 38 00 00 00",
    "affected_name": None,
    "affected_email": None,
    "assignee": None,
    "assignee_name": None,
    "assignee_email": None,
    "group_code": None,
    "group_name": None,
    "actor": "claire.martin",
    "actor_name": "Claire Martin",
    "version": 1,
}
_ASSIGNED: dict[str, Any] = {
    **_TICKET,
    "status": "assigned",
    "status_label": "En cours (attribué)",
    "assignee": "theo.technicien",
    "assignee_name": "Théo Technicien",
    "assignee_email": "theo.technicien@loiret.fr",
    "group_code": "proximite_nord",
    "group_name": "Proximité Orléans nord",
    "actor": "sophie.superviseure",
    "actor_name": "Sophie Superviseure",
}

# One sample payload per event type a rule handles, shaped like ticketing's contract.
SAMPLES: dict[str, dict[str, Any]] = {
    "ticketing.ticket.created.v1": {
        **_TICKET,
        "description": "Le voyant reste orange et rien ne s'affiche au tableau.",
        "channel": "portal",
        "channel_label": "Portail",
        "urgency": 3,
        "urgency_label": "Moyenne",
        "impact": 2,
        "impact_label": "Basse",
        "created_at": "2026-11-23T09:30:00+01:00",
    },
    "ticketing.ticket.assigned.v1": {**_ASSIGNED, "version": 2},
    "ticketing.ticket.solved.v1": {
        **_ASSIGNED,
        "status": "solved",
        "status_label": "Résolu",
        "actor": "theo.technicien",
        "actor_name": "Théo Technicien",
        "version": 3,
        "solution": "La lampe était usée : elle a été remplacée.\nLe vidéoprojecteur fonctionne.",
        "resolution_code": "replaced",
        "resolution_label": "Matériel remplacé",
        "solved_at": "2026-11-24T15:10:00+01:00",
    },
    "ticketing.ticket.closed.v1": {
        **_ASSIGNED,
        "status": "closed",
        "status_label": "Clos",
        "actor": "claire.martin",
        "actor_name": "Claire Martin",
        "version": 4,
        "closed_at": "2026-11-25T08:05:00+01:00",
    },
}


# --- interventions ---------------------------------------------------------------------------
# The technician is e-mailed the intervention sheet (the PDF attached, fetched from the
# signed link `sheet_url`) when a visit is planned for them or moved. One event type for
# both: `moved_from` is the time it had (null the first time); `previous_technician` names
# whom it was taken from (null when it stays with them).


class InterventionPlannedV1(Event):
    event_type = "ticketing.intervention.planned.v1"
    reference: str
    title: str
    site_name: str
    room_code: str | None
    technician_name: str
    technician_email: str
    planned_for: datetime
    planned_until: datetime
    moved_from: datetime | None
    previous_technician: str | None
    description: str
    category_label: str
    asset_tag: str | None
    model: str | None
    hostname: str | None
    hardware_need: str | None
    requester_name: str
    requester_phone: str | None
    affected_name: str | None
    affected_phone: str | None
    sheet_url: str
    sheet_url_expires_at: datetime


CONSUMED += (InterventionPlannedV1,)
TECHNICIAN = PayloadAddress("technician_email")
RULES += (
    Rule(
        "ticketing.intervention.planned.v1",
        "ticketing_intervention_planned",
        TECHNICIAN,
        attach_pdf_from="sheet_url",
    ),
)
SAMPLES["ticketing.intervention.planned.v1"] = {
    "intervention_id": "0193a8f0-0000-7000-8000-000000000456",
    "ticket_id": _TICKET["ticket_id"],
    "reference": "INC-2026-000123",
    "title": "Le vidéoprojecteur de la salle B204 ne s'allume plus",
    "mode": "on_site",
    "mode_label": "Sur site",
    "site_code": "0450786K",
    "site_name": "Collège Jean Zay",
    "room_code": "B204",
    "technician": "theo.technicien",
    "technician_name": "Théo Technicien",
    "technician_email": "theo.technicien@loiret.fr",
    "actor": "sophie.superviseure",
    "actor_name": "Sophie Superviseure",
    "version": 1,
    "planned_for": "2026-12-01T13:00:00Z",
    "planned_until": "2026-12-01T14:00:00Z",
    "moved_from": None,
    "previous_technician": None,
    "description": "Remplacer la lampe et vérifier l'affichage au tableau.",
    "category_label": "Vidéoprojecteur et TBI",
    "asset_tag": "45001234",
    "model": "Epson EB-685W",
    "hostname": None,
    "hardware_need": "Une lampe ELPLP94",
    "requester_name": "Mme Claire Martin",
    "requester_phone": "02 38 00 00 00",
    "affected_name": "M. Paul Durand",
    "affected_phone": "02 38 11 22 33",
    "notified_at": "2026-11-23T08:30:00Z",
    "sheet_url": "http://127.0.0.1:8000/api/ticketing/intervention-sheets/INC-2026-000123.pdf"
    "?token=exemple",
    "sheet_url_expires_at": "2026-12-14T09:00:00Z",
}


# --- the SLA ---------------------------------------------------------------------------------
# The assignee is warned when a clock has spent 75 % of its target (a time-to-own warning
# finds nobody assigned yet, by definition: no e-mail); the supervisors
# (`NOTIFIER_TICKETING_SUPERVISORS`) are told of every breach. Once per deadline, as
# ticketing publishes them.


class TicketSlaEvent(TicketEvent):
    clock: str  # tto | ttr
    clock_label: str
    deadline: datetime
    target_minutes: int
    elapsed_minutes: int


class TicketSlaWarnedV1(TicketSlaEvent):
    event_type = "ticketing.ticket.sla_warned.v1"


class TicketSlaBreachedV1(TicketSlaEvent):
    event_type = "ticketing.ticket.sla_breached.v1"


CONSUMED += (TicketSlaWarnedV1, TicketSlaBreachedV1)
SUPERVISORS = ConfiguredList("ticketing_supervisors")
RULES += (
    Rule("ticketing.ticket.sla_warned.v1", "ticketing_sla_warned", ASSIGNEE),
    Rule("ticketing.ticket.sla_breached.v1", "ticketing_sla_breached", SUPERVISORS),
)
_SLA: dict[str, Any] = {
    **_ASSIGNED,
    "priority": 5,
    "priority_label": "Très haute",
    "actor": "guichet-sla",
    "actor_name": "Guichet (suivi des délais)",
    "version": 2,
    "clock": "ttr",
    "clock_label": "Délai de résolution",
    "deadline": "2026-11-24T10:00:00Z",
    "target_minutes": 480,
}
SAMPLES["ticketing.ticket.sla_warned.v1"] = {**_SLA, "elapsed_minutes": 360}
SAMPLES["ticketing.ticket.sla_breached.v1"] = {**_SLA, "elapsed_minutes": 480}
