"""The outbox relay (``outbox``) against the real database and broker: follow-ups that are
republished with the same ids when a commit is lost, one relay at a time per database (the
advisory lock), the backlog gauges, waking on a commit, and surviving the database going away."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

import pytest
import structlog
from aiokafka import AIOKafkaProducer
from aiokafka.admin import NewTopic
from prometheus_client import REGISTRY
from sqlalchemy import Table, func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from rujukan_contracts.envelope import EventMeta
from rujukan_contracts.events import ReferralStatus, ReferralStatusChangedV1
from rujukan_platform import outbox as outbox_module
from rujukan_platform.db import make_engine, make_sessions, new_metadata
from rujukan_platform.kafka import create_topics, make_producer
from rujukan_platform.outbox import (
    RELAY_LOCK_ID,
    OutboxEvent,
    OutboxRelay,
    follow_up_id,
    stage,
)
from rujukan_platform.testing import (
    Servers,
    TcpProxy,
    eventually,
    status_changed,
    tail,
    unique_topic,
)

pytestmark = pytest.mark.integration


@dataclass
class Outbox:
    servers: Servers
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    table: Table
    topic: str
    producer: AIOKafkaProducer

    async def stage(self, *events: ReferralStatusChangedV1) -> list[UUID]:
        async with self.sessions() as session, session.begin():
            return await stage(session, self.table, [(self.topic, e) for e in events])

    async def backlog(self) -> int:
        async with self.sessions() as session:
            return int(await session.scalar(select(func.count()).select_from(self.table)) or 0)

    def relay(self, **options: Any) -> OutboxRelay:
        return OutboxRelay(
            sessions=self.sessions, producer=self.producer, source="/rujukan/test", **options
        )


@pytest.fixture
async def outbox(servers: Servers, fresh_database: str) -> AsyncIterator[Outbox]:
    topic = unique_topic("status")
    await create_topics(servers.kafka_bootstrap, [NewTopic(topic, 3, 1)])
    metadata = new_metadata()
    engine = make_engine(f"{servers.pg_url}/{fresh_database}", pool_size=4)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    producer = make_producer(servers.kafka_bootstrap, client_id="test-relay")
    await producer.start()
    try:
        yield Outbox(
            servers, engine, make_sessions(engine), metadata.tables["outbox"], topic, producer
        )
    finally:
        await producer.stop()
        await engine.dispose()


async def _empty(outbox: Outbox) -> bool:
    return await outbox.backlog() == 0


def ce_id(record: Any) -> str:
    return str(EventMeta.from_headers(record.headers).id)


def sample(name: str) -> float:
    return REGISTRY.get_sample_value(name) or 0.0


def published(topic: str) -> float:
    return REGISTRY.get_sample_value("rujukan_events_published_total", {"topic": topic}) or 0.0


async def test_staging_nothing_writes_nothing_and_staged_ids_are_the_published_ids(
    outbox: Outbox,
) -> None:
    async with outbox.sessions() as session, session.begin():
        assert await stage(session, outbox.table, []) == []
    assert await outbox.backlog() == 0
    key = uuid4()
    async with tail(outbox.servers, outbox.topic) as records:
        ids = await outbox.stage(changed(key, 1), changed(key, 2))
        assert await outbox.relay().relay_once() == 2
        found = await records.find(lambda r: True, count=2)
    assert [ce_id(r) for r in found] == [str(i) for i in ids]
    assert [r.key for r in found] == [str(key).encode()] * 2
    assert await outbox.backlog() == 0
    assert published(outbox.topic) == 2


async def test_follow_ups_are_published_with_their_rows_and_again_with_the_same_ids_when_the_commit_is_lost(  # noqa: E501
    outbox: Outbox,
) -> None:
    """The hook runs in the relay's transaction; a commit that fails after Kafka acknowledged
    everything (a crash) leaves the rows, so they and their follow-ups go out again with the
    same ce_ids: consumers see duplicates, never a gap."""
    async with outbox.engine.begin() as conn:
        await conn.execute(
            text(
                "CREATE TABLE deliveries (event_id text,"
                " CONSTRAINT one_delivery UNIQUE (event_id) DEFERRABLE INITIALLY DEFERRED)"
            )
        )
    calls: list[list[str]] = []

    async def delivered(session: AsyncSession, rows: Sequence[OutboxEvent]) -> list[OutboxEvent]:
        calls.append([r.id for r in rows])
        for row in rows:
            await session.execute(text("INSERT INTO deliveries VALUES (:id)"), {"id": row.id})
            if len(calls) == 1:  # the first commit will fail, after every publish
                await session.execute(text("INSERT INTO deliveries VALUES (:id)"), {"id": row.id})
        return [
            OutboxEvent(
                0,
                follow_up_id(row.id, "delivered"),
                row.topic,
                row.aggregateid,
                ReferralStatusChangedV1.ce_type,
                changed(UUID(row.aggregateid), 99, ReferralStatus.delivered).model_dump_json(),
                row.traceparent,
                row.created_at,
            )
            for row in rows
        ]

    keys = [uuid4(), uuid4()]
    relay = outbox.relay(on_published=delivered)
    async with tail(outbox.servers, outbox.topic) as records:
        ids = await outbox.stage(*(changed(k, 1) for k in keys))
        with pytest.raises(IntegrityError):
            await relay.relay_once()
        assert await outbox.backlog() == 2  # the lost commit kept the rows
        assert await relay.relay_once() == 2
        found = await records.find(lambda r: True, count=8)
    assert calls == [[str(i) for i in ids]] * 2
    assert await outbox.backlog() == 0
    async with outbox.sessions() as session:
        assert await session.scalar(text("SELECT count(*) FROM deliveries")) == 2  # once each

    follow_ups = {follow_up_id(str(i), "delivered") for i in ids}
    seen = [ce_id(r) for r in found]
    assert len(seen) == 8
    assert sorted(seen) == sorted([str(i) for i in ids] * 2 + list(follow_ups) * 2)
    for key in keys:  # per key: the row's event, then its follow-up, twice over
        notes = [
            ReferralStatusChangedV1.model_validate_json(r.value).to_status
            for r in sorted(found, key=lambda r: r.offset)
            if r.key == str(key).encode()
        ]
        assert notes == [ReferralStatus.created, ReferralStatus.delivered] * 2
    assert published(outbox.topic) == 4  # counted once: the failed round was not


async def test_one_relay_at_a_time_per_database_and_the_backlog_gauges_show_the_wait(
    outbox: Outbox,
) -> None:
    """While another replica's relay holds the lock, this one publishes nothing and the gauges
    show the rows waiting; once the lock is released it relays them."""
    await outbox.stage(*(changed(uuid4(), n) for n in range(5)))
    holder = await outbox.engine.connect()
    transaction = await holder.begin()
    await holder.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": RELAY_LOCK_ID})
    relay = outbox.relay(poll_seconds=0.05)
    assert await relay.relay_once() == 0
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    try:
        await eventually(lambda: sample("rujukan_outbox_backlog") == 5)
        assert sample("rujukan_outbox_oldest_age_seconds") > 0
        assert await outbox.backlog() == 5
        await transaction.rollback()  # the other replica's transaction ends
        await holder.close()
        await eventually(lambda: _empty(outbox), timeout=15)
        await eventually(lambda: sample("rujukan_outbox_backlog") == 0, timeout=15)
        assert sample("rujukan_outbox_oldest_age_seconds") == 0.0
    finally:
        stop.set()
        await task


async def test_two_relays_on_one_outbox_publish_every_row_once_in_key_order(
    outbox: Outbox,
) -> None:
    keys = [uuid4() for _ in range(4)]
    events = [changed(keys[n % 4], n) for n in range(200)]
    first, second = outbox.relay(batch_size=20), outbox.relay(batch_size=20)
    stop = asyncio.Event()
    async with tail(outbox.servers, outbox.topic) as records:
        tasks = [asyncio.create_task(r.run(stop)) for r in (first, second)]
        try:
            for n in range(0, 200, 25):  # staged while both run
                await outbox.stage(*events[n : n + 25])
                first.wake()
                second.wake()
            found = await records.find(lambda r: True, count=200, timeout=30)
            await eventually(lambda: _empty(outbox), timeout=15)
        finally:
            stop.set()
            await asyncio.gather(*tasks)
        assert not await records.find(lambda r: True, timeout=1)  # and nothing more
    ids = [ce_id(r) for r in found]
    assert len(ids) == len(set(ids)) == 200
    for key in keys:
        notes = [
            int(ReferralStatusChangedV1.model_validate_json(r.value).note or "")
            for r in sorted(found, key=lambda r: r.offset)
            if r.key == str(key).encode()
        ]
        assert notes == sorted(notes) and len(notes) == 50


async def test_a_commit_wakes_the_relay_instead_of_waiting_for_its_next_poll(
    outbox: Outbox,
) -> None:
    relay = outbox.relay(poll_seconds=60)
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    try:
        await asyncio.sleep(0.3)  # the relay found nothing and sleeps for a minute
        await outbox.stage(changed(uuid4(), 1))
        relay.wake()
        await eventually(lambda: _empty(outbox), timeout=10)
    finally:
        stop.set()
        relay.wake()
        await asyncio.wait_for(task, 10)


async def test_a_patient_relay_publishes_the_commits_of_its_patience_in_one_look(
    outbox: Outbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Woken, a patient relay waits ``patience_seconds`` before it looks: a second commit in
    that time leaves with the first, in the same look, and nothing leaves before it."""
    relay = outbox.relay(poll_seconds=60, patience_seconds=3.0)  # no poll but the first
    looks: list[int] = []
    look = relay.relay_once

    async def counted() -> int:
        looks.append(await look())
        return looks[-1]

    monkeypatch.setattr(relay, "relay_once", counted)
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    try:
        await eventually(lambda: looks == [0], timeout=10)  # the first look: nothing
        await outbox.stage(changed(uuid4(), 1))
        relay.wake()
        await asyncio.sleep(0.2)
        await outbox.stage(changed(uuid4(), 2))
        relay.wake()
        assert await outbox.backlog() == 2  # both wait out the patience
        await eventually(lambda: len(looks) == 2, timeout=15)
        assert looks == [0, 2] and await outbox.backlog() == 0  # one look took both commits'
        await asyncio.sleep(3.5)  # longer than a patience
        assert looks == [0, 2]  # and the wake of the second asks for no look of its own
    finally:
        stop.set()  # also ends a patience at once
        relay.wake()
        await asyncio.wait_for(task, 10)


async def test_the_relay_waits_out_the_database_going_away_and_then_publishes(
    outbox: Outbox, servers: Servers, fresh_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = structlog.testing.CapturingLogger()
    monkeypatch.setattr(outbox_module, "log", log)
    host, port = servers.pg_url.rsplit("@", 1)[1].split(":")
    proxy = TcpProxy(host, int(port))
    await proxy.up()
    through = make_engine(
        f"{servers.pg_url.rsplit('@', 1)[0]}@{proxy.address}/{fresh_database}", pool_size=2
    )
    relay = OutboxRelay(
        sessions=make_sessions(through), producer=outbox.producer, source="/rujukan/test"
    )
    errors = sample("rujukan_outbox_relay_errors_total")
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    try:
        await proxy.down()
        await outbox.stage(changed(uuid4(), 1))  # committed directly, not through the proxy
        await eventually(lambda: sample("rujukan_outbox_relay_errors_total") > errors)
        assert not task.done() and await outbox.backlog() == 1
        await proxy.up()
        await eventually(lambda: _empty(outbox), timeout=30)
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
        await proxy.down()
        await through.dispose()
    waits = [c.kwargs["backoff_seconds"] for c in log.calls if c.method_name == "exception"]
    assert waits and waits == [min(0.2 * 2**n, 10.0) for n in range(len(waits))]  # backing off


async def test_a_relay_backing_off_stops_at_once(
    outbox: Outbox, servers: Servers, fresh_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Shutdown does not wait out the backoff (up to 10 s) of a relay whose database is away."""
    monkeypatch.setattr(outbox_module, "log", structlog.testing.CapturingLogger())
    host, port = servers.pg_url.rsplit("@", 1)[1].split(":")
    proxy = TcpProxy(host, int(port))  # never up: every round fails
    through = make_engine(
        f"{servers.pg_url.rsplit('@', 1)[0]}@{proxy.address}/{fresh_database}", pool_size=1
    )
    relay = OutboxRelay(
        sessions=make_sessions(through), producer=outbox.producer, source="/rujukan/test"
    )
    errors = sample("rujukan_outbox_relay_errors_total")
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    try:
        await eventually(lambda: sample("rujukan_outbox_relay_errors_total") >= errors + 5)
        stop.set()  # the relay now waits 6.4 s or more before its next round
        await asyncio.wait_for(task, 3.0)
    finally:
        stop.set()
        await asyncio.gather(task, return_exceptions=True)
        await through.dispose()


def changed(
    key: UUID, n: int, to: ReferralStatus = ReferralStatus.created
) -> ReferralStatusChangedV1:
    """The ``n``th status event sent under ``key`` (the intake's id, status events' key)."""
    return status_changed(str(n), intake_id=key, to=to)
