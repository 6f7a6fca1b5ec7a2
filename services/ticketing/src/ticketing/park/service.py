"""What callers may read of the park's read model."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from guichet_common.auth import Principal
from guichet_common.http import NotFound
from guichet_common.pagination import Paged, PageRequest
from ticketing.deps import Viewer
from ticketing.park import repository
from ticketing.park.models import ParkHost, ParkSite


def _covered(principal: Principal) -> frozenset[str] | None:
    """Staff limited to some sites pick among those; requesters among every site."""
    viewer = Viewer.of(principal)
    return viewer.sites if viewer.staff else None


async def list_sites(
    session: AsyncSession, principal: Principal, page: PageRequest
) -> Paged[ParkSite]:
    return await repository.list_sites(session, page, covered=_covered(principal))


async def get_site(session: AsyncSession, principal: Principal, code: str) -> ParkSite:
    covered = _covered(principal)
    site = await repository.find_site(session, code)
    if site is None or (covered is not None and site.code.upper() not in covered):
        raise NotFound(f"ticketing knows no site {code} (yet: it learns them from imaging)")
    return site


async def get_asset(session: AsyncSession, principal: Principal, asset_tag: str) -> ParkHost:
    host = await repository.find_host(session, asset_tag)
    covered = _covered(principal)
    if host is None or (covered is not None and host.site_code.upper() not in covered):
        raise NotFound(f"the park knows no asset {asset_tag}")
    return host
