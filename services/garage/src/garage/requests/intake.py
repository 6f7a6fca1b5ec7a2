"""Public submissions written in batches: one transaction per batch.

Gap-free numbering locks the year's counter row until commit, so submissions one
transaction each would queue behind each other's commits. The intake writes the
submissions waiting at that moment in one transaction of two statements (one lock, one
commit); a lone submission is a batch of one. Two writers share what waits: while one
commits, the other's clients are answered and send more, so neither the database nor
this process idles.

Each writer drives asyncpg directly on a connection it holds from the engine's pool
while there is work, and for `idle_seconds` after: SQLAlchemy's own cost per transaction
and statement would be most of a batch's. Like a consumer, the intake is a transaction
boundary: it commits, the service only writes.

Faults: a batch whose connection drops before its COMMIT was sent did not happen (the
server rolls back), so it goes back to the head of the queue once, for a writer on a
fresh connection. A drop during the COMMIT leaves the outcome unknown: the batch's
callers get the error (an `Idempotency-Key` makes their retry safe).
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field

import asyncpg
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from garage.errors import IntakeFull
from garage.requests import service
from garage.requests.schemas import RequestSubmission
from garage.settings import GarageSettings
from guichet_common.logging import correlation_id_var, get_logger

log = get_logger(__name__)


@dataclass
class _Waiting:
    data: RequestSubmission
    correlation_id: str | None
    future: asyncio.Future[service.Submitted] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )
    requeued: bool = False


class _LinkLost(Exception):
    """The writer's connection is gone; its batch was not committed."""


class SubmissionIntake:
    def __init__(
        self,
        engine: AsyncEngine,
        settings: GarageSettings,
        *,
        max_batch: int = 64,
        writers: int = 2,
        idle_seconds: float = 1.0,
        batch_timeout: float = 10.0,
        max_waiting: int = 2000,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.max_batch = max_batch
        self.writers = writers
        self.idle_seconds = idle_seconds
        self.batch_timeout = batch_timeout
        self.max_waiting = max_waiting
        self._waiting: list[_Waiting] = []
        self._arrived = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._busy = 0  # writers inside a batch
        self._connected = 0  # writers holding a connection
        self._closing = False

    async def submit(self, data: RequestSubmission) -> service.Submitted:
        """The committed request. If its batch fails, every submission in it fails and
        none is stored (one transaction)."""
        if self._closing:
            raise RuntimeError("the intake is closed")
        if len(self._waiting) >= self.max_waiting:  # the database cannot keep up
            raise IntakeFull("the request was not stored")
        waiting = _Waiting(data, correlation_id_var.get())
        self._waiting.append(waiting)
        self._arrived.set()
        self._start_writer()
        return await waiting.future

    async def close(self) -> None:
        self._closing = True
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        waiting, self._waiting = self._waiting, []
        _fail(waiting, asyncio.CancelledError())

    def _start_writer(self) -> None:
        if self._waiting and len(self._tasks) < self.writers and not self._closing:
            task = asyncio.create_task(self._write(), name="garage-intake")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _write(self) -> None:
        connected = False
        try:
            async with self.engine.connect() as connection:
                connected = True
                self._connected += 1
                while await self._has_work():
                    await self._write_batch(connection)
        except _LinkLost:
            pass  # the `finally` starts a writer on a fresh connection if work waits
        except Exception as exc:
            log.warning("garage intake writer stopped", error=repr(exc))
            if self._connected == (1 if connected else 0):
                # No writer has a connection (the database is away): what waits fails now
                # rather than hangs. Otherwise the writer that has one takes it.
                waiting, self._waiting = self._waiting, []
                _fail(waiting, exc)
        finally:
            if connected:
                self._connected -= 1
            # Synchronously, so a submission arriving now finds a free writer slot.
            task = asyncio.current_task()
            if task is not None:
                self._tasks.discard(task)
            self._start_writer()
            self._arrived.set()  # what this writer left is seen by the others

    async def _write_batch(self, connection: AsyncConnection) -> None:
        driver: asyncpg.Connection = (await connection.get_raw_connection()).driver_connection
        free = len(self._tasks) - self._busy
        size = min(self.max_batch, -(-len(self._waiting) // max(1, free)))
        taken, self._waiting = self._waiting[:size], self._waiting[size:]
        batch = [w for w in taken if not w.future.done()]  # skip clients that have gone
        if not batch:
            return
        transaction: asyncpg.transaction.Transaction | None = None
        committing = False
        self._busy += 1
        try:
            async with asyncio.timeout(self.batch_timeout):
                transaction = driver.transaction()  # refused at once if the link is gone
                await transaction.start()
                stored = await service.submit_many(
                    driver,
                    self.settings,
                    [w.data for w in batch],
                    [w.correlation_id for w in batch],
                )
                committing = True
                await transaction.commit()
        except BaseException as exc:
            # Timed out: the link may be half-open, and a query may still be running.
            lost = driver.is_closed() or isinstance(exc, TimeoutError | OSError)
            if lost or not isinstance(exc, Exception):
                # Never back to the pool with a transaction or a query in flight.
                await asyncio.shield(connection.invalidate())
            if lost:
                if not committing:  # nothing was stored: once more, on a fresh connection
                    again = [w for w in batch if not w.requeued]
                    batch = [w for w in batch if w.requeued]  # already had their second try
                    for waiting in again:
                        waiting.requeued = True
                    self._waiting[:0] = again
                _fail(batch, exc)
                raise _LinkLost from exc
            _fail(batch, exc)
            if not isinstance(exc, Exception):
                raise  # cancelled: the intake is closing
            # The database refused the batch; the link is fine for the next one.
            await self._roll_back(connection, transaction)
        else:
            for waiting, submitted in zip(batch, stored, strict=True):
                if not waiting.future.done():  # the client may have gone
                    waiting.future.set_result(submitted)
        finally:
            self._busy -= 1

    async def _roll_back(
        self, connection: AsyncConnection, transaction: asyncpg.transaction.Transaction | None
    ) -> None:
        if transaction is None:
            return
        try:
            async with asyncio.timeout(self.batch_timeout):
                with contextlib.suppress(asyncpg.InterfaceError):  # never started
                    await transaction.rollback()
        except (TimeoutError, OSError, asyncpg.PostgresError) as exc:
            await asyncio.shield(connection.invalidate())
            raise _LinkLost from exc

    async def _has_work(self) -> bool:
        """Work waits; else wait up to `idle_seconds` for some before giving the
        connection back (another writer may take what woke this one)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.idle_seconds
        while not self._waiting:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), remaining)
        return True


def _fail(batch: list[_Waiting], exc: BaseException) -> None:
    for waiting in batch:
        if not waiting.future.done():
            if isinstance(exc, asyncio.CancelledError):
                waiting.future.cancel()
            else:
                waiting.future.set_exception(exc)
