"""Keyset (cursor) pagination, the one way every list is paged.

A list has a stable order: columns whose last one is unique (`submitted_at, id`), all
ascending or all descending. A page is `limit` rows after the cursor; its `next_cursor`
carries the last row's values and is null on the last page (one row more is read to know).
Repositories call `paginate`; routers turn the `Paged` rows into a `Page` of schemas.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Generic, TypeVar
from uuid import UUID

from fastapi import Depends, Query
from pydantic import BaseModel
from sqlalchemy import Select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from guichet_common.http import InvalidInput
from guichet_common.text import Text

T = TypeVar("T")
S = TypeVar("S")

MAX_LIMIT = 200


@dataclass(frozen=True)
class PageRequest:
    cursor: str | None = None
    limit: int = 50


def page_request(
    cursor: Annotated[
        Text | None, Query(max_length=500, description="`next_cursor` of the previous page")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
) -> PageRequest:
    return PageRequest(cursor, limit)


PageParams = Annotated[PageRequest, Depends(page_request)]


@dataclass(frozen=True)
class KeysetOrder:
    """The order of a list: mapped columns, the last one unique."""

    columns: tuple[InstrumentedAttribute[Any], ...]
    descending: bool = False


@dataclass(frozen=True)
class Paged(Generic[T]):
    items: list[T]
    next_cursor: str | None


class Page(BaseModel, Generic[S]):
    items: list[S]
    next_cursor: str | None = None

    @classmethod
    def of(cls, paged: Paged[T], to_item: Callable[[T], S]) -> Page[S]:
        return cls(items=[to_item(item) for item in paged.items], next_cursor=paged.next_cursor)


async def paginate(
    session: AsyncSession, statement: Select[T], order: KeysetOrder, page: PageRequest
) -> Paged[T]:
    """`statement` (one mapped entity, filters applied) ordered and cut at the cursor."""
    columns = order.columns
    if page.cursor is not None:
        after = tuple_(*columns)
        values = tuple_(*_decode(page.cursor, columns))
        statement = statement.where(after < values if order.descending else after > values)
    statement = statement.order_by(
        *(column.desc() if order.descending else column.asc() for column in columns)
    ).limit(page.limit + 1)
    rows = list((await session.scalars(statement)).all())
    items = rows[: page.limit]
    next_cursor = None
    if len(rows) > page.limit:
        next_cursor = _encode([getattr(items[-1], column.key) for column in columns])
    return Paged(items, next_cursor)


def _encode(values: Sequence[Any]) -> str:
    raw = json.dumps(
        [v.isoformat() if isinstance(v, datetime) else v for v in values],
        default=str,
        separators=(",", ":"),
    )
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor: str, columns: Sequence[InstrumentedAttribute[Any]]) -> list[Any]:
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(values, list) or len(values) != len(columns):
            raise ValueError("wrong arity")
        return [_typed(value, column) for value, column in zip(values, columns, strict=True)]
    except (ValueError, TypeError, OverflowError) as exc:  # binascii, JSON errors included
        raise InvalidInput("cursor is not one this API issued", field="cursor") from exc


def _typed(value: Any, column: InstrumentedAttribute[Any]) -> Any:
    kind = column.type.python_type
    if kind is datetime:
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            raise ValueError("naive datetime")
        # In UTC, as PostgreSQL holds it: an instant it cannot hold fails here, not there.
        return moment.astimezone(UTC)
    if kind is UUID:
        return UUID(value)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise TypeError(f"{column.key}: expected {kind.__name__}")
    return value
