"""Public submissions written in batches: one transaction per batch.

Gap-free numbering locks the year's counter row until commit, so submissions one
transaction each would queue behind each other's commits. The intake writes the
submissions waiting at that moment in one transaction (one lock, one commit, one
statement per table); a lone submission is a batch of one. A second writer prepares the
next batch while the first commits, so the counter lock is not left idle.

The writers drive asyncpg directly on a connection held from the engine's pool while
there is work (and a second after): SQLAlchemy's own cost per transaction and statement
would be most of a batch's. Like a consumer, the intake is a transaction boundary: it
commits, the service only writes.
"""

from __future__ import annotations

import asyncio
import contextlib

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine

from garage.requests import service
from garage.requests.schemas import RequestSubmission
from garage.settings import GarageSettings
from guichet_common.logging import correlation_id_var, get_logger

log = get_logger(__name__)

Waiting = tuple[RequestSubmission, str | None, "asyncio.Future[service.Submitted]"]


class SubmissionIntake:
    def __init__(
        self,
        engine: AsyncEngine,
        settings: GarageSettings,
        *,
        max_batch: int = 64,
        writers: int = 2,
        idle_seconds: float = 1.0,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.max_batch = max_batch
        self.writers = writers
        self.idle_seconds = idle_seconds
        self._waiting: list[Waiting] = []
        self._arrived = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._free = 0  # writers not writing a batch

    async def submit(self, data: RequestSubmission) -> service.Submitted:
        """The committed request. If its batch fails, every submission in it fails and
        none is stored (one transaction)."""
        future: asyncio.Future[service.Submitted] = asyncio.get_running_loop().create_future()
        self._waiting.append((data, correlation_id_var.get(), future))
        self._arrived.set()
        if len(self._tasks) < self.writers:
            self._free += 1  # from now: it may not run before the first writer takes
            task = asyncio.create_task(self._write(), name="garage-intake")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return await future

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _write(self) -> None:
        try:
            async with self.engine.connect() as connection:
                driver: asyncpg.Connection = (
                    await connection.get_raw_connection()
                ).driver_connection
                while await self._has_work():
                    # Free writers share what waits: while one commits, the other's clients
                    # are answered and send more, so neither the database nor this process
                    # idles.
                    size = min(self.max_batch, -(-len(self._waiting) // self._free))
                    batch = self._waiting[:size]
                    del self._waiting[:size]
                    self._free -= 1
                    try:
                        async with driver.transaction():
                            stored = await service.submit_many(
                                driver,
                                self.settings,
                                [data for data, _, _ in batch],
                                [correlation_id for _, correlation_id, _ in batch],
                            )
                    except BaseException as exc:
                        _fail(batch, exc)
                        if driver.is_closed():
                            await connection.invalidate()
                        if not isinstance(exc, Exception) or driver.is_closed():
                            raise
                    else:
                        for (_, _, future), submitted in zip(batch, stored, strict=True):
                            if not future.done():  # the client may have gone
                                future.set_result(submitted)
                    finally:
                        self._free += 1
        except Exception as exc:
            # No connection (the database is away): what waits fails now rather than hangs.
            log.warning("garage intake writer stopped", error=repr(exc))
            waiting, self._waiting = self._waiting, []
            _fail(waiting, exc)
        finally:
            self._free -= 1

    async def _has_work(self) -> bool:
        """Wait a little for work before giving the connection back."""
        if not self._waiting:
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), self.idle_seconds)
        return bool(self._waiting)


def _fail(batch: list[Waiting], exc: BaseException) -> None:
    for _, _, future in batch:
        if not future.done():
            if isinstance(exc, asyncio.CancelledError):
                future.cancel()
            else:
                future.set_exception(exc)
