from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.exc import DBAPIError

from garage.requests.intake import SubmissionIntake
from garage.requests.schemas import RequestSubmission
from guichet_common.db import make_session_factory

pytestmark = pytest.mark.integration


async def test_concurrent_submissions_share_one_transaction(kit: Any) -> None:
    intake = SubmissionIntake(make_session_factory(kit.engine), kit.settings)
    data = RequestSubmission.model_validate(kit.submission())
    rows = await asyncio.gather(*(intake.submit(data) for _ in range(10)))
    numbers = [row.number for row in rows]
    assert len(set(numbers)) == 10
    assert sorted(numbers) == numbers  # handed out in arrival order, without gaps
    transactions = await kit.scalar(
        "SELECT count(DISTINCT xmin::text) FROM garage.garage_request WHERE number = ANY(:n)",
        n=numbers,
    )
    assert transactions == 1
    for number in numbers:
        assert await kit.event_types(number) == ["garage.request.submitted.v1"]


async def test_a_failed_batch_fails_every_caller_and_stores_nothing(kit: Any) -> None:
    # A rate the quote's numeric column cannot hold: the database refuses the batch.
    broken = kit.settings.model_copy(update={"hourly_rate": Decimal("1e12")})
    intake = SubmissionIntake(make_session_factory(kit.engine), broken)
    data = RequestSubmission.model_validate(kit.submission(last_name="Overflow"))
    before = await kit.scalar("SELECT last_value FROM garage.reference_counter WHERE kind='DEM'")
    results = await asyncio.gather(*(intake.submit(data) for _ in range(3)), return_exceptions=True)
    assert all(isinstance(r, DBAPIError) for r in results), results
    assert (
        await kit.scalar("SELECT count(*) FROM garage.garage_request WHERE last_name = 'Overflow'")
        == 0
    )
    after = await kit.scalar("SELECT last_value FROM garage.reference_counter WHERE kind='DEM'")
    assert after == before  # no number burnt
