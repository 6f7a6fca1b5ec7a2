"""Plumbing tables every service schema carries: outbox, inbox, idempotency keys, API keys."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import (
    DDL,
    BigInteger,
    Column,
    DateTime,
    Identity,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    event,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID


@dataclass(frozen=True)
class PlumbingTables:
    schema: str
    outbox: Table
    processed_event: Table
    idempotency_key: Table
    api_key: Table

    @property
    def notify_channel(self) -> str:
        return f"{self.schema}_outbox"


def define_plumbing_tables(metadata: MetaData) -> PlumbingTables:
    if metadata.schema is None:
        raise ValueError("plumbing tables live in a service schema: give the MetaData a schema")
    outbox = Table(
        "outbox",
        metadata,
        Column("id", UUID(as_uuid=True), primary_key=True),
        Column("seq", BigInteger, Identity(always=True), nullable=False, unique=True),
        Column("routing_key", String(200), nullable=False),
        Column("subject", String(200)),
        Column("envelope", JSONB, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("published_at", DateTime(timezone=True)),
        # How many times the bus refused this message (an outage refuses nothing), why it
        # last failed, when to try again, and when it was set aside after its attempts.
        Column("attempts", Integer, nullable=False, server_default=text("0")),
        Column("last_error", Text),
        Column("retry_at", DateTime(timezone=True)),
        Column("set_aside_at", DateTime(timezone=True)),
        Index(
            "ix_outbox_unpublished",
            "seq",
            postgresql_where=text("published_at IS NULL AND set_aside_at IS NULL"),
        ),
        Index("ix_outbox_published_at", "published_at"),
    )
    # One NOTIFY per inserting statement, delivered at commit: the relay wakes only for
    # committed events, and writers pay no extra round trip.
    notify_function = f'"{metadata.schema}".outbox_notify'
    for ddl in (
        f"CREATE OR REPLACE FUNCTION {notify_function}() RETURNS trigger LANGUAGE plpgsql "
        f"AS $$ BEGIN PERFORM pg_notify('{metadata.schema}_outbox', ''); RETURN NULL; END $$",
        "CREATE TRIGGER outbox_notify AFTER INSERT ON %(fullname)s "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {notify_function}()",
    ):
        event.listen(outbox, "after_create", DDL(ddl))  # type: ignore[no-untyped-call]
    drop = DDL(f"DROP FUNCTION IF EXISTS {notify_function}()")  # type: ignore[no-untyped-call]
    event.listen(outbox, "after_drop", drop)
    processed_event = Table(
        "processed_event",
        metadata,
        Column("consumer", String(200), nullable=False),
        Column("event_id", UUID(as_uuid=True), nullable=False),
        Column("event_type", String(200), nullable=False),
        Column("processed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        PrimaryKeyConstraint("consumer", "event_id"),
    )
    idempotency_key = Table(
        "idempotency_key",
        metadata,
        Column("scope", String(200), nullable=False),
        Column("key", String(200), nullable=False),
        Column("request_hash", String(64), nullable=False),
        Column("status_code", Integer),
        Column("response", JSONB),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        PrimaryKeyConstraint("scope", "key"),
    )
    api_key = Table(
        "api_key",
        metadata,
        Column("key_id", String(32), primary_key=True),
        Column("name", String(200), nullable=False),
        Column("secret_hash", String(64), nullable=False),
        Column("scopes", ARRAY(String(100)), nullable=False, server_default=text("'{}'")),
        # Site codes the key is limited to; empty: every site.
        Column("sites", ARRAY(String(32)), nullable=False, server_default=text("'{}'")),
        Column("version", Integer, nullable=False, server_default=text("1")),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("last_used_at", DateTime(timezone=True)),
        Column("revoked_at", DateTime(timezone=True)),
    )
    return PlumbingTables(metadata.schema, outbox, processed_event, idempotency_key, api_key)
