"""Lists of attachments never read the bytes: the `content` column is left out of their
SELECT, and only the download reads it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, inspect
from sqlalchemy.exc import InvalidRequestError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from guichet_common.pagination import PageRequest
from ticketing.attachments import repository
from ticketing.deps import Viewer
from ticketing.tickets import repository as tickets

from ..conftest import TICKETS, Kit
from .samples import PDF

pytestmark = pytest.mark.integration

CONTENT = re.compile(r"attachment\.content\b")  # not `content_type`
STAFF = Viewer(subject="tech1", email=None, staff=True, sites=None)


@contextmanager
def statements(engine: AsyncEngine) -> Iterator[list[str]]:
    """The SQL sent while inside."""
    sent: list[str] = []

    def record(*args: Any) -> None:
        sent.append(args[2])

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


async def test_a_list_never_loads_the_bytes(kit: Kit, db_session: AsyncSession) -> None:
    reference = (await kit.create_ticket(await kit.site()))["reference"]
    created = await kit.client.post(
        f"{TICKETS}/{reference}/attachments",
        files={"file": ("bon.pdf", PDF, "application/pdf")},
        headers=kit.technician,
    )
    assert created.status_code == 201, created.text
    ticket = await tickets.get_visible(db_session, reference, STAFF)

    with statements(kit.engine) as sent:
        page = await repository.page(db_session, ticket, PageRequest(), staff=True)

    [listed] = page.items
    [select] = [s for s in sent if "attachment" in s]
    assert "attachment.size" in select and not CONTENT.search(select)
    assert "content" in inspect(listed).unloaded
    with pytest.raises(InvalidRequestError, match="raiseload"):
        _ = listed.content

    with statements(kit.engine) as sent:
        downloaded = await repository.with_content(db_session, ticket, listed.id, staff=True)
    assert downloaded is not None and downloaded.content == PDF
    assert any(CONTENT.search(s) for s in sent)
