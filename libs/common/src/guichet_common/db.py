"""Database plumbing: one schema per service, one transaction owner per request or message."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeAlias

import asyncpg
from sqlalchemy import (
    JSON,
    Insert,
    MetaData,
    String,
    Table,
    Text,
    bindparam,
    cast,
    func,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg as AsyncpgDialect
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.selectable import HasCTE

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SessionFactory = async_sessionmaker[AsyncSession]
# What repositories write with: a session, or asyncpg itself on hot paths (see `execute`).
Database: TypeAlias = AsyncSession | asyncpg.Connection


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
    """The one place that commits: request and consumer boundaries use it, services only flush."""
    async with factory() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        else:
            await session.commit()


@dataclass(frozen=True, slots=True)
class Rows:
    """Rows for one table, given column by column; JSON columns take JSON text."""

    table: Table
    columns: Mapping[str, Sequence[Any]]

    def __post_init__(self) -> None:
        # unnest() pads shorter arrays with NULLs: unequal columns would insert wrong rows.
        if len({len(values) for values in self.columns.values()}) > 1:
            raise ValueError(f"{self.table.name}: columns of unequal lengths")


def _column_insert(table: Table, names: tuple[str, ...], prefix: str) -> Insert:
    """`INSERT … SELECT FROM unnest(arrays)`: one parameter per column whatever the number
    of rows. The driver encodes arrays in C, where a multi-row VALUES costs Python work
    per value."""
    columns = [table.c[name] for name in names]
    for column in columns:
        if isinstance(column.type, ARRAY):
            raise TypeError(f"{table.name}.{column.name}: unnest() would flatten an array")
    # Strings travel as text: a cast to varchar(n) would truncate silently, where the
    # insert into the column refuses what is too long.
    arrays = [
        bindparam(
            f"{prefix}{name}",
            type_=ARRAY(Text if isinstance(column.type, JSON | String) else column.type),
        )
        for name, column in zip(names, columns, strict=True)
    ]
    given = func.unnest(*arrays).table_valued(*names).render_derived(name="given")
    values = [
        cast(given.c[name], column.type) if isinstance(column.type, JSON) else given.c[name]
        for name, column in zip(names, columns, strict=True)
    ]
    return table.insert().from_select(columns, select(*values))


_COMPOSED: dict[tuple[Any, ...], Executable] = {}


def _writing(statement: Executable | None, rows: Sequence[Rows]) -> Executable:
    """`statement` (or the first insert) with the other inserts as data-modifying CTEs:
    one statement, one round trip. Built once per shape."""
    key = (statement, *((r.table, tuple(r.columns)) for r in rows))
    composed = _COMPOSED.get(key)
    if composed is None:
        inserts = [
            _column_insert(r.table, tuple(r.columns), f"rows{i}_") for i, r in enumerate(rows)
        ]
        main, ctes = (statement, inserts) if statement is not None else (inserts[0], inserts[1:])
        assert isinstance(main, HasCTE)
        composed = _COMPOSED[key] = main.add_cte(
            *(insert.cte(f"write_{i}") for i, insert in enumerate(ctes))
        )
    return composed


def _params(params: Mapping[str, Any], rows: Sequence[Rows]) -> dict[str, Any]:
    merged = dict(params)
    for i, batch in enumerate(rows):
        merged.update({f"rows{i}_{name}": list(v) for name, v in batch.columns.items()})
    return merged


async def insert_rows(db: Database, *rows: Rows) -> None:
    """Rows of one or several tables in one statement (and one round trip)."""
    await execute(db, _writing(None, rows), _params({}, rows))


# Hot paths (batch writers) drive asyncpg directly: SQLAlchemy's own work per statement and
# per transaction is several times the driver's. The SQL is still written with Core, and
# compiled once per statement object for the driver: statements run this way are built
# once (module constants, or composed and kept by `_writing`), never per call.
_DIALECT = AsyncpgDialect()  # type: ignore[no-untyped-call]
_DRIVER_SQL: dict[int, tuple[Executable, str, list[str]]] = {}


def _driver_sql(statement: Executable) -> tuple[str, list[str]]:
    entry = _DRIVER_SQL.get(id(statement))
    if entry is None:
        compiled = statement.compile(dialect=_DIALECT)  # type: ignore[attr-defined]
        # The statement is kept with its SQL, so its id is never reused.
        entry = _DRIVER_SQL[id(statement)] = (statement, str(compiled), compiled.positiontup)
    return entry[1], entry[2]


async def execute(db: Database, statement: Executable, params: Mapping[str, Any]) -> None:
    """Run a statement built once (bind parameters by name) on a session or on asyncpg."""
    if isinstance(db, AsyncSession):
        await db.execute(statement, dict(params))
    else:
        sql, names = _driver_sql(statement)
        await db.execute(sql, *(params[name] for name in names))


async def fetch_scalar(
    db: Database,
    statement: Executable,
    params: Mapping[str, Any],
    *,
    writing: Sequence[Rows] = (),
) -> Any:
    """The statement's one value; `writing`: rows inserted by the same statement."""
    if writing:
        statement, params = _writing(statement, writing), _params(params, writing)
    if isinstance(db, AsyncSession):
        return (await db.execute(statement, dict(params))).scalar_one()
    sql, names = _driver_sql(statement)
    return await db.fetchval(sql, *(params[name] for name in names))


async def ping(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
