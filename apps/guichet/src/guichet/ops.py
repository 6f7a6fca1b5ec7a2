"""`/api/ops/…` on `guichet up`: parked messages of whichever bus it runs on, and the
services' outboxes (what `guichet dlq` and `guichet outbox status` ask for)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from guichet_common.auth import Principal, require_roles
from guichet_common.db import SessionFactory, unit_of_work
from guichet_common.dlq import DeadLetterQueue, UnknownQueue, inspect, inspect_in_process, replay
from guichet_common.http import NotFound
from guichet_common.identity import Role
from guichet_common.messaging.bus import MessageBus
from guichet_common.messaging.inprocess import InProcessBus
from guichet_common.messaging.rabbitmq import RabbitBus
from guichet_common.outbox import OutboxStatus, outbox_status, resend_set_aside
from guichet_common.tables import PlumbingTables
from guichet_common.text import Text

Ops = Annotated[Principal, Depends(require_roles(Role.OPS))]


@dataclass(frozen=True)
class ServiceOutbox:
    session_factory: SessionFactory
    tables: PlumbingTables


class Replayed(BaseModel):
    queue: str
    replayed: int


class Resent(BaseModel):
    service: str
    resent: int


def ops_router(
    bus: Callable[[], MessageBus],
    amqp_url: str | None,
    queues: list[str],
    outboxes: Mapping[str, ServiceOutbox],
) -> APIRouter:
    router = APIRouter(prefix="/api/ops", tags=["ops"])

    def known(names: list[str]) -> None:
        unknown = [name for name in names if name not in queues]
        if unknown:
            raise NotFound(
                f"no consumer queue {', '.join(unknown)}; the queues are {', '.join(queues)}",
                known=queues,
            )

    @router.get("/dlq", response_model=list[DeadLetterQueue])
    async def list_parked(
        _ops: Ops, queue: Annotated[list[str] | None, Query()] = None
    ) -> list[DeadLetterQueue]:
        names = queue or queues
        known(names)
        current = bus()
        if isinstance(current, InProcessBus):
            return inspect_in_process(current, names)
        assert isinstance(current, RabbitBus) and amqp_url
        try:
            return await inspect(amqp_url, names)
        except UnknownQueue as exc:
            raise NotFound(str(exc)) from exc

    @router.post("/dlq/{queue}/replay", response_model=Replayed)
    async def replay_parked(queue: str, _ops: Ops, limit: int | None = None) -> Replayed:
        known([queue])
        current = bus()
        if isinstance(current, InProcessBus):
            return Replayed(queue=queue, replayed=current.replay(queue, limit))
        assert isinstance(current, RabbitBus) and amqp_url
        try:
            return Replayed(queue=queue, replayed=await replay(amqp_url, queue, limit=limit))
        except UnknownQueue as exc:
            raise NotFound(str(exc)) from exc

    @router.get("/outbox", response_model=list[OutboxStatus])
    async def outbox_statuses(_ops: Ops) -> list[OutboxStatus]:
        statuses = []
        for outbox in outboxes.values():
            async with unit_of_work(outbox.session_factory) as session:
                statuses.append(await outbox_status(session, outbox.tables))
        return statuses

    @router.post("/outbox/{service}/resend", response_model=Resent)
    async def resend(
        service: Text, _ops: Ops, event_id: Annotated[list[UUID] | None, Query()] = None
    ) -> Resent:
        """The rows set aside (all, or the `event_id`s given) go to the relay again."""
        outbox = outboxes.get(service)
        if outbox is None:
            raise NotFound(f"no service {service}; the services are {', '.join(outboxes)}")
        async with unit_of_work(outbox.session_factory) as session:
            count = await resend_set_aside(session, outbox.tables, event_id)
        return Resent(service=service, resent=count)

    return router
