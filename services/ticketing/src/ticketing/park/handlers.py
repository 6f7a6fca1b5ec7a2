"""The consumer of imaging's park events (queue `ticketing.park`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from guichet_common.events import Envelope
from guichet_common.inbox import Subscription
from ticketing.park import repository
from ticketing.park.schemas import CONSUMED, HostChanged, RoomChanged, RoomRemovedV1, SiteChanged


async def on_park_event(session: AsyncSession, payload: Any, _envelope: Envelope) -> None:
    """A site, room or host as imaging has it now, kept if newer than what is stored."""
    if isinstance(payload, SiteChanged):
        await repository.keep_site(
            session,
            {
                "site_id": payload.site_id,
                "code": payload.site_code,
                "version": payload.version,
                **payload.model_dump(
                    include={
                        "name",
                        "kind_label",
                        "department",
                        "zone",
                        "address",
                        "opening_hours",
                        "contacts",
                        "active",
                    },
                    mode="json",
                ),
            },
        )
    elif isinstance(payload, RoomChanged):
        await repository.keep_room(
            session,
            {
                "room_id": payload.room_id,
                **payload.model_dump(
                    include={"site_code", "room_code", "name", "kind_label", "version"}
                ),
                "removed": isinstance(payload, RoomRemovedV1),
            },
        )
    elif isinstance(payload, HostChanged):
        await repository.keep_host(
            session,
            {
                "host_id": payload.host_id,
                **payload.model_dump(
                    include={
                        "site_code",
                        "room_code",
                        "asset_tag",
                        "hostname",
                        "make",
                        "model",
                        "kind_label",
                        "status",
                        "version",
                    }
                ),
            },
        )


park = Subscription(group="park")
for _model in CONSUMED:
    park.on(_model)(on_park_event)
