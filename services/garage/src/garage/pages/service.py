"""What the public pages show: a request followed by its tracking link."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from garage.planning import service as planning
from garage.planning.models import WorkshopSession
from garage.requests import service as requests
from garage.requests.models import GarageRequest, RequestHistory
from garage.requests.schemas import STATUS_LABELS


@dataclass(frozen=True)
class TrackingView:
    request: GarageRequest
    history: list[RequestHistory]
    sessions: list[WorkshopSession]
    status_label: str


async def tracking(session: AsyncSession, token: str) -> TrackingView:
    request = await requests.by_tracking_token(session, token)
    return TrackingView(
        request=request,
        history=await requests.history(session, request),
        sessions=await planning.sessions_of_request(session, request),
        status_label=STATUS_LABELS[request.status],
    )
