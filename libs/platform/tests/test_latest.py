"""keep_latest against the real PostgreSQL: a late, older event never undoes a newer one, and a
newer one (or the same again) overwrites all but the key. ``LatestKept`` (the statement built
once, each batch's rows bound) is held to the same behaviour and the same SQL."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import ARRAY, Column, DateTime, MetaData, Table, Text, event, func, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from rujukan_platform.db import make_engine
from rujukan_platform.latest import LatestKept, keep_latest
from rujukan_platform.testing import Servers

statuses = Table(
    "statuses",
    MetaData(),
    Column("referral_id", Text, primary_key=True),
    Column("status", Text, nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False),
    Column("event", Text, nullable=False),
)

NOON = datetime(2026, 3, 2, 12, tzinfo=UTC)
COLUMNS = ("referral_id", "status", "changed_at", "event")
KEPT = LatestKept(statuses, COLUMNS, key=["referral_id"], stamp="changed_at")

Write = Callable[[AsyncConnection, Sequence[Mapping[str, Any]]], Awaitable[object]]


async def built(conn: AsyncConnection, rows: Sequence[Mapping[str, Any]]) -> object:
    return await conn.execute(keep_latest(statuses, rows, key=["referral_id"], stamp="changed_at"))


async def kept(conn: AsyncConnection, rows: Sequence[Mapping[str, Any]]) -> object:
    return await conn.execute(KEPT.statement, KEPT.parameters(rows))


@pytest.fixture(params=[built, kept], ids=["keep_latest", "LatestKept"])
def write(request: pytest.FixtureRequest) -> Write:
    written: Write = request.param
    return written


@pytest.fixture
async def engine(servers: Servers, fresh_database: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(f"{servers.pg_url}/{fresh_database}", pool_size=2)
    async with engine.begin() as conn:
        await conn.run_sync(statuses.metadata.create_all)
    yield engine
    await engine.dispose()


async def hear(engine: AsyncEngine, write: Write, status: str, at: datetime, event: str) -> None:
    row = {"referral_id": "r1", "status": status, "changed_at": at, "event": event}
    async with engine.begin() as conn:
        await write(conn, [row])


async def stored(engine: AsyncEngine) -> tuple[str, datetime, str]:
    async with engine.connect() as conn:
        row = (
            await conn.execute(select(statuses.c.status, statuses.c.changed_at, statuses.c.event))
        ).one()
    return row.status, row.changed_at, row.event


@pytest.mark.integration
async def test_an_older_event_never_overwrites_a_newer_one(
    engine: AsyncEngine, write: Write
) -> None:
    await hear(engine, write, "accepted", NOON, "event-2")
    await hear(engine, write, "delivered", NOON - timedelta(hours=1), "event-1")
    assert await stored(engine) == ("accepted", NOON, "event-2")


@pytest.mark.integration
async def test_a_newer_event_or_the_same_again_overwrites_all_but_the_key(
    engine: AsyncEngine, write: Write
) -> None:
    later = NOON + timedelta(hours=1)
    await hear(engine, write, "delivered", NOON, "event-1")
    await hear(engine, write, "accepted", later, "event-2")
    assert await stored(engine) == ("accepted", later, "event-2")
    # the same instant again is no older (a redelivery writes what it wrote before)
    await hear(engine, write, "in_service", later, "event-3")
    assert await stored(engine) == ("in_service", later, "event-3")


@pytest.mark.integration
async def test_a_batch_writes_the_newest_of_each_key_as_one_by_one_would(
    engine: AsyncEngine, write: Write
) -> None:
    later = NOON + timedelta(hours=1)
    await hear(engine, write, "accepted", later, "event-0")
    rows = [
        {"referral_id": "r1", "status": "in_service", "changed_at": later, "event": "event-1"},
        {"referral_id": "r2", "status": "accepted", "changed_at": later, "event": "event-2"},
        {"referral_id": "r1", "status": "delivered", "changed_at": NOON, "event": "event-3"},
        {"referral_id": "r2", "status": "rejected", "changed_at": NOON, "event": "event-4"},
        {"referral_id": "r2", "status": "completed", "changed_at": later, "event": "event-5"},
    ]
    async with engine.begin() as conn:
        await write(conn, rows)
    async with engine.connect() as conn:
        found = (await conn.execute(select(statuses.c.referral_id, statuses.c.event))).all()
    # r1: event-1 is as new as the stored event-0, and later in order; event-3 is older.
    # r2: event-5 is the last of the newest
    assert sorted(found) == [("r1", "event-1"), ("r2", "event-5")]


programs = Table(
    "programs",
    MetaData(),
    Column("code", Text, primary_key=True),
    Column("documents", ARRAY(Text), nullable=False),
    Column("published_at", DateTime(timezone=True), nullable=False),
)


@pytest.mark.integration
async def test_rows_go_as_one_text_for_any_number_and_arrays_as_a_values_list(
    engine: AsyncEngine,
) -> None:
    """Plain columns are bound as one array each: one SQL text for 1 row and for 40 (a VALUES
    list was one a number of rows, each prepared again). A table with an array column (there
    is no array of arrays to bind) still takes its rows, as a VALUES list."""
    sent: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        sent.append(statement)

    async with engine.begin() as conn:
        await conn.run_sync(programs.metadata.create_all)
    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        for n in (1, 40):
            rows = [
                {"referral_id": f"r{i}", "status": "sent", "changed_at": NOON, "event": f"e{i}"}
                for i in range(n)
            ]
            async with engine.begin() as conn:
                await conn.execute(
                    keep_latest(statuses, rows, key=["referral_id"], stamp="changed_at")
                )
        async with engine.begin() as conn:
            await conn.execute(
                keep_latest(
                    programs,
                    [{"code": "PKH", "documents": ["KK", "KTP"], "published_at": NOON}],
                    key=["code"],
                    stamp="published_at",
                )
            )
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)
    upserts = [s for s in sent if s.startswith("INSERT")]
    assert len(upserts) == 3 and upserts[0] == upserts[1] and "unnest" in upserts[0], upserts
    assert "VALUES" in upserts[2]
    async with engine.connect() as conn:
        assert (await conn.scalar(select(func.count()).select_from(statuses))) == 40
        assert (await conn.scalar(select(programs.c.documents))) == ["KK", "KTP"]


def test_the_statement_built_once_is_the_one_built_for_rows() -> None:
    """``LatestKept`` is ``keep_latest`` made once: the same SQL, the rows bound alike."""
    rows = [{"referral_id": "r1", "status": "sent", "changed_at": NOON, "event": "e1"}]
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    for_rows = keep_latest(statuses, rows, key=["referral_id"], stamp="changed_at").compile(
        dialect=dialect
    )
    once = KEPT.statement.compile(dialect=dialect)
    assert str(once) == str(for_rows)
    bound = KEPT.parameters(rows)
    assert bound == {name: for_rows.params[name] for name in bound}
    assert sorted(bound) == sorted(once.params)  # every parameter of the statement, bound


def test_kept_statements_take_plain_columns_only() -> None:
    with pytest.raises(ValueError, match="plain columns"):
        LatestKept(
            programs, ("code", "documents", "published_at"), key=["code"], stamp="published_at"
        )


stamped = Table(
    "stamped",
    MetaData(),
    Column("key", Text, primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("token", Text, nullable=False, default=lambda: uuid.uuid4().hex),
)


@pytest.mark.integration
async def test_a_column_left_to_its_python_default_gets_one_value_a_row(
    engine: AsyncEngine,
) -> None:
    """From a SELECT, SQLAlchemy would compute a Python default once for every row; the rows
    of such a table go as a VALUES list, each its own."""
    async with engine.begin() as conn:
        await conn.run_sync(stamped.metadata.create_all)
        rows = [{"key": k, "at": NOON} for k in ("a", "b", "c")]
        await conn.execute(keep_latest(stamped, rows, key=["key"], stamp="at"))
        tokens = (await conn.scalars(select(stamped.c.token))).all()
    assert len(set(tokens)) == 3
