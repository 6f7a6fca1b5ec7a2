"""Jinja2 rendering of the paired templates, in French: strict undefined, autoescaped HTML,
money and dates formatted by Babel, times in the notifier's time zone (`GUICHET_TIMEZONE`,
given to each render). Labels come from the events themselves: producers send the French
label of every code they carry."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime, format_time
from babel.numbers import format_currency
from jinja2 import (
    Environment,
    FileSystemLoader,
    StrictUndefined,
    TemplateNotFound,
    pass_context,
    select_autoescape,
)
from jinja2.runtime import Context

TEMPLATES_DIR = Path(__file__).resolve().parents[1] / "templates"
LOCALE = "fr_FR"


class UnknownTemplate(LookupError):
    pass


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def money(value: str | Decimal | float) -> str:
    """ "1234.56" → "1 234,56 €" (French grouping and decimal comma)."""
    return format_currency(Decimal(str(value)), "EUR", locale=LOCALE)


def _as_datetime(value: str | datetime, zone: ZoneInfo) -> datetime:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(zone)


def long_date(value: str | date | datetime, zone: ZoneInfo) -> str:
    """ "2026-11-23" → "lundi 23 novembre 2026"."""
    if isinstance(value, str):
        value = _as_datetime(value, zone) if "T" in value else date.fromisoformat(value)
    elif isinstance(value, datetime):
        value = value.astimezone(zone)
    return format_date(value, "full", locale=LOCALE)


def long_datetime(value: str | datetime, zone: ZoneInfo) -> str:
    """→ "lundi 23 novembre 2026 à 09:30" in `zone`."""
    return format_datetime(_as_datetime(value, zone), "EEEE d MMMM y 'à' HH:mm", locale=LOCALE)


def hour(value: str | datetime, zone: ZoneInfo) -> str:
    return format_time(_as_datetime(value, zone), "HH:mm", locale=LOCALE)


def _in_render_zone(
    formatter: Callable[[Any, ZoneInfo], str],
) -> Callable[[Context, Any], str]:
    """A Jinja filter formatting in the zone its render was given."""

    @pass_context
    def jinja_filter(context: Context, value: Any) -> str:
        return formatter(value, context["zone"])

    return jinja_filter


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        undefined=StrictUndefined,
        autoescape=select_autoescape(["html", "html.j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        money=money,
        long_date=_in_render_zone(long_date),
        long_datetime=_in_render_zone(long_datetime),
        hour=_in_render_zone(hour),
    )
    return env


def template_names() -> list[str]:
    return sorted(
        path.name.removesuffix(".txt.j2")
        for path in TEMPLATES_DIR.glob("*.txt.j2")
        if not path.name.startswith("_")
    )


def render(template: str, context: dict[str, Any], zone: ZoneInfo) -> RenderedEmail:
    """The subject is the `subject` block of the text template; times are in `zone`.
    Raises jinja2's UndefinedError when the context lacks a variable the template uses."""
    context = {**context, "zone": zone}
    env = environment()
    try:
        text_template = env.get_template(f"{template}.txt.j2")
        html_template = env.get_template(f"{template}.html.j2")
    except TemplateNotFound as exc:
        raise UnknownTemplate(template) from exc
    subject_block = text_template.blocks["subject"]
    subject = "".join(subject_block(text_template.new_context(dict(context)))).strip()
    return RenderedEmail(
        subject=" ".join(subject.split()),
        text=text_template.render(context),
        html=html_template.render(context),
    )
