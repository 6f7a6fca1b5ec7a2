"""`/api/ticketing/sites`, `/api/ticketing/assets/{asset_tag}`: the park as ticketing knows
it, for the intake form (pick a site; type a GPI label and see the PC it names)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from guichet_common.http import PROBLEM, SessionDep
from guichet_common.pagination import Page, PageParams
from guichet_common.text import Text
from ticketing.deps import TicketReads
from ticketing.park import service
from ticketing.park.models import ParkHost, ParkSite
from ticketing.park.schemas import ParkHostOut, ParkSiteOut

router = APIRouter(tags=["park"])

READ_RESPONSES: dict[int | str, dict[str, Any]] = {404: PROBLEM}


def _site(site: ParkSite) -> ParkSiteOut:
    return ParkSiteOut.model_validate(site, from_attributes=True)


def _host(host: ParkHost) -> ParkHostOut:
    return ParkHostOut.model_validate(host, from_attributes=True)


@router.get("/sites", response_model=Page[ParkSiteOut])
async def list_sites(
    session: SessionDep, caller: TicketReads, page: PageParams
) -> Page[ParkSiteOut]:
    """The active sites a ticket may name, by code (a technician limited to some sites:
    those). They come from imaging's events: a site registered there a moment ago appears
    once its event is consumed."""
    return Page.of(await service.list_sites(session, caller, page), _site)


@router.get("/sites/{code}", response_model=ParkSiteOut, responses=READ_RESPONSES)
async def get_site(code: Text, session: SessionDep, caller: TicketReads) -> ParkSiteOut:
    return _site(await service.get_site(session, caller, code))


@router.get("/assets/{asset_tag}", response_model=ParkHostOut, responses=READ_RESPONSES)
async def get_asset(asset_tag: Text, session: SessionDep, caller: TicketReads) -> ParkHostOut:
    """The PC or device labelled `asset_tag` (the GPI label), whatever its case."""
    return _host(await service.get_asset(session, caller, asset_tag))
