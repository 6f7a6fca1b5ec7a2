"""Hosts due for renewal: in service (not retired), bought at least `age_years` years ago
(`renewal_age_years` by default) at today's date in the service's time zone. A host bought
exactly that many years ago today is due: its last year is over. A host without a purchase
date cannot be judged and is not listed."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from guichet_common.auth import Principal
from guichet_common.events import utcnow
from guichet_common.pagination import Paged, PageRequest
from imaging.deps import check_site
from imaging.hosts.models import Host
from imaging.renewal import rendering, repository
from imaging.renewal.schemas import RenewalItem
from imaging.settings import ImagingSettings
from imaging.sites import service as sites
from imaging.sites.models import Site


def today_in(settings: ImagingSettings, now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(settings.zone).date()


def bought_by(today: date, years: int) -> date:
    """The last purchase date due: the same day `years` years before (a 29 February
    becomes the 28th in a year that has none)."""
    try:
        return today.replace(year=today.year - years)
    except ValueError:
        return today.replace(year=today.year - years, day=28)


async def _site(session: AsyncSession, caller: Principal, site_code: str | None) -> Site | None:
    if site_code is None:
        return None
    site = await sites.get_site(session, site_code)
    check_site(caller, site.code)
    return site


async def due(
    session: AsyncSession,
    settings: ImagingSettings,
    caller: Principal,
    page: PageRequest,
    *,
    site_code: str | None,
    age_years: int | None,
    now: datetime | None = None,
) -> tuple[Paged[Host], date]:
    """A page of the hosts due (of the site, or of every site the caller covers), and
    the day their age is counted at."""
    today = today_in(settings, now)
    site = await _site(session, caller, site_code)
    found = await repository.due_page(
        session,
        page,
        bought_by=bought_by(today, age_years or settings.renewal_age_years),
        site=site,
        covered=caller.sites,
    )
    return found, today


async def spreadsheet(
    session: AsyncSession,
    settings: ImagingSettings,
    caller: Principal,
    *,
    site_code: str | None,
    age_years: int | None,
    now: datetime | None = None,
) -> tuple[bytes, date]:
    """Every host due, by site then oldest first, as a French CSV for Excel."""
    today = today_in(settings, now)
    site = await _site(session, caller, site_code)
    hosts = await repository.due_all(
        session,
        bought_by=bought_by(today, age_years or settings.renewal_age_years),
        site=site,
        covered=caller.sites,
    )
    items = [RenewalItem.of(host, today) for host in hosts]
    rows = [
        (
            item.site_code,
            item.site_name,
            item.asset_tag,
            item.hostname,
            item.make,
            item.model,
            item.kind_label,
            item.status_label,
            item.purchase_date,
            item.warranty_end,
            item.age_years,
            item.age_months,
        )
        for item in items
    ]
    return rendering.spreadsheet(rows), today
