"""Every query on categories."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from ticketing.categories.models import Category


async def find(session: AsyncSession, code: str) -> Category | None:
    return await session.get(Category, code)
