"""The ticketing API: `uvicorn ticketing.main:create_app --factory`."""

from __future__ import annotations

from fastapi import FastAPI

from guichet_common.runtime import Resources, ServiceDefinition, create_service_app, no_state
from ticketing.db import Base, plumbing
from ticketing.events import outbox, published
from ticketing.settings import SERVICE, TicketingSettings
from ticketing.subscriptions import subscriptions


def definition(
    settings: TicketingSettings | None = None,
) -> ServiceDefinition[TicketingSettings, None]:
    return ServiceDefinition(
        name=SERVICE,
        title="Guichet ticketing",
        description=(
            "Incidents, requests, interventions, SLAs and change management "
            "for the school district."
        ),
        settings=settings or TicketingSettings(),
        metadata=Base.metadata,
        tables=plumbing,
        outbox=outbox,
        published=published,
        lifespan=no_state,
        subscriptions=subscriptions,
    )


def create_app(
    settings: TicketingSettings | None = None, resources: Resources | None = None
) -> FastAPI:
    return create_service_app(definition(settings), resources)
