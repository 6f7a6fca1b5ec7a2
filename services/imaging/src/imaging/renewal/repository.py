"""SQL for the renewal report: hosts not retired bought on or before a date, in one
statement (their site read in the same query)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import contains_eager, raiseload

from guichet_common.pagination import KeysetOrder, Paged, PageRequest, paginate
from imaging.hosts.models import Host, HostStatus
from imaging.sites.models import Site

PAGE_ORDER = KeysetOrder((Host.asset_tag, Host.id))


def _due(bought_by: date, site: Site | None, covered: Collection[str] | None) -> Select[Host]:
    statement = (
        select(Host)
        .join(Host.site)
        # The site from the join above; the MACs and groups are not read here.
        .options(contains_eager(Host.site), raiseload(Host.macs), raiseload(Host.groups))
        .where(
            Host.status != HostStatus.RETIRED,
            Host.purchase_date.is_not(None),
            Host.purchase_date <= bought_by,
        )
    )
    if site is not None:
        statement = statement.where(Host.site_id == site.id)
    if covered is not None:
        statement = statement.where(func.upper(Site.code).in_([c.upper() for c in covered]))
    return statement


async def due_page(
    session: AsyncSession,
    page: PageRequest,
    *,
    bought_by: date,
    site: Site | None,
    covered: Collection[str] | None,
) -> Paged[Host]:
    """Hosts not retired bought on or before `bought_by`, by asset tag."""
    return await paginate(session, _due(bought_by, site, covered), PAGE_ORDER, page)


async def due_all(
    session: AsyncSession, *, bought_by: date, site: Site | None, covered: Collection[str] | None
) -> list[Host]:
    """The same hosts, all of them, by site, then the oldest first."""
    statement = _due(bought_by, site, covered).order_by(
        Site.code, Host.purchase_date, Host.asset_tag
    )
    return list((await session.scalars(statement)).unique().all())
