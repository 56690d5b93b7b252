"""Database plumbing: the async engine and the two tables every service shares.

``outbox`` uses Debezium's outbox column names (id, aggregatetype, aggregateid, type, payload)
plus the target topic, an ordering sequence and the trace context. Its payload is ``json``, not
``jsonb``: the row is written once, read once as text and deleted, so PostgreSQL should neither
parse it into a tree nor print it back. ``processed_events`` is the idempotent consumer's
memory: one row per (consumer, event id), written in the handler's transaction.

Hot paths write many rows with ``COPY`` on the session's own connection (``copy_records``),
inside the session's transaction.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Iterable, Sequence
from typing import Any

import asyncpg
import orjson
from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Identity,
    Index,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    any_,
    bindparam,
    event,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSON, UUID
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection
from sqlalchemy.sql.elements import ColumnClause
from sqlalchemy.sql.selectable import TableValuedAlias
from sqlalchemy.sql.type_api import TypeEngine

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def uuid_column(name: str, *args: Any, **kwargs: Any) -> Column[Any]:
    """A UUID column read as ``uuid.UUID``: every id in the platform is one."""
    return Column(name, UUID(as_uuid=True), *args, **kwargs)


def time_column(name: str, *args: Any, now: bool = False, **kwargs: Any) -> Column[Any]:
    """A point in time with its zone: every time in the platform is one. ``now``: when a row
    does not say, the database fills in its transaction's time."""
    if now:
        kwargs["server_default"] = func.now()
    return Column(name, DateTime(timezone=True), *args, **kwargs)


def new_metadata() -> MetaData:
    """A service's metadata, with the shared tables already in it."""
    metadata = MetaData(naming_convention=NAMING)
    outbox_table(metadata)
    processed_events_table(metadata)
    return metadata


def outbox_table(metadata: MetaData) -> Table:
    return Table(
        "outbox",
        metadata,
        # seq orders and identifies a row for the relay: one index, appended to in order (a
        # primary key on the random uuid would cost an index insert at a random place per event)
        Column("seq", BigInteger, Identity(always=True), primary_key=True),
        uuid_column("id", nullable=False),
        Column("aggregatetype", Text, nullable=False),
        Column("aggregateid", Text, nullable=False),
        Column("type", Text, nullable=False),
        Column("payload", JSON, nullable=False),
        Column("topic", Text, nullable=False),
        Column("traceparent", Text, nullable=True),
        time_column("created_at", nullable=False, now=True),
    )


def processed_events_table(metadata: MetaData) -> Table:
    return Table(
        "processed_events",
        metadata,
        Column("consumer", Text, nullable=False),
        uuid_column("event_id", nullable=False),
        time_column("processed_at", nullable=False, now=True),
        PrimaryKeyConstraint("consumer", "event_id"),
        Index("ix_processed_events_processed_at", "processed_at"),
    )


def _json_dumps(value: object) -> str:
    return orjson.dumps(value).decode()


#: a pooled connection unused for longer than this is pinged before it is handed out
IDLE_BEFORE_PING_SECONDS = 2.0


def make_engine(dsn: str, *, pool_size: int = 10) -> AsyncEngine:
    engine = create_async_engine(
        dsn,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_timeout=15,
        # a server that accepts the TCP connection but never answers is weather too: fail the
        # attempt (and retry it) instead of hanging for asyncpg's default minute
        connect_args={"timeout": 10},
        json_serializer=_json_dumps,
        json_deserializer=orjson.loads,
    )
    _ping_when_idle(engine)
    return engine


def _ping_when_idle(engine: AsyncEngine) -> None:
    """Ping a pooled connection before use only when it has been idle a while.

    SQLAlchemy's ``pool_pre_ping`` pings at every checkout, and over asyncpg a ping is three
    round trips (``BEGIN``, ``;``, ``ROLLBACK``): at one intake at a time, a quarter of the
    intake API's statements. A connection handed back moments ago was working then; one idle
    longer may have outlived a restarted server, so it is pinged, and a dead one is replaced
    (``DisconnectionError``: the pool connects anew and tries again). A connection that dies
    within the idle window fails its statement, which SQLAlchemy reports as a disconnect and
    answers by replacing the whole pool; the callers retry such weather already."""
    pool = engine.sync_engine.pool

    @event.listens_for(pool, "checkin")
    def _returned(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info["returned_at"] = time.monotonic()

    @event.listens_for(pool, "checkout")
    def _checked_out(
        dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: PoolProxiedConnection
    ) -> None:
        returned = record.info.get("returned_at")
        if returned is None or time.monotonic() - returned < IDLE_BEFORE_PING_SECONDS:
            return  # new, or in use a moment ago
        try:
            dbapi_connection.ping()
        except Exception as exc:
            raise DisconnectionError(f"a pooled connection was dead: {exc}") from exc


def make_sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


#: made once: ``driver_connection`` begins a COPY's transaction with it when nothing has yet
_SELECT_ONE = text("SELECT 1")


async def ping(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        await conn.execute(_SELECT_ONE)


async def driver_connection(session: AsyncSession) -> asyncpg.Connection:
    """The asyncpg connection under ``session``, with the session's transaction begun on it.

    SQLAlchemy sends ``BEGIN`` lazily, with the first statement; a ``COPY`` issued before that
    would run outside the transaction, so begin it here when it has not been yet."""
    conn = await session.connection()
    raw = await conn.get_raw_connection()
    driver: asyncpg.Connection = raw.driver_connection
    if not driver.is_in_transaction():
        await conn.execute(_SELECT_ONE)
    return driver


async def copy_records(
    session: AsyncSession,
    table: str,
    columns: Sequence[str],
    records: Iterable[Sequence[Any]],
) -> None:
    """Insert rows with binary ``COPY`` in the session's transaction (no ``ON CONFLICT``: the
    caller knows the rows are new)."""
    rows = records if isinstance(records, list) else list(records)
    if rows:
        conn = await driver_connection(session)
        await conn.copy_records_to_table(table, records=rows, columns=list(columns))


def rows_table(
    *columns: ColumnClause[Any], name: str, rows: Sequence[Sequence[Any]]
) -> TableValuedAlias:
    """``rows`` as a table named ``name`` with ``columns`` (typed), to join an UPDATE or an
    INSERT ... SELECT to: ``unnest`` of one array parameter a column. Unlike ``values(...)
    .data(rows)``, whose rows are rendered into the SQL, the statement's text is the same for
    any number of rows, so SQLAlchemy compiles it once and PostgreSQL prepares it once
    (notifications: -22 % CPU a message, bench/results/notifications_throughput.md)."""
    arrays = [
        bindparam(f"{name}_{c.name}", [row[i] for row in rows], type_=ARRAY(c.type))
        for i, c in enumerate(columns)
    ]
    return func.unnest(*arrays).table_valued(*columns).render_derived(name=name)


def rows_parameters(given: TableValuedAlias, rows: Sequence[Sequence[Any]]) -> dict[str, list[Any]]:
    """The parameters of ``given``, a ``rows_table`` built once with ``rows=[]`` (a statement
    kept at module level), binding ``rows`` at execution: one array a column, each row's values
    in ``given``'s columns' order (its name and columns are read from it, never said twice)."""
    return {f"{given.name}_{c.name}": [row[i] for row in rows] for i, c in enumerate(given.c)}


def any_of(name: str, type_: TypeEngine[Any], values: Collection[Any] | None = None) -> Any:
    """``column == any_of(...)``: ``= ANY(:name)``, the list bound as one array of ``type_``.
    An IN list of n items is another statement for every n, compiled by SQLAlchemy and prepared
    by PostgreSQL again; this is one statement for any length."""
    if values is None:
        return any_(bindparam(name, type_=ARRAY(type_)))
    return any_(bindparam(name, list(values), type_=ARRAY(type_)))
