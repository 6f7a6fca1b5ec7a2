"""Keyset pagination on a real PostgreSQL: every row once, in order, ties broken by the
unique last column, no cursor after the last page, and foreign cursors refused."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import String, select, text
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from guichet_common.db import TYPE_ANNOTATION_MAP, schema_metadata
from guichet_common.http import InvalidInput
from guichet_common.pagination import KeysetOrder, PageRequest, _encode, paginate

pytestmark = pytest.mark.integration

SCHEMA = f"page_{uuid.uuid4().hex[:8]}"


class Base(DeclarativeBase):
    metadata = schema_metadata(SCHEMA)
    type_annotation_map = TYPE_ANNOTATION_MAP


class Item(Base):
    __tablename__ = "item"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    created_at: Mapped[datetime]
    name: Mapped[str] = mapped_column(String(20))


OLDEST_FIRST = KeysetOrder((Item.created_at, Item.id))
NEWEST_FIRST = KeysetOrder((Item.created_at, Item.id), descending=True)


@pytest.fixture
async def session(test_database_url: str) -> AsyncIterator[AsyncSession]:
    engine = create_async_engine(test_database_url)
    async with engine.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{SCHEMA}"'))
        await conn.run_sync(Base.metadata.create_all)
    start = datetime(2026, 11, 1, tzinfo=UTC)
    async with AsyncSession(engine) as session, session.begin():
        # Six rows on three instants: ties the id must break.
        session.add_all(
            Item(id=uuid.uuid4(), created_at=start + timedelta(minutes=i // 2), name=f"n{i}")
            for i in range(6)
        )
    try:
        async with AsyncSession(engine) as session:
            yield session
    finally:
        async with engine.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{SCHEMA}" CASCADE'))
        await engine.dispose()


async def _walk(session: AsyncSession, order: KeysetOrder, limit: int) -> list[list[str]]:
    pages, cursor = [], None
    while True:
        page = await paginate(session, select(Item), order, PageRequest(cursor, limit))
        pages.append([item.name for item in page.items])
        if page.next_cursor is None:
            return pages
        cursor = page.next_cursor


async def test_pages_cover_every_row_once_in_order(session: AsyncSession) -> None:
    everything = [
        item.name
        for item in (await session.scalars(select(Item).order_by(Item.created_at, Item.id))).all()
    ]
    assert await _walk(session, OLDEST_FIRST, 4) == [everything[:4], everything[4:]]
    assert await _walk(session, NEWEST_FIRST, 4) == [everything[::-1][:4], everything[::-1][4:]]


async def test_a_full_last_page_has_no_next_cursor(session: AsyncSession) -> None:
    pages = await _walk(session, OLDEST_FIRST, 3)
    assert [len(page) for page in pages] == [3, 3]  # no third, empty page


async def test_a_cursor_not_issued_here_is_a_422_on_cursor(session: AsyncSession) -> None:
    # Garbage, ["x"], [1, 2], and an instant before year 1 in UTC.
    before_year_one = _encode(["0001-01-01T00:00:00+01:00", str(uuid.uuid4())])
    for forged in ("%%%", "WyJ4Il0", "WzEsMl0", before_year_one):
        with pytest.raises(InvalidInput) as raised:
            await paginate(session, select(Item), OLDEST_FIRST, PageRequest(forged, 3))
        assert raised.value.extra["field"] == "cursor"
