"""Public submissions written in batches: one transaction per batch.

Gap-free numbering locks the year's counter row until commit, so submissions one
transaction each would queue behind each other's commits. The intake writes every
submission waiting at that moment in one transaction (one lock, one commit, multi-row
inserts); a lone submission is a batch of one. Like a consumer, the intake is a
transaction boundary: it commits, the service only flushes.
"""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import Row

from garage.requests import service
from garage.requests.schemas import RequestSubmission
from garage.settings import GarageSettings
from guichet_common.db import SessionFactory, unit_of_work


class SubmissionIntake:
    def __init__(
        self, session_factory: SessionFactory, settings: GarageSettings, max_batch: int = 64
    ) -> None:
        self.session_factory = session_factory
        self.settings = settings
        self.max_batch = max_batch
        self._waiting: list[tuple[RequestSubmission, asyncio.Future[Row[Any]]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def submit(self, data: RequestSubmission) -> Row[Any]:
        """The committed request. If its batch fails, every submission in it fails and
        none is stored (one transaction)."""
        future: asyncio.Future[Row[Any]] = asyncio.get_running_loop().create_future()
        self._waiting.append((data, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write(), name="garage-intake")
        return await future

    async def _write(self) -> None:
        while self._waiting:
            batch = self._waiting[: self.max_batch]
            del self._waiting[: self.max_batch]
            try:
                async with unit_of_work(self.session_factory) as session:
                    rows = await service.submit_many(session, self.settings, [d for d, _ in batch])
            except Exception as exc:
                for _, future in batch:
                    if not future.done():  # the client may have gone
                        future.set_exception(exc)
            else:
                for (_, future), row in zip(batch, rows, strict=True):
                    if not future.done():
                        future.set_result(row)
