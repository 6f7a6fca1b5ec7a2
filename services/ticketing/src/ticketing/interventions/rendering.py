"""What interventions look like to people: the intervention sheet (French HTML, and a PDF
made by WeasyPrint from the same HTML) and a technician's agenda as iCalendar.

Every time printed is in the service's time zone, which each render is given."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from icalendar import Calendar, Event
from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context, select_autoescape
from jinja2.runtime import Context

from ticketing.interventions.models import Intervention, InterventionSignature

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
SHEET_TEMPLATE = "intervention_sheet.html"


@pass_context
def moment(context: Context, value: datetime) -> str:
    """`mardi 1 décembre 2026 à 14:00`, in the render's time zone."""
    return format_datetime(
        value.astimezone(context["zone"]), "EEEE d MMMM y 'à' HH:mm", locale="fr_FR"
    )


_environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_environment.filters.update(moment=moment)


def sheet_html(intervention: Intervention, zone: ZoneInfo, signature: str | None = None) -> str:
    """The sheet as a page; `signature` (the re-encoded image's data URL) once signed."""
    template = _environment.get_template(SHEET_TEMPLATE)
    return template.render(sheet=intervention, signature=signature, zone=zone)


def _pdf(html: str) -> bytes:
    from weasyprint import HTML  # type: ignore[import-untyped]  # heavy: only for PDFs

    pdf: bytes = HTML(string=html, base_url=str(TEMPLATES)).write_pdf() or b""
    return pdf


async def sheet_pdf(html: str) -> bytes:
    """WeasyPrint is CPU-bound: off the event loop."""
    return await asyncio.to_thread(_pdf, html)


def png_data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()


@dataclass(frozen=True)
class SheetDocument:
    """A sheet as served: its bytes, their type, and (signed) the stored PDF's digest."""

    content: bytes
    media_type: str
    sha256: str | None


async def sheet_document(
    intervention: Intervention,
    signed: InterventionSignature | None,
    zone: ZoneInfo,
    *,
    as_pdf: bool,
) -> SheetDocument:
    """Unsigned: rendered now, as the intervention is. Signed: the PDF stored when it was
    signed, byte for byte (its page: the same sheet, rendered with the stored image)."""
    if signed is not None and as_pdf:
        return SheetDocument(signed.sheet_pdf, "application/pdf", intervention.sheet_sha256)
    image = png_data_url(signed.image_png) if signed is not None else None
    html = sheet_html(intervention, zone, image)
    if not as_pdf:
        return SheetDocument(html.encode(), "text/html; charset=utf-8", None)
    return SheetDocument(await sheet_pdf(html), "application/pdf", None)


def agenda_ics(
    visits: Sequence[Intervention],
    *,
    technician_name: str,
    visit_length: timedelta,
    now: datetime,
) -> bytes:
    """One VEVENT per visit, in UTC. The icalendar package escapes the text (commas,
    semicolons, line breaks), folds lines at 75 octets and ends them with CRLF. SEQUENCE
    follows the intervention's version, so a calendar app takes a moved visit's new time."""
    feed = Calendar()
    feed.add("prodid", "-//Guichet//Interventions//FR")
    feed.add("version", "2.0")
    feed.add("calscale", "GREGORIAN")
    feed.add("x-wr-calname", f"Interventions — {technician_name}")
    for visit in visits:
        assert visit.planned_for is not None
        event = Event()
        event.add("uid", f"{visit.id}@guichet-ticketing")
        event.add("dtstamp", now)
        event.add("dtstart", visit.planned_for)
        event.add("dtend", visit.planned_for + visit_length)
        event.add("sequence", visit.version - 1)
        event.add("summary", f"{visit.reference} — {visit.title}")
        event.add("location", visit.whereabouts)
        event.add("description", _description(visit))
        event.add("status", "CONFIRMED")
        feed.add_component(event)
    body: bytes = feed.to_ical()
    return body


def _person(label: str, name: str | None, phone: str | None) -> str | None:
    if name is None:
        return None
    return f"{label} : {name}{f', tél. {phone}' if phone else ''}"


def _description(visit: Intervention) -> str:
    asset = ", ".join(
        part
        for part in (visit.model, f"GPI {visit.asset_tag}" if visit.asset_tag else None)
        if part
    )
    lines = [
        _person("Demandeur", visit.requester_name, visit.requester_phone),
        _person("Utilisateur", visit.affected_name, visit.affected_phone),
        f"Matériel : {asset}" if asset else None,
        f"Typologie : {visit.category_label}",
        "",
        visit.description,
        "",
        f"Fiche signée par {visit.signer_name}" if visit.signer_name else "Fiche à faire signer",
    ]
    return "\n".join(line for line in lines if line is not None)
