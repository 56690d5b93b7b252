"""The outbox relay and the consumer runner against the real broker and database."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from uuid import UUID, uuid4

import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import NewTopic
from sqlalchemy import Column, MetaData, Table, Text, func, select
from sqlalchemy.dialects.postgresql import UUID as PgUUID

from rujukan_contracts.envelope import EventMeta, dataschema
from rujukan_contracts.events import ReferralStatusChangedV1
from rujukan_platform.consumer import (
    ConsumerRunner,
    ConsumerSpec,
    DlqLimit,
    InvalidMessage,
)
from rujukan_platform.db import make_engine, make_sessions, new_metadata
from rujukan_platform.handlers import Handlers
from rujukan_platform.kafka import create_topics, make_consumer, make_producer, security_options
from rujukan_platform.outbox import OutboxRelay, stage
from rujukan_platform.testing import Servers, status_changed, unique_topic
from rujukan_platform.uow import UnitOfWork

pytestmark = pytest.mark.integration


async def _schema(servers: Servers, database: str, extra: MetaData | None = None):  # type: ignore[no-untyped-def]
    metadata = new_metadata()
    engine = make_engine(f"{servers.pg_url}/{database}")
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
        if extra is not None:
            await conn.run_sync(extra.create_all)
    return engine, metadata


async def _read_all(servers: Servers, topic: str, expected: int, timeout: float = 20.0) -> list:  # type: ignore[type-arg]
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=servers.kafka_bootstrap,
        group_id=None,
        auto_offset_reset="earliest",
        **security_options(),
    )
    await consumer.start()
    records = []
    try:
        deadline = asyncio.get_running_loop().time() + timeout
        while len(records) < expected and asyncio.get_running_loop().time() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            for recs in batch.values():
                records.extend(recs)
    finally:
        await consumer.stop()
    return records


async def test_outbox_rows_reach_kafka_in_key_order_and_leave_the_outbox(
    servers: Servers, fresh_database: str
) -> None:
    topic = unique_topic("status")
    await create_topics(servers.kafka_bootstrap, [NewTopic(topic, 3, 1)])
    engine, metadata = await _schema(servers, fresh_database)
    sessions = make_sessions(engine)
    outbox = metadata.tables["outbox"]
    keys = [uuid4() for _ in range(7)]
    staged: dict[str, list[str]] = defaultdict(list)
    async with sessions() as session, session.begin():
        for n in range(350):  # interleaved keys, one transaction
            key = keys[n % len(keys)]
            await stage(session, outbox, [(topic, status_event(key, n))])
            staged[str(key)].append(str(n))
    producer = make_producer(servers.kafka_bootstrap, client_id="test")
    await producer.start()
    try:
        relay = OutboxRelay(
            sessions=sessions, producer=producer, source="/rujukan/test", batch_size=100
        )
        sent = 0
        while (n := await relay.relay_once()) > 0:
            sent += n
        assert sent == 350
    finally:
        await producer.stop()

    records = await _read_all(servers, topic, 350)
    assert len(records) == 350
    seen: dict[str, list[str]] = defaultdict(list)
    partitions: dict[str, set[int]] = defaultdict(set)
    for r in sorted(records, key=lambda r: (r.partition, r.offset)):
        meta = EventMeta.from_headers(r.headers)
        assert meta.type == ReferralStatusChangedV1.ce_type
        assert meta.source == "/rujukan/test"
        assert dict(r.headers)["ce_dataschema"] == dataschema(meta.type).encode()
        event = ReferralStatusChangedV1.model_validate_json(r.value)
        assert r.key.decode() == str(event.intake_id) == meta.subject
        seen[r.key.decode()].append(event.note or "")
        partitions[r.key.decode()].add(r.partition)
    assert seen == staged  # every key's events, in the order they were staged
    assert all(len(p) == 1 for p in partitions.values())
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(outbox)) == 0
    await engine.dispose()


async def test_consumer_processes_once_dead_letters_bad_messages_and_carries_on(
    servers: Servers, fresh_database: str
) -> None:
    topic = unique_topic("status")
    await create_topics(
        servers.kafka_bootstrap, [NewTopic(topic, 2, 1), NewTopic(f"{topic}.dlq", 1, 1)]
    )
    extra = MetaData()
    effects = Table(
        "effects", extra, Column("event_id", PgUUID(as_uuid=True)), Column("note", Text)
    )
    engine, _metadata = await _schema(servers, fresh_database, extra)
    sessions = make_sessions(engine)

    async def handle(event: ReferralStatusChangedV1, uow: UnitOfWork) -> None:
        if event.note == "refuse":
            raise InvalidMessage("the handler refuses this one")
        assert uow.cause is not None
        await uow.session.execute(
            effects.insert().values(event_id=uow.cause.meta.id, note=event.note)
        )

    producer = make_producer(servers.kafka_bootstrap, client_id="test")
    await producer.start()
    key = uuid4()
    good = [status_event(key, n) for n in range(20)]
    metas = [EventMeta(type=e.ce_type, source="/test", subject=str(key)) for e in good]
    for e, m in zip(good[:10], metas[:10], strict=True):
        await producer.send_and_wait(
            topic, e.model_dump_json().encode(), key=str(key).encode(), headers=m.to_headers()
        )
    # a record with no CloudEvents headers, one with invalid data, one the handler refuses,
    # and a redelivered copy of an event already sent
    await producer.send_and_wait(topic, b"{}", key=str(key).encode())
    bad_meta = EventMeta(type=ReferralStatusChangedV1.ce_type, source="/test", subject=str(key))
    await producer.send_and_wait(
        topic, b'{"referral_id": "nope"}', key=str(key).encode(), headers=bad_meta.to_headers()
    )
    refuse = status_event(key, 0).model_copy(update={"note": "refuse"})
    await producer.send_and_wait(
        topic,
        refuse.model_dump_json().encode(),
        key=str(key).encode(),
        headers=EventMeta(type=refuse.ce_type, source="/t", subject="k").to_headers(),
    )
    await producer.send_and_wait(
        topic,
        good[3].model_dump_json().encode(),
        key=str(key).encode(),
        headers=metas[3].to_headers(),
    )
    for e, m in zip(good[10:], metas[10:], strict=True):
        await producer.send_and_wait(
            topic, e.model_dump_json().encode(), key=str(key).encode(), headers=m.to_headers()
        )

    async def consume_until_idle(group: str) -> None:
        spec = ConsumerSpec(
            name="test-consumer",
            topics=[topic],
            group_id=group,
            handlers=Handlers[UnitOfWork]().on(ReferralStatusChangedV1, handle),
            dlq_limit=DlqLimit(max_consecutive=5),
        )
        consumer = make_consumer(servers.kafka_bootstrap, group_id=group, client_id="t")
        await consumer.start()
        runner = ConsumerRunner(
            spec,
            consumer=consumer,
            producer=producer,
            unit_of_work=lambda: UnitOfWork(sessions),
        )
        stop = asyncio.Event()
        task = asyncio.create_task(runner.run(stop))
        try:
            for _ in range(150):  # until every partition's committed offset reaches its end
                await asyncio.sleep(0.2)
                assigned = list(consumer.assignment())
                if not assigned:
                    continue
                ends = await consumer.end_offsets(assigned)
                committed = [await consumer.committed(tp) or 0 for tp in assigned]
                if all(c >= ends[tp] for c, tp in zip(committed, assigned, strict=True)):
                    break
        finally:
            stop.set()
            await task
            await consumer.stop()

    await consume_until_idle(f"g-{uuid4().hex[:8]}")
    async with sessions() as session:
        notes = (await session.execute(select(effects.c.note))).scalars().all()
    assert sorted(notes, key=int) == [str(n) for n in range(20)]  # each once, none refused

    dead = await _read_all(servers, f"{topic}.dlq", 3)
    assert len(dead) == 3
    reasons = sorted(dict(r.headers)["dlq_reason"].decode() for r in dead)
    assert any("missing CloudEvents attributes" in r for r in reasons)
    assert any("invalid rujukan.referral.status_changed.v1: referral_id" in r for r in reasons)
    assert any("the handler refuses this one" in r for r in reasons)
    assert all(dict(r.headers)["dlq_source_topic"].decode() == topic for r in dead)

    # Everything redelivered from the start (a new group): no second effect.
    await consume_until_idle(f"g-{uuid4().hex[:8]}")
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(effects)) == 20
    await producer.stop()
    await engine.dispose()


def status_event(key: UUID, n: int) -> ReferralStatusChangedV1:
    """The ``n``th status event sent under ``key`` (the intake's id, status events' key)."""
    return status_changed(str(n), intake_id=key)
