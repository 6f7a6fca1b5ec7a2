from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal
from typing import Any

import pytest
from asyncpg.exceptions import NumericValueOutOfRangeError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from garage.requests.intake import SubmissionIntake
from garage.requests.schemas import RequestSubmission
from guichet_common.logging import correlation_id_var
from guichet_common.testing.proxy import TcpProxy

pytestmark = pytest.mark.integration


async def test_concurrent_submissions_share_one_transaction(kit: Any) -> None:
    intake = SubmissionIntake(kit.engine, kit.settings, writers=1)
    data = RequestSubmission.model_validate(kit.submission())

    async def submit_as(correlation_id: str) -> Any:
        correlation_id_var.set(correlation_id)
        return await intake.submit(data)

    try:
        rows = await asyncio.gather(*(submit_as(f"client-{i}") for i in range(10)))
    finally:
        await intake.close()
    numbers = sorted(row.number for row in rows)
    first = int(numbers[0].rsplit("-", 1)[1])
    assert numbers == [f"{numbers[0][:-4]}{first + i:04d}" for i in range(10)]  # no gaps
    transactions = await kit.scalar(
        "SELECT count(DISTINCT xmin::text) FROM garage.garage_request WHERE number = ANY(:n)",
        n=numbers,
    )
    assert transactions == 1
    for i, row in enumerate(rows):
        assert await kit.event_types(row.number) == ["garage.request.submitted.v1"]
        # Each event keeps its own request's correlation id, not its batch's first one.
        assert (
            await kit.scalar(
                "SELECT envelope->>'correlationid' FROM garage.outbox WHERE subject = :n",
                n=row.number,
            )
            == f"client-{i}"
        )


async def test_two_writers_share_the_waiting_submissions_without_gaps(kit: Any) -> None:
    intake = SubmissionIntake(kit.engine, kit.settings, writers=2)
    data = RequestSubmission.model_validate(kit.submission())
    try:
        rows = await asyncio.gather(*(intake.submit(data) for _ in range(40)))
    finally:
        await intake.close()
    values = sorted(int(row.number.rsplit("-", 1)[1]) for row in rows)
    assert values == list(range(values[0], values[0] + 40))
    transactions = await kit.scalar(
        "SELECT count(DISTINCT xmin::text) FROM garage.garage_request WHERE number = ANY(:n)",
        n=[row.number for row in rows],
    )
    assert 2 <= transactions < 40


async def test_a_failed_batch_fails_every_caller_and_stores_nothing(kit: Any) -> None:
    # A rate the quote's numeric column cannot hold: the database refuses the batch.
    broken = kit.settings.model_copy(update={"hourly_rate": Decimal("1e12")})
    intake = SubmissionIntake(kit.engine, broken, writers=1)
    data = RequestSubmission.model_validate(kit.submission(last_name="Overflow"))
    before = await kit.scalar("SELECT last_value FROM garage.reference_counter WHERE kind='DEM'")
    try:
        results = await asyncio.gather(
            *(intake.submit(data) for _ in range(3)), return_exceptions=True
        )
    finally:
        await intake.close()
    assert all(isinstance(r, NumericValueOutOfRangeError) for r in results), results
    assert (
        await kit.scalar("SELECT count(*) FROM garage.garage_request WHERE last_name = 'Overflow'")
        == 0
    )
    after = await kit.scalar("SELECT last_value FROM garage.reference_counter WHERE kind='DEM'")
    assert after == before  # no number burnt


async def test_a_cut_database_link_fails_the_waiting_then_the_intake_reconnects(
    kit: Any,
) -> None:
    """The writer's connection drops: the submissions in flight fail (nothing stored, no
    number burnt), and once the database is reachable again the next ones are stored."""
    target = kit.engine.url
    proxy = TcpProxy(target.host or "127.0.0.1", target.port or 5432)
    await proxy.start()
    engine = create_async_engine(
        target.set(host="127.0.0.1", port=proxy.port), pool_pre_ping=True, pool_size=2
    )
    intake = SubmissionIntake(engine, kit.settings, idle_seconds=30)
    data = RequestSubmission.model_validate(kit.submission(last_name="Cut"))
    try:
        before = await intake.submit(data)  # the writer now holds its connection
        proxy.cut()
        failed = await asyncio.gather(
            *(intake.submit(data) for _ in range(3)), return_exceptions=True
        )
        assert all(isinstance(result, Exception) for result in failed), failed
        proxy.restore()
        after = await asyncio.gather(*(intake.submit(data) for _ in range(3)))
    finally:
        await intake.close()
        await engine.dispose()
        await proxy.close()
    stored = await kit.scalar("SELECT count(*) FROM garage.garage_request WHERE last_name = 'Cut'")
    assert stored == 4
    numbers = sorted(int(row.number.rsplit("-", 1)[1]) for row in [before, *after])
    assert numbers == list(range(numbers[0], numbers[0] + 4))  # the failed ones burnt none


async def test_a_connection_killed_while_idle_costs_the_next_batch_nothing(kit: Any) -> None:
    """The server ends the writer's idle connection (a restart, an idle timeout): the next
    batch finds it closed before anything was sent and is written on a fresh one."""
    name = f"intake-{uuid.uuid4().hex[:8]}"
    engine = create_async_engine(
        kit.engine.url, pool_size=2, connect_args={"server_settings": {"application_name": name}}
    )
    intake = SubmissionIntake(engine, kit.settings, writers=1, idle_seconds=30)
    data = RequestSubmission.model_validate(kit.submission(last_name="Killed"))
    try:
        await intake.submit(data)  # the writer now holds its connection, idle
        assert (
            await kit.scalar(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE application_name = :name",
                name=name,
            )
            == 1
        )
        await asyncio.sleep(0.2)  # the termination reaches the client
        rows = await asyncio.gather(*(intake.submit(data) for _ in range(3)))
    finally:
        await intake.close()
        await engine.dispose()
    assert len({row.number for row in rows}) == 3
    stored = await kit.scalar(
        "SELECT count(*) FROM garage.garage_request WHERE last_name = 'Killed'"
    )
    assert stored == 4


async def test_closing_during_a_batch_stores_nothing_and_leaves_no_open_transaction(
    kit: Any,
) -> None:
    name = f"intake-{uuid.uuid4().hex[:8]}"
    engine = create_async_engine(
        kit.engine.url, pool_size=2, connect_args={"server_settings": {"application_name": name}}
    )
    intake = SubmissionIntake(engine, kit.settings, writers=1)
    data = RequestSubmission.model_validate(kit.submission(last_name="Closed"))
    await kit.submit()  # the year's counter row exists
    async with kit.engine.connect() as holder:
        await holder.execute(text("SELECT * FROM garage.reference_counter FOR UPDATE"))
        pending = asyncio.create_task(intake.submit(data))
        await asyncio.sleep(0.3)  # the writer waits for the counter lock
        await intake.close()
        with pytest.raises(asyncio.CancelledError):
            await pending
        await holder.rollback()
    await asyncio.sleep(0.3)  # the cut-off backend finishes and rolls back
    try:
        in_transaction = await kit.scalar(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE application_name = :name AND state LIKE 'idle in transaction%'",
            name=name,
        )
    finally:
        await engine.dispose()
    assert in_transaction == 0
    stored = await kit.scalar(
        "SELECT count(*) FROM garage.garage_request WHERE last_name = 'Closed'"
    )
    assert stored == 0
