"""What the tickets tests share: a valid intake body, the calls they make, the checks of
a refusal."""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import Awaitable
from datetime import datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import text

from ..conftest import TICKETS, Json, Kit, fields_named

T = TypeVar("T")
REFERENCE = re.compile(r"^INC-(\d{4})-(\d{6})$")
PROBLEM_JSON = "application/problem+json"


def this_year() -> int:
    """The numbering year: the year in Paris, not UTC's."""
    return datetime.now(ZoneInfo("Europe/Paris")).year


def number_of(reference: str) -> tuple[int, int]:
    """The (year, number) of `INC-YYYY-NNNNNN`."""
    matched = REFERENCE.match(reference)
    assert matched is not None, reference
    return int(matched[1]), int(matched[2])


def intake(site_code: str, **fields: Any) -> Json:
    """A body the intake accepts (a hardware incident), `fields` replacing its own."""
    return {
        "title": "Le poste de la salle B204 ne démarre plus",
        "description": "Écran noir au démarrage, le voyant clignote orange.",
        "type": "incident",
        "category": "hardware",
        "urgency": 3,
        "impact": 2,
        "site_code": site_code,
        "requester": {
            "name": "Mme Claire Martin",
            "email": "claire.martin@ac-orleans-tours.fr",
            "phone": "02 38 00 00 00",
        },
        **fields,
    }


async def post(kit: Kit, body: Json, headers: dict[str, str] | None = None) -> httpx.Response:
    return await kit.client.post(TICKETS, json=body, headers=headers or kit.technician)


async def patch(
    kit: Kit,
    reference: str,
    body: Json,
    *,
    etag: str | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """A PATCH of the ticket with the ETag read just before (or `etag`, "" for none)."""
    path = f"{TICKETS}/{reference}"
    etag = await kit.etag(path) if etag is None else etag
    extra = {"If-Match": etag} if etag else {}
    return await kit.client.patch(path, json=body, headers={**(headers or kit.technician), **extra})


async def read(kit: Kit, reference: str, headers: dict[str, str] | None = None) -> Json:
    got = await kit.client.get(f"{TICKETS}/{reference}", headers=headers or kit.technician)
    assert got.status_code == 200, got.text
    ticket: Json = got.json()
    return ticket


async def history(kit: Kit, reference: str) -> list[Json]:
    listed = await kit.client.get(f"{TICKETS}/{reference}/history", headers=kit.technician)
    assert listed.status_code == 200, listed.text
    items: list[Json] = listed.json()["items"]
    return items


def refused_on(response: httpx.Response, field: str, status: int = 422) -> None:
    """A problem+json refusal naming `field` (in `errors` and in `detail`)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    problem = response.json()
    assert problem["type"] == "urn:guichet:problem:validation-error"
    assert field in fields_named(response), problem
    assert field in problem["detail"], problem


def problem_type(response: httpx.Response) -> str:
    assert response.headers["content-type"].startswith(PROBLEM_JSON), response.text
    slug: str = response.json()["type"]
    return slug.removeprefix("urn:guichet:problem:")


async def tickets_of(kit: Kit, site_code: str) -> int:
    count: int = await kit.scalar(
        "SELECT count(*) FROM ticketing.ticket WHERE site_code = :s", s=site_code
    )
    return count


async def inactive_category(kit: Kit) -> str:
    """A category that was retired (active false); its code."""
    code = f"retired_{secrets.token_hex(4)}"
    async with kit.engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO ticketing.category (code, label, active) "
                "VALUES (:code, 'Ancienne catégorie', false)"
            ),
            {"code": code},
        )
    return code


async def set_status(kit: Kit, reference: str, status: str) -> None:
    """As the lifecycle would have left it (another package's work)."""
    async with kit.engine.begin() as conn:
        await conn.execute(
            text(
                "UPDATE ticketing.ticket SET status = :status, version = version + 1 "
                "WHERE reference = :ref"
            ),
            {"status": status, "ref": reference},
        )


async def race(kit: Kit, reference: str, *calls: Awaitable[T]) -> list[T]:
    """`calls` run together, all of them held on the ticket's row until each is waiting for
    it: what one request does while another is between its read and its write is seen,
    not left to the scheduler."""
    async with kit.engine.connect() as holder, holder.begin():
        await holder.execute(
            text("SELECT 1 FROM ticketing.ticket WHERE reference = :ref FOR UPDATE"),
            {"ref": reference},
        )
        running = [asyncio.ensure_future(call) for call in calls]
        await _until_waiting(kit, len(running))
    return list(await asyncio.gather(*running))


async def _until_waiting(kit: Kit, count: int) -> None:
    for _ in range(500):
        waiting = await kit.scalar(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        if waiting >= count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{count} requests never waited for the ticket")
