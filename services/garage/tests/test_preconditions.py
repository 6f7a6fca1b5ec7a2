"""Every write to an existing garage resource needs the ETag it read: 428 without
If-Match, 412 with a stale one, and either way nothing changes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

pytestmark = pytest.mark.integration

LINES = {"lines": [{"kind": "labour", "label": "Diagnostic", "quantity": "1"}]}


async def _request(kit: Any) -> str:
    number = (await kit.submit())["number"]
    return f"/api/garage/requests/{number}"


async def _quote(kit: Any) -> str:
    number = (await kit.submit())["number"]
    return f"/api/garage/quotes/{(await kit.quotes(number))[0]['id']}"


Write = Callable[[Any], Awaitable[tuple[str, str, str, dict[str, Any]]]]


async def assignment(kit: Any) -> tuple[str, str, str, dict[str, Any]]:
    resource = await _request(kit)
    return resource, "PUT", f"{resource}/assignment", {"teachers": ["Prof"]}


async def transition(kit: Any) -> tuple[str, str, str, dict[str, Any]]:
    resource = await _request(kit)
    return resource, "POST", f"{resource}/transitions", {"action": "triage"}


async def quote_edit(kit: Any) -> tuple[str, str, str, dict[str, Any]]:
    resource = await _quote(kit)
    return resource, "PUT", resource, LINES


async def quote_issue(kit: Any) -> tuple[str, str, str, dict[str, Any]]:
    resource = await _quote(kit)
    return resource, "POST", f"{resource}/issue", {}


@pytest.mark.parametrize("write", [assignment, transition, quote_edit, quote_issue])
async def test_a_write_without_or_with_a_stale_etag_changes_nothing(kit: Any, write: Write) -> None:
    resource, method, url, body = await write(kit)
    before = await kit.client.get(resource, headers=kit.teacher)
    kwargs: dict[str, Any] = {"json": body} if body else {}

    missing = await kit.client.request(method, url, headers=kit.teacher, **kwargs)
    assert missing.status_code == 428, missing.text
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.json()["type"].endswith(":precondition-required")

    stale = await kit.client.request(
        method, url, headers={**kit.teacher, "If-Match": '"0"'}, **kwargs
    )
    assert stale.status_code == 412, stale.text
    assert stale.json()["etag"] == before.headers["etag"]

    after = await kit.client.get(resource, headers=kit.teacher)
    assert after.headers["etag"] == before.headers["etag"]
    assert after.json() == before.json()

    done = await kit.client.request(
        method, url, headers={**kit.teacher, "If-Match": before.headers["etag"]}, **kwargs
    )
    assert done.status_code == 200, done.text
    assert done.headers["etag"] != before.headers["etag"]
