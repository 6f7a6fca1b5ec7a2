"""Tickets as a spreadsheet: `;`-separated UTF-8 with a BOM, which Excel opens as it is in
French, headers in French, times as French people write them in the service's time zone,
and no cell a spreadsheet would take for a formula."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from ticketing.tickets.models import LEVEL_LABELS, STATUS_LABELS, TYPE_LABELS, Ticket

HEADERS = (
    "Référence",
    "Type",
    "Statut",
    "Titre",
    "Catégorie",
    "Priorité",
    "Établissement",
    "Salle",
    "N° d'inventaire",
    "Demandeur",
    "Courriel du demandeur",
    "Téléphone du demandeur",
    "Attribué à",
    "Groupe",
    "Créé le",
    "Modifié le",
    "Résolu le",
    "Clos le",
)
BOM = "\ufeff"
# A cell starting with one of these is a formula to a spreadsheet (`=HYPERLINK(…)` in a
# title typed on the portal): it is written as text, behind a quote.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: str | None) -> str:
    if value is None:
        return ""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def moment(value: datetime | None, zone: ZoneInfo) -> str:
    """`JJ/MM/AAAA HH:MM` in `zone`; empty when there is none."""
    return "" if value is None else value.astimezone(zone).strftime("%d/%m/%Y %H:%M")


def row(ticket: Ticket, zone: ZoneInfo) -> list[str]:
    texts = (
        ticket.reference,
        TYPE_LABELS[ticket.type],
        STATUS_LABELS[ticket.status],
        ticket.title,
        ticket.category_label,
        LEVEL_LABELS[ticket.priority],
        ticket.site_name,
        ticket.room_code,
        ticket.asset_tag,
        ticket.requester_name,
        ticket.requester_email,
        ticket.requester_phone,
        ticket.assignee_name or ticket.assignee,
        ticket.group_name or ticket.group_code,
    )
    times = (ticket.created_at, ticket.updated_at, ticket.solved_at, ticket.closed_at)
    return [cell(text) for text in texts] + [moment(time, zone) for time in times]


def _lines(rows: Iterable[Iterable[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode()


def head() -> bytes:
    """What the file starts with: the BOM and the headers."""
    return BOM.encode() + _lines([HEADERS])


def lines(tickets: Iterable[Ticket], zone: ZoneInfo) -> bytes:
    """The CSV lines of `tickets`, in the order given."""
    return _lines(row(ticket, zone) for ticket in tickets)
