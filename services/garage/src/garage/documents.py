"""Server-rendered French documents: Jinja2 pages, and PDFs made from the same HTML.

Every time printed is in the garage's time zone (`GarageSettings.timezone`), which each
render is given: `|moment` is a date and time, `|clock` a time of day."""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal
from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context, select_autoescape
from jinja2.runtime import Context

TEMPLATES = Path(__file__).parent / "templates"


def euros(value: Decimal | float) -> str:
    return format_currency(value, "EUR", locale="fr_FR")


def number(value: Decimal | float) -> str:
    return format_decimal(value, locale="fr_FR")


def day(value: date) -> str:
    return format_date(value, "d MMMM y", locale="fr_FR")


def duration_in_days(days: int) -> str:
    """A retention period as people say it: `3 ans`, `6 mois`, `45 jours`."""
    if days % 365 == 0:
        years = days // 365
        return f"{years} an{'s' if years > 1 else ''}"
    if days % 30 == 0:
        return f"{days // 30} mois"
    return f"{format_decimal(days, locale='fr_FR')} jour{'s' if days > 1 else ''}"


@pass_context
def moment(context: Context, value: datetime) -> str:
    """`1 janvier 2027 à 00:30`, in the render's time zone."""
    return format_datetime(value.astimezone(context["zone"]), "d MMMM y 'à' HH:mm", locale="fr_FR")


@pass_context
def clock(context: Context, value: datetime) -> str:
    """`12:00`, in the render's time zone."""
    return format_datetime(value.astimezone(context["zone"]), "HH:mm", locale="fr_FR")


environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
environment.filters.update(euros=euros, number=number, day=day, moment=moment, clock=clock)


def render(template: str, zone: ZoneInfo | None = None, **context: Any) -> str:
    """`zone` is required by templates that print a time (their filters fail without it)."""
    if zone is not None:
        context["zone"] = zone
    return environment.get_template(template).render(**context)


def _pdf(html: str) -> bytes:
    from weasyprint import HTML  # type: ignore[import-untyped]  # heavy: only for PDFs

    return HTML(string=html, base_url=str(TEMPLATES)).write_pdf() or b""


async def pdf(html: str) -> bytes:
    """WeasyPrint is CPU-bound: off the event loop."""
    return await asyncio.to_thread(_pdf, html)
