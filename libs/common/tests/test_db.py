from __future__ import annotations

import uuid
from enum import StrEnum

import pytest
from sqlalchemy import String, select, text
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from guichet_common.db import EnumText, libpq_dsn, schema_metadata, unit_of_work
from guichet_common.testing.bus import BusSchema

pytestmark = pytest.mark.integration


class Colour(StrEnum):
    RED = "red"
    BLUE = "blue"


def test_libpq_dsn_drops_the_driver_and_keeps_the_password() -> None:
    url = "postgresql+asyncpg://guichet:s3cret@db:5432/guichet"
    assert libpq_dsn(url) == "postgresql://guichet:s3cret@db:5432/guichet"


async def test_enum_text_reads_back_the_enum_and_stores_its_value(
    test_database_url: str,
) -> None:
    schema = f"enum_{uuid.uuid4().hex[:8]}"

    class Base(DeclarativeBase):
        metadata = schema_metadata(schema)

    class Paint(Base):
        __tablename__ = "paint"
        id: Mapped[int] = mapped_column(primary_key=True)
        colour: Mapped[Colour] = mapped_column(EnumText(Colour, 10))
        raw: Mapped[str] = mapped_column(String(10))

    engine = create_async_engine(test_database_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            await conn.run_sync(Base.metadata.create_all)
        async with AsyncSession(engine) as session, session.begin():
            session.add(Paint(id=1, colour=Colour.BLUE, raw="x"))
        async with AsyncSession(engine) as session:
            paint = (await session.scalars(select(Paint))).one()
            assert paint.colour is Colour.BLUE
            stored = await session.scalar(text(f'SELECT colour FROM "{schema}".paint'))
            assert stored == "blue"
    finally:
        async with engine.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await engine.dispose()


async def test_unit_of_work_commits_on_success_and_rolls_back_on_error(
    bus_schema: BusSchema,
) -> None:
    event_id = uuid.uuid4()
    async with unit_of_work(bus_schema.session_factory) as session:
        await session.execute(bus_schema.effect.insert().values(event_id=event_id, handler="ok"))
    with pytest.raises(RuntimeError):
        async with unit_of_work(bus_schema.session_factory) as session:
            await session.execute(
                bus_schema.effect.insert().values(event_id=uuid.uuid4(), handler="lost")
            )
            raise RuntimeError("boom")
    assert await bus_schema.effects() == {event_id: 1}
