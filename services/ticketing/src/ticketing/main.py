"""The ticketing API: `uvicorn ticketing.main:create_app --factory`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import FastAPI

from guichet_common.runtime import (
    Resources,
    ServiceDefinition,
    Timer,
    create_service_app,
)
from ticketing.attachments.router import router as attachments_router
from ticketing.categories.router import router as categories_router
from ticketing.db import Base, plumbing
from ticketing.events import outbox, published
from ticketing.followups.router import router as followups_router
from ticketing.interventions.router import router as interventions_router
from ticketing.lifecycle.router import router as lifecycle_router
from ticketing.park.router import router as park_router
from ticketing.priorities.router import router as priorities_router
from ticketing.search.router import router as search_router
from ticketing.settings import SERVICE, TicketingSettings
from ticketing.sla.business_time import load_school_holidays
from ticketing.sla.handlers import check_clocks
from ticketing.sla.router import router as sla_router
from ticketing.staff.router import router as staff_router
from ticketing.subscriptions import build_subscriptions
from ticketing.tickets.router import router as tickets_router


@asynccontextmanager
async def checked_calendar(settings: TicketingSettings) -> AsyncIterator[None]:
    """Holds nothing; reads the school-holiday file an admin set at start, so that a
    malformed one stops the service here, naming the line, rather than every ticket action
    whose SLA clock needs it later."""
    load_school_holidays(settings.school_holidays_file)
    yield None


def definition(
    settings: TicketingSettings | None = None,
) -> ServiceDefinition[TicketingSettings, None]:
    settings = settings or TicketingSettings()
    return ServiceDefinition(
        name=SERVICE,
        title="Guichet ticketing",
        description=(
            "Incidents, requests, interventions, SLAs and change management "
            "for the school district."
        ),
        settings=settings,
        metadata=Base.metadata,
        tables=plumbing,
        outbox=outbox,
        published=published,
        lifespan=checked_calendar,
        routers=[
            # The list's routes (`/tickets`, `/tickets.csv`) before `/tickets/{reference}`.
            search_router,
            tickets_router,
            lifecycle_router,
            followups_router,
            attachments_router,
            categories_router,
            priorities_router,
            staff_router,
            park_router,
            sla_router,
            interventions_router,
        ],
        subscriptions=build_subscriptions(settings),
        timers=[
            Timer("ticketing-sla", timedelta(seconds=settings.sla_check_seconds), check_clocks),
        ],
    )


def create_app(
    settings: TicketingSettings | None = None, resources: Resources | None = None
) -> FastAPI:
    return create_service_app(definition(settings), resources)
