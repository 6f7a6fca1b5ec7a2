"""The imaging API: `uvicorn imaging.main:create_app --factory`."""

from __future__ import annotations

from fastapi import FastAPI

from guichet_common.runtime import Resources, ServiceDefinition, create_service_app, no_state
from imaging.db import Base, plumbing
from imaging.events import outbox, published
from imaging.hosts.router import router as hosts_router
from imaging.inventory.router import router as inventory_router
from imaging.naming.router import router as naming_router
from imaging.renewal.router import router as renewal_router
from imaging.settings import SERVICE, ImagingSettings
from imaging.sites.router import router as sites_router
from imaging.subscriptions import subscriptions
from imaging.transfer.router import router as transfer_router


def definition(
    settings: ImagingSettings | None = None,
) -> ServiceDefinition[ImagingSettings, None]:
    return ServiceDefinition(
        name=SERVICE,
        title="Guichet imaging",
        description="The PC park and imaging campaigns across schools.",
        settings=settings or ImagingSettings(),
        metadata=Base.metadata,
        tables=plumbing,
        outbox=outbox,
        published=published,
        lifespan=no_state,
        routers=[
            sites_router,
            naming_router,
            hosts_router,
            inventory_router,
            renewal_router,
            transfer_router,
        ],
        subscriptions=subscriptions,
    )


def create_app(
    settings: ImagingSettings | None = None, resources: Resources | None = None
) -> FastAPI:
    return create_service_app(definition(settings), resources)
