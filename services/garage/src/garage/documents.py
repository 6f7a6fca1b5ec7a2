"""Server-rendered French documents: Jinja2 pages, and PDFs made from the same HTML."""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

PARIS = ZoneInfo("Europe/Paris")
TEMPLATES = Path(__file__).parent / "templates"


def euros(value: Decimal | float) -> str:
    return format_currency(value, "EUR", locale="fr_FR")


def number(value: Decimal | float) -> str:
    return format_decimal(value, locale="fr_FR")


def day(value: date) -> str:
    return format_date(value, "d MMMM y", locale="fr_FR")


def moment(value: datetime) -> str:
    return format_datetime(value.astimezone(PARIS), "d MMMM y 'à' HH:mm", locale="fr_FR")


environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
environment.filters.update(euros=euros, number=number, day=day, moment=moment)


def render(template: str, **context: Any) -> str:
    return environment.get_template(template).render(**context)


def _pdf(html: str) -> bytes:
    from weasyprint import HTML  # type: ignore[import-untyped]  # heavy: only for PDFs

    return HTML(string=html, base_url=str(TEMPLATES)).write_pdf() or b""


async def pdf(html: str) -> bytes:
    """WeasyPrint is CPU-bound: off the event loop."""
    return await asyncio.to_thread(_pdf, html)
