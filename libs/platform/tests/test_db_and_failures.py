"""Database plumbing and the weather-or-poison verdict against the real PostgreSQL: COPY inside
the caller's transaction, JSON written by the platform's serialiser, and real server errors told
apart (a deadlock or a timeout passes; a duplicate does not) and described without their data."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest
from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Integer,
    MetaData,
    Table,
    Text,
    Uuid,
    column,
    event,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import JSON
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from rujukan_platform import db
from rujukan_platform.db import (
    any_of,
    copy_records,
    make_engine,
    make_sessions,
    new_metadata,
    ping,
    rows_parameters,
    rows_table,
)
from rujukan_platform.failures import describe, is_transient, root_cause, sqlstate
from rujukan_platform.testing import Servers, free_port

NIK = "3304011203840001"

metadata = MetaData()
members = Table(
    "members",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("nik", Text, unique=True),
    Column("facts", JSON),
)


@pytest.fixture
async def engine(servers: Servers, fresh_database: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(f"{servers.pg_url}/{fresh_database}", pool_size=2)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
        await conn.run_sync(new_metadata().create_all)
    yield engine
    await engine.dispose()


@pytest.mark.integration
async def test_copy_belongs_to_the_callers_transaction_even_as_its_first_statement(
    engine: AsyncEngine,
) -> None:
    sessions = make_sessions(engine)
    rows = [(n, f"33040112038400{n:02d}", None) for n in range(3)]
    async with sessions() as session:
        transaction = await session.begin()
        await copy_records(session, "members", ["id", "nik", "facts"], rows)
        await transaction.rollback()  # a later step of the same change failed
    async with sessions() as session:
        assert await session.scalar(text("SELECT count(*) FROM members")) == 0
    async with sessions() as session, session.begin():
        await copy_records(session, "members", ["id", "nik"], iter([(1, "a"), (2, "b")]))
        await copy_records(session, "members", ["id", "nik"], [])  # nothing: no statement
    async with sessions() as session:
        found = (await session.execute(text("SELECT id, nik FROM members ORDER BY id"))).all()
    assert [tuple(r) for r in found] == [(1, "a"), (2, "b")]


@pytest.mark.integration
async def test_json_columns_take_times_and_ids_as_the_platform_writes_them(
    engine: AsyncEngine,
) -> None:
    at, some_id = datetime(2024, 5, 1, 7, 30, tzinfo=UTC), uuid.uuid4()
    async with engine.begin() as conn:
        await conn.execute(members.insert().values(id=1, facts={"at": at, "id": some_id}))
        stored = (await conn.execute(select(members.c.facts))).scalar_one()
        as_text = (await conn.execute(text("SELECT facts::text FROM members"))).scalar_one()
    assert stored == {"at": "2024-05-01T07:30:00+00:00", "id": str(some_id)}
    assert " " not in as_text  # compact, as orjson writes it


@pytest.mark.integration
async def test_a_duplicate_is_poison_described_without_the_values_it_quotes(
    engine: AsyncEngine,
) -> None:
    async with engine.begin() as conn:
        await conn.execute(members.insert().values(id=1, nik=NIK))
    with pytest.raises(IntegrityError) as raised:
        async with engine.begin() as conn:
            await conn.execute(members.insert().values(id=2, nik=NIK))
    error = raised.value
    assert not is_transient(error)
    assert sqlstate(error) == "23505"
    assert isinstance(root_cause(error), asyncpg.UniqueViolationError)
    assert describe(error) == (
        'UniqueViolationError: duplicate key value violates unique constraint "members_nik_key"'
        " (SQLSTATE 23505)"
    )
    assert NIK not in describe(error) and NIK in str(error)  # SQLAlchemy's text quotes it


@pytest.mark.integration
async def test_a_statement_that_runs_out_of_time_is_weather(engine: AsyncEngine) -> None:
    with pytest.raises(DBAPIError) as raised:
        async with engine.connect() as conn:
            await conn.execute(text("SET statement_timeout = '50ms'"))
            await conn.execute(text("SELECT pg_sleep(5)"))
    assert sqlstate(raised.value) == "57014" and is_transient(raised.value)
    assert describe(raised.value).startswith("QueryCanceledError: canceling statement")


@pytest.mark.integration
async def test_the_loser_of_a_real_deadlock_may_simply_try_again(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.execute(members.insert(), [{"id": 1}, {"id": 2}])
    both_locked_one = asyncio.Barrier(2)

    async def lock(first: int, second: int) -> None:
        async with engine.begin() as conn:
            await conn.execute(text("SELECT 1 FROM members WHERE id = :i FOR UPDATE"), {"i": first})
            await both_locked_one.wait()
            await conn.execute(
                text("SELECT 1 FROM members WHERE id = :i FOR UPDATE"), {"i": second}
            )

    results = await asyncio.gather(lock(1, 2), lock(2, 1), return_exceptions=True)
    (lost,) = [r for r in results if isinstance(r, BaseException)]
    assert sqlstate(lost) == "40P01" and is_transient(lost)
    await asyncio.wait_for(_retry_alone(engine), 10)


async def _retry_alone(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.execute(text("SELECT 1 FROM members WHERE id IN (1, 2) FOR UPDATE"))


@pytest.mark.integration
async def test_a_connection_the_server_ended_is_weather(
    engine: AsyncEngine, servers: Servers, fresh_database: str
) -> None:
    """A database restart or failover ends every session: the next statement on one fails, and
    the work it carried may simply be tried again on a new connection."""
    async with engine.connect() as conn:
        pid = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        admin = await asyncpg.connect(f"{servers.pg_dsn}/{fresh_database}")
        try:
            assert await admin.fetchval("SELECT pg_terminate_backend($1)", pid)
        finally:
            await admin.close()
        with pytest.raises(DBAPIError) as raised:
            await conn.execute(text("SELECT 1"))
    assert raised.value.connection_invalidated and is_transient(raised.value)
    await ping(engine)  # the pool hands out a new connection

    closed = await asyncpg.connect(f"{servers.pg_dsn}/{fresh_database}")
    await closed.close()
    with pytest.raises(asyncpg.InterfaceError) as unwrapped:  # the driver's own, unwrapped
        await closed.fetchval("SELECT 1")
    assert is_transient(unwrapped.value)


@pytest.fixture
async def one_connection(servers: Servers, fresh_database: str) -> AsyncIterator[AsyncEngine]:
    """An engine whose pool holds one connection, so the next checkout is the one ended."""
    engine = make_engine(f"{servers.pg_url}/{fresh_database}", pool_size=1)
    yield engine
    await engine.dispose()


async def _backend_pid(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        pid: int = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
    return pid


async def _end_pooled_connection(engine: AsyncEngine, servers: Servers, database: str) -> int:
    """End, from outside, the backend of the connection the pool hands out next; its pid."""
    pid = await _backend_pid(engine)
    admin = await asyncpg.connect(f"{servers.pg_dsn}/{database}")
    try:
        assert await admin.fetchval("SELECT pg_terminate_backend($1)", pid)
        while await admin.fetchval("SELECT count(*) FROM pg_stat_activity WHERE pid = $1", pid):
            await asyncio.sleep(0.01)
    finally:
        await admin.close()
    return pid


@pytest.mark.integration
async def test_a_connection_idle_a_while_is_pinged_and_a_dead_one_replaced_unseen(
    one_connection: AsyncEngine,
    servers: Servers,
    fresh_database: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """After a restart, the first statement on a connection idle past the window still works:
    the checkout pinged it, found it dead and connected anew."""
    monkeypatch.setattr(db, "IDLE_BEFORE_PING_SECONDS", 0.0)
    ended = await _end_pooled_connection(one_connection, servers, fresh_database)
    assert await _backend_pid(one_connection) != ended


@pytest.mark.integration
async def test_a_connection_used_a_moment_ago_is_not_pinged_and_its_death_is_weather(
    one_connection: AsyncEngine,
    servers: Servers,
    fresh_database: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Within the window nothing is pinged (no three round trips a checkout): a connection that
    died meanwhile fails its statement as weather, and the pool replaces it for the retry."""
    monkeypatch.setattr(db, "IDLE_BEFORE_PING_SECONDS", 3600.0)
    ended = await _end_pooled_connection(one_connection, servers, fresh_database)
    with pytest.raises(DBAPIError) as raised:
        async with one_connection.connect() as conn:
            await conn.execute(text("SELECT 1"))
    assert raised.value.connection_invalidated and is_transient(raised.value)
    assert await _backend_pid(one_connection) != ended


@pytest.mark.integration
async def test_a_database_nobody_listens_on_is_weather(servers: Servers) -> None:
    nowhere = make_engine(f"postgresql+asyncpg://rujukan:rujukan@127.0.0.1:{free_port()}/x")
    try:
        with pytest.raises(Exception) as raised:
            await ping(nowhere)
        assert is_transient(raised.value)
        assert describe(raised.value).startswith("ConnectionRefusedError")
    finally:
        await nowhere.dispose()


def test_failures_with_no_server_behind_them() -> None:
    # a wrapper without SQLSTATE: the driver's own exception decides
    assert is_transient(DBAPIError("SELECT 1", {}, ConnectionResetError()))
    assert not is_transient(DBAPIError("SELECT 1", {}, KeyError("bug")))
    # the driver's errors unwrapped (asyncpg used directly): their SQLSTATE decides
    assert is_transient(asyncpg.DeadlockDetectedError("deadlock detected"))
    assert not is_transient(asyncpg.UniqueViolationError("duplicate key value"))
    assert describe(KeyError()) == "KeyError"
    long = describe(ValueError("line one\n\n  line two " + "x" * 600))
    assert long.startswith("ValueError: line one line two x") and len(long) == 512


@pytest.mark.integration
async def test_rows_as_a_table_keep_their_types_and_one_text_for_any_number_of_rows(
    engine: AsyncEngine,
) -> None:
    """``rows_table``: NULLs, times, ids and flags come back as given, and two numbers of rows
    give one SQL text (a VALUES list gave one per number of rows, each compiled afresh)."""
    columns = (
        column("id", Uuid()),
        column("note", Text()),
        column("at", DateTime(timezone=True)),
        column("final", Boolean()),
    )
    at = datetime(2026, 12, 5, 3, 30, tzinfo=UTC)
    texts = set()
    async with engine.connect() as conn:
        for rows in ([(uuid.uuid4(), None, None, False)], [(uuid.uuid4(), "x", at, True)] * 3):
            given = rows_table(*columns, name="given", rows=rows)
            stmt = select(*given.c)
            assert [tuple(r) for r in await conn.execute(stmt)] == rows
            texts.add(str(stmt.compile(engine.sync_engine)))
    assert len(texts) == 1


@pytest.mark.integration
async def test_a_table_built_once_takes_its_rows_and_lists_at_execution(
    engine: AsyncEngine,
) -> None:
    """A statement kept at module level: ``rows_table(rows=[])`` bound by ``rows_parameters``,
    and ``any_of`` for a list: the rows and list it is given (not the empty ones it was built
    with), in one SQL text sent to PostgreSQL for any number of items (an IN list sends one
    text a length, each prepared again)."""
    columns = (column("id", Uuid()), column("note", Text()))
    given = rows_table(*columns, name="given", rows=[])
    stmt = select(*given.c).where(given.c.note == any_of("wanted", Text()))
    sent: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        sent.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        async with engine.connect() as conn:
            for n in (1, 7):
                rows = [(uuid.uuid4(), f"note {i}") for i in range(n)]
                wanted = [note for _, note in rows][::2]
                found = await conn.execute(stmt, rows_parameters(given, rows) | {"wanted": wanted})
                assert sorted(tuple(r) for r in found) == sorted(r for r in rows if r[1] in wanted)
            named = select(given.c.note).where(given.c.note == any_of("one", Text(), ["b"]))
            bound = rows_parameters(given, [(None, "a"), (None, "b")])
            assert (await conn.scalars(named, bound)).all() == ["b"]
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)
    assert len(sent) == 3 and sent[0] == sent[1], sent
