"""`/api/ops/dlq` on `guichet up`: parked messages of whichever bus it runs on."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from guichet_common.auth import Principal, Role, require_roles
from guichet_common.dlq import DeadLetterQueue, inspect, inspect_in_process, replay
from guichet_common.http import NotFound
from guichet_common.messaging.bus import MessageBus
from guichet_common.messaging.inprocess import InProcessBus
from guichet_common.messaging.rabbitmq import RabbitBus

Ops = Annotated[Principal, Depends(require_roles(Role.OPS))]


class Replayed(BaseModel):
    queue: str
    replayed: int


def ops_router(bus: Callable[[], MessageBus], amqp_url: str | None, queues: list[str]) -> APIRouter:
    router = APIRouter(prefix="/api/ops", tags=["ops"])

    @router.get("/dlq", response_model=list[DeadLetterQueue])
    async def list_parked(
        _ops: Ops, queue: Annotated[list[str] | None, Query()] = None
    ) -> list[DeadLetterQueue]:
        names = queue or queues
        current = bus()
        if isinstance(current, InProcessBus):
            return inspect_in_process(current, names)
        assert isinstance(current, RabbitBus) and amqp_url
        return await inspect(amqp_url, names)

    @router.post("/dlq/{queue}/replay", response_model=Replayed)
    async def replay_parked(queue: str, _ops: Ops, limit: int | None = None) -> Replayed:
        if queue not in queues:
            raise NotFound(f"no consumer queue {queue}", known=queues)
        current = bus()
        if isinstance(current, InProcessBus):
            return Replayed(queue=queue, replayed=current.replay(queue, limit))
        assert isinstance(current, RabbitBus) and amqp_url
        return Replayed(queue=queue, replayed=await replay(amqp_url, queue, limit=limit))

    return router
