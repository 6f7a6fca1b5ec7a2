"""Database plumbing: one schema per service, one transaction owner per request or message."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from enum import StrEnum
from typing import Any, Generic, TypeVar

import asyncpg
from sqlalchemy import DateTime, Dialect, MetaData, String, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, InterfaceError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SessionFactory = async_sessionmaker[AsyncSession]

# How models' annotations map to column types: every moment is stored with its time zone.
TYPE_ANNOTATION_MAP: dict[Any, Any] = {datetime: DateTime(timezone=True)}


def schema_metadata(schema: str) -> MetaData:
    return MetaData(schema=schema, naming_convention=NAMING_CONVENTION)


def make_engine(url: str, *, pool_size: int = 10, application_name: str = "guichet") -> AsyncEngine:
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        connect_args={"server_settings": {"application_name": application_name}},
    )


def make_session_factory(engine: AsyncEngine) -> SessionFactory:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


def libpq_dsn(url: str) -> str:
    """The plain `postgresql://` DSN asyncpg expects, from a SQLAlchemy URL."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@asynccontextmanager
async def unit_of_work(factory: SessionFactory) -> AsyncIterator[AsyncSession]:
    """The one place that commits: request, consumer and timer boundaries use it; services
    and repositories only flush."""
    async with factory() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        else:
            await session.commit()


def is_database_unavailable(exc: BaseException) -> bool:
    """The database cannot be reached (down, restarting, link cut, pool exhausted), as
    opposed to a statement it refused: worth retrying later, never the caller's fault."""
    seen: set[int] = set()
    error: BaseException | None = exc
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, DBAPIError) and error.connection_invalidated:
            return True
        if isinstance(
            error,
            InterfaceError
            | PoolTimeout
            | ConnectionError
            | socket.gaierror
            | asyncpg.exceptions.PostgresConnectionError
            | asyncpg.exceptions.OperatorInterventionError  # shutdown, starting up
            | asyncpg.exceptions.InterfaceError,
        ):
            return True
        error = getattr(error, "orig", None) or error.__cause__ or error.__context__
    return False


async def ping(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))


E = TypeVar("E", bound=StrEnum)


class EnumText(TypeDecorator[E], Generic[E]):
    """A `StrEnum` stored as its value in a VARCHAR: rows read back as the enum, and the
    column stays a plain string for migrations and other readers."""

    impl = String
    cache_ok = True

    def __init__(self, enum: type[E], length: int) -> None:
        super().__init__(length)
        self.enum = enum

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else self.enum(value).value

    def process_result_value(self, value: Any, dialect: Dialect) -> E | None:
        return None if value is None else self.enum(value)
