"""`/api/imaging/renewal` (JSON, keyset-paged) and `/api/imaging/renewal.csv` (every row,
for Excel): the hosts due for renewal by age."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from guichet_common.http import PROBLEM, SessionDep
from guichet_common.pagination import Page, PageParams
from guichet_common.text import Text
from imaging.deps import ParkReads, SettingsDep
from imaging.renewal import service
from imaging.renewal.schemas import RenewalItem

router = APIRouter(tags=["renewal"])

AgeYears = Annotated[
    int | None,
    Query(ge=1, le=50, description="Due from this age in years (default: the setting, 7)"),
]
SiteCode = Annotated[Text | None, Query(max_length=20, description="One site (default: all)")]


@router.get(
    "/renewal",
    response_model=Page[RenewalItem],
    responses={403: PROBLEM, 404: PROBLEM, 422: PROBLEM},
)
async def list_renewal(
    session: SessionDep,
    settings: SettingsDep,
    caller: ParkReads,
    page: PageParams,
    site: SiteCode = None,
    age_years: AgeYears = None,
) -> Page[RenewalItem]:
    """Hosts in service (not retired) bought at least `age_years` years ago, today in the
    service's time zone (bought exactly that long ago today: due), of the site or of every
    site the caller covers, by asset tag; each with its age in years and months."""
    found, today = await service.due(
        session, settings, caller, page, site_code=site, age_years=age_years
    )
    return Page.of(found, lambda host: RenewalItem.of(host, today))


@router.get(
    "/renewal.csv",
    response_class=Response,
    responses={
        200: {"content": {"text/csv": {}}, "description": "`;`-separated, UTF-8 with a BOM"},
        403: PROBLEM,
        404: PROBLEM,
        422: PROBLEM,
    },
)
async def renewal_spreadsheet(
    session: SessionDep,
    settings: SettingsDep,
    caller: ParkReads,
    site: SiteCode = None,
    age_years: AgeYears = None,
) -> Response:
    """The same hosts, every one, by site and oldest first, as a spreadsheet Excel opens
    in French (`;`, UTF-8 with a BOM, French headers and dates)."""
    content, today = await service.spreadsheet(
        session, settings, caller, site_code=site, age_years=age_years
    )
    return Response(
        content,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="renouvellement-{today}.csv"'},
    )
