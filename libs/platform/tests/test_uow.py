"""The unit of work and the handler table, against the real database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from uuid import uuid4

import pytest
from sqlalchemy import Column, Table, Text, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rujukan_contracts.envelope import EventMeta
from rujukan_contracts.events import ReferralStatusChangedV1
from rujukan_platform.db import make_engine, make_sessions, new_metadata
from rujukan_platform.handlers import Handlers, Received, UnknownMessage
from rujukan_platform.outbox import follow_up_id
from rujukan_platform.testing import Servers
from rujukan_platform.testing import status_changed as changed
from rujukan_platform.uow import Envelope, UnitOfWork

pytestmark = pytest.mark.integration

metadata = new_metadata()
notes = Table("notes", metadata, Column("note", Text))


class NotesUnitOfWork(UnitOfWork):
    """A service's unit of work in miniature: one repository opened on the session."""

    notes: NotesRepository

    def _open(self, session: AsyncSession) -> None:
        self.notes = NotesRepository(session)


class NotesRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, note: str) -> None:
        await self.session.execute(notes.insert().values(note=note))


@pytest.fixture
async def sessions(
    servers: Servers, fresh_database: str
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = make_engine(f"{servers.pg_url}/{fresh_database}")
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    yield make_sessions(engine)
    await engine.dispose()


async def count(sessions: async_sessionmaker[AsyncSession], table: str) -> int:
    async with sessions() as session:
        return int(
            await session.scalar(select(func.count()).select_from(metadata.tables[table])) or 0
        )


async def test_a_commit_stores_the_change_and_stages_its_events_counted(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    woken: list[int] = []
    async with NotesUnitOfWork(sessions, on_commit=woken.append) as uow:
        await uow.notes.add("a")
        uow.publish("referrals.status", changed("a"))
        uow.publish("referrals.status", changed("b"))
        assert uow.pending == 2
        assert await uow.commit() == 2
    assert (await count(sessions, "notes"), await count(sessions, "outbox")) == (1, 2)
    assert uow.staged == 2 and woken == [2]
    async with NotesUnitOfWork(sessions, on_commit=woken.append) as uow:
        await uow.notes.add("b")
        assert await uow.commit() == 0
    assert woken == [2, 0]  # told of every commit, events or not


async def test_leaving_without_commit_or_on_an_error_loses_the_change_and_its_events(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with NotesUnitOfWork(sessions) as uow:
        await uow.notes.add("forgotten")
        uow.publish("referrals.status", changed("forgotten"))
    with pytest.raises(ZeroDivisionError):
        async with NotesUnitOfWork(sessions) as uow:
            await uow.notes.add("failed")
            uow.publish("referrals.status", changed("failed"))
            _ = 1 / 0
    assert (await count(sessions, "notes"), await count(sessions, "outbox")) == (0, 0)


async def test_events_continue_the_trace_of_their_cause(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    request_trace = "00-" + "a" * 32 + "-" + "b" * 16 + "-01"
    message = EventMeta(type="t", source="/t", subject="s")
    async with UnitOfWork(sessions, traceparent=request_trace) as uow:
        uow.publish("t", changed("request"))
        uow.cause = Envelope(message, "topic", 0, 7, b"{}")
        uow.publish("t", changed("message"))
        (by_request, by_message) = uow.take_events()
    assert by_request[6].split("-")[1] == "a" * 32  # same trace, a new span
    assert by_message[6].split("-")[1] == message.traceparent.split("-")[1]


async def test_first_time_remembers_processed_events_per_consumer(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    a, b = uuid4(), uuid4()
    async with UnitOfWork(sessions) as uow:
        assert await uow.first_time("c1", [a, a]) == {a}
        await uow.commit()
    async with UnitOfWork(sessions) as uow:
        assert await uow.first_time("c1", [a, b]) == {b}
        assert await uow.first_time("c2", [a]) == {a}  # another consumer has its own memory
        assert await uow.first_time("c1", []) == set()


async def test_a_joined_unit_leaves_the_commit_to_the_owner_of_the_transaction(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        uow = NotesUnitOfWork.joining(session)
        await uow.notes.add("relay's")
        uow.publish("t", changed("follow-up"), event_id=uuid4())
        assert len(uow.take_events()) == 1  # the relay publishes these itself
        assert await uow.commit() == 0
        assert session.in_transaction()
        await session.rollback()
    assert await count(sessions, "notes") == 0


async def test_the_table_runs_one_handler_per_type_and_the_batch_form_when_there_is_one(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    seen: list[tuple[str, int | None]] = []

    async def one(event: ReferralStatusChangedV1, uow: NotesUnitOfWork) -> str:
        seen.append((event.note or "", uow.cause.offset if uow.cause else None))
        await uow.notes.add(event.note or "")
        return "done"

    async def many(items: list[Received[ReferralStatusChangedV1]], uow: NotesUnitOfWork) -> None:
        seen.append(("batch", len(items)))

    table = Handlers[NotesUnitOfWork]().on(ReferralStatusChangedV1, one)
    with pytest.raises(ValueError, match="has a handler already"):
        table.on(ReferralStatusChangedV1, one)
    with pytest.raises(UnknownMessage):
        table.only(int)
    meta = EventMeta(type="t", source="/t", subject="s")
    items = [Received(changed(str(n)), Envelope(meta, "t", 0, n, b"")) for n in (3, 4)]
    async with NotesUnitOfWork(sessions) as uow:
        assert await table.handle(changed("direct"), uow) == "done"
        await table.handle_many(ReferralStatusChangedV1, items, uow)  # no batch form: one by one
        assert uow.cause is None
        with pytest.raises(UnknownMessage):
            await table.handle("not a message", uow)
        await uow.commit()
    assert seen == [("direct", None), ("3", 3), ("4", 4)]
    assert await count(sessions, "notes") == 3

    batched = Handlers[NotesUnitOfWork]().on(ReferralStatusChangedV1, one, many=many)
    assert batched.batched(ReferralStatusChangedV1) and not table.batched(ReferralStatusChangedV1)
    async with NotesUnitOfWork(sessions) as uow:
        await batched.only(ReferralStatusChangedV1).handle_many(ReferralStatusChangedV1, items, uow)
    assert seen[-1] == ("batch", 2)


def test_follow_up_ids_are_the_same_on_every_republication() -> None:
    assert follow_up_id("row-1", "delivered") == follow_up_id("row-1", "delivered")
    assert follow_up_id("row-1", "delivered") != follow_up_id("row-2", "delivered")
