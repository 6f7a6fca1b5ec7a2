"""What the list, search and export tests share: tickets set in a state by SQL (the
lifecycle's transitions are tested where they live; here only what lists show matters),
and the references a list or an export returns."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx
from sqlalchemy import text

from ..conftest import TICKETS, Json, Kit

EXPORT = f"{TICKETS}.csv"


async def edit(kit: Kit, reference: str, **columns: Any) -> None:
    """Set columns of a ticket as if it had lived (status, assignee, created_at…)."""
    assignments = ", ".join(f"{name} = :{name}" for name in columns)
    async with kit.engine.begin() as conn:
        updated = await conn.execute(
            text(f"UPDATE ticketing.ticket SET {assignments} WHERE reference = :reference"),
            {**columns, "reference": reference},
        )
        assert updated.rowcount == 1


async def execute(kit: Kit, statement: str, **params: Any) -> None:
    async with kit.engine.begin() as conn:
        await conn.execute(text(statement), params)


async def listed(kit: Kit, headers: dict[str, str] | None = None, /, **params: Any) -> Json:
    response = await kit.client.get(TICKETS, params=params, headers=headers or kit.technician)
    assert response.status_code == 200, response.text
    found: Json = response.json()
    return found


async def references(
    kit: Kit, headers: dict[str, str] | None = None, /, **params: Any
) -> list[str]:
    """The references of every page of the list, in order (pages of 200)."""
    found: list[str] = []
    cursor = None
    while True:
        after: dict[str, str] = {"cursor": cursor} if cursor else {}
        page = await listed(kit, headers, **{"limit": 200, **params, **after})
        found += [item["reference"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return found


def rows(response: httpx.Response) -> list[list[str]]:
    """The CSV's lines, header first (after checking the BOM)."""
    assert response.content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))


async def exported(kit: Kit, headers: dict[str, str] | None = None, /, **params: Any) -> list[str]:
    """The references an export holds, in order."""
    response = await kit.client.get(EXPORT, params=params, headers=headers or kit.technician)
    assert response.status_code == 200, response.text
    return [line[0] for line in rows(response)[1:]]
